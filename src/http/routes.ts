import type { Registry } from 'prom-client';
import type { Health } from './health';
import { sendJson, type Route } from './server';

export function healthRoutes(health: Health): Route[] {
  return [
    { method: 'GET', path: '/health/live', handler: (_req, res) => sendJson(res, 200, health.live()) },
    {
      method: 'GET',
      path: '/health/startup',
      handler: (_req, res) => {
        const s = health.startup();
        sendJson(res, s.started ? 200 : 503, s);
      },
    },
    {
      method: 'GET',
      path: '/health/ready',
      handler: async (_req, res) => {
        const r = await health.ready();
        sendJson(res, r.ready ? 200 : 503, r);
      },
    },
  ];
}

export function metricsRoute(registry: Registry): Route {
  return {
    method: 'GET',
    path: '/metrics',
    handler: async (_req, res) => {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(body);
    },
  };
}
