import type { IncomingMessage, Server as HttpNodeServer, ServerResponse } from 'node:http';
import { alertmanagerWebhookRoute } from '../http/alertmanager-webhook-route';
import { createHealth, type Health } from '../http/health';
import { healthRoutes, metricsRoute } from '../http/routes';
import { createHttpServer, sendJson, type HttpServer, type Route } from '../http/server';
import type { BotMetrics } from '../metrics';
import { attachReceipt, receiptOf } from '../slack/create-slack-app';
import { createEventIntake } from '../slack/event-intake';
import type { SlackAuthMonitor } from '../slack/slack-auth-monitor';
import type { Database } from '../domain/database';
import type { AppCore } from './core';
import type { SlackSide } from './slack-side';

/** The HTTP side: health and metrics, the Slack Events API, the Alertmanager webhook. */
export function createAppHttp(
  core: AppCore,
  slackSide: SlackSide | undefined,
  server: HttpNodeServer | undefined,
): { health: Health; http: HttpServer } {
  const { config, logger, metrics } = core;
  const health = createAppHealth(core.db, slackSide?.auth);
  const eventIntake =
    slackSide?.slack.requestListener && config.slack?.signingSecret
      ? createEventIntake({
          signingSecret: config.slack.signingSecret,
          inbox: slackSide.inbox,
          logger,
          metrics,
          next: slackSide.slack.requestListener,
        })
      : undefined;
  const webhookRoute = alertmanagerWebhookRoute({
    ...(slackSide ? { intake: slackSide.alertIntake } : {}),
    ...(config.alertRoutes ? { routes: config.alertRoutes } : {}),
    ...(config.alertmanagerWebhookToken ? { token: config.alertmanagerWebhookToken } : {}),
    logger,
  });
  const routes: Route[] = [
    ...healthRoutes(health),
    metricsRoute(core.registry),
    slackEventsRoute(eventIntake, slackSide !== undefined),
    webhookRoute,
  ];
  return { health, http: createHttpServer(routes, logger, timeSlackAcks(metrics), server) };
}

function createAppHealth(db: Database, slackAuth: SlackAuthMonitor | undefined): Health {
  return createHealth({
    database: async () => {
      try {
        await db.ping();
        return { ok: true };
      } catch (err) {
        return {
          ok: false,
          reason: `${db.kind === 'embedded' ? 'embedded database' : 'PostgreSQL'} not answering: ${(err as Error).message}`,
        };
      }
    },
    slack: async () =>
      slackAuth
        ? slackAuth.state()
        : {
            ok: false,
            reason: 'Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode)',
          },
  });
}

/** POST /slack/events: the Events API intake, or a 503 saying why this bot takes no events over HTTP. */
function slackEventsRoute(eventIntake: ((req: IncomingMessage, res: ServerResponse) => void) | undefined, slackConfigured: boolean): Route {
  return {
    method: 'POST',
    path: '/slack/events',
    handler: (req, res) => {
      if (eventIntake) eventIntake(req, res);
      else
        sendJson(res, 503, {
          error: slackConfigured ? 'this bot runs in Socket Mode; Slack does not post here' : 'Slack is not configured',
        });
    },
  };
}

/** Times each Slack request from arrival to the answer, by kind (command, click, event…). */
function timeSlackAcks(metrics: BotMetrics): (req: IncomingMessage, res: ServerResponse) => void {
  // One listener for every response (it finds its request's receipt through res.req): no closure per request.
  function observeAck(this: ServerResponse): void {
    const receipt = receiptOf(this.req);
    if (receipt?.receivedAt !== undefined)
      metrics.ackSeconds.observe({ kind: receipt.kind ?? 'other' }, (performance.now() - receipt.receivedAt) / 1000);
  }
  return (req, res) => {
    if (!req.url?.startsWith('/slack/')) return;
    attachReceipt(req);
    res.on('finish', observeAck);
  };
}
