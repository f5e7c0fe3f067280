import { createServer, type IncomingMessage, type Server } from 'node:http';
import { httpProbe } from '../../src/probes/http';
import { metricsScrapeProbe, parseExposition } from '../../src/probes/metrics-scrape';
import { startExporter, type TestExporter } from '../support/prometheus';
import { runProbe } from './probe-harness';

let server: Server;
let base: string;
const seen: IncomingMessage[] = [];
let readyBody = { status: 'ready', pool_utilization: 0.42 };

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/health/ready') {
      res.writeHead(readyBody.status === 'ready' ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(readyBody));
    } else if (url.pathname === '/api/api/traces') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [{ traceID: 'a' }, { traceID: 'b' }, { traceID: 'c' }] }));
    } else {
      res.writeHead(404);
      res.end('nope');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/api`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('http probe', () => {
  it('status, latency and a JSON field with thresholds', async () => {
    readyBody = { status: 'ready', pool_utilization: 0.42 };
    const params = { path: '/health/ready', fields: [{ path: 'pool_utilization', label: 'pool', warn: '> 0.8', crit: '> 0.9' }] };
    const ok = await runProbe(httpProbe, params, { target: { url: base } });
    expect(ok.status).toBe('ok');
    expect(ok.figures).toEqual([
      { label: 'status', value: 200 },
      { label: 'latency', value: expect.any(Number), unit: 'ms' },
      { label: 'pool', value: 0.42 },
    ]);
    readyBody = { status: 'not_ready', pool_utilization: 0.95 };
    const crit = await runProbe(httpProbe, params, { target: { url: base } });
    expect(crit).toMatchObject({ status: 'crit', summary: 'HTTP 503; pool 0.95' });
    expect(crit.evidence.query).toBe(`GET ${base}/health/ready`);
  });

  it('counts JSON entries (Jaeger traces) with label values as encoded query values', async () => {
    const r = await runProbe(
      httpProbe,
      {
        path: '/api/traces',
        query: { service: '{{service}}', minDuration: '30s' },
        count: { path: 'data', label: 'slow traces', warn: '> 0' },
      },
      { target: { url: base }, labels: { service: 'agent/orchestrator' } },
    );
    expect(r).toMatchObject({ status: 'warn', summary: '3 slow traces' });
    expect(seen[seen.length - 1]?.url).toBe('/api/api/traces?service=agent%2Forchestrator&minDuration=30s');
  });

  it('user:password in the target URL is sent as Basic auth and never shown', async () => {
    readyBody = { status: 'ready', pool_utilization: 0.1 };
    const withAuth = base.replace('http://', 'http://ops:pw-s3cret@');
    const r = await runProbe(httpProbe, { path: '/health/ready' }, { target: { url: withAuth } });
    expect(r.status).toBe('ok');
    expect(seen[seen.length - 1]?.headers.authorization).toBe(`Basic ${Buffer.from('ops:pw-s3cret').toString('base64')}`);
    expect(JSON.stringify(r)).not.toContain('pw-s3cret');
    expect(r.evidence.query).toBe(`GET ${base.replace('http://', 'http://***@')}/health/ready`);
  });

  it('an unexpected status is critical; an unreachable endpoint is critical with the reason', async () => {
    expect((await runProbe(httpProbe, { path: '/missing' }, { target: { url: base } })).summary).toBe('HTTP 404');
    const down = await runProbe(httpProbe, { path: '/health' }, { target: { url: 'http://127.0.0.1:1' } });
    expect(down).toMatchObject({ status: 'crit', summary: expect.stringMatching(/^connection refused after \d+ ms$/) });
  });
});

describe('metrics-scrape probe', () => {
  let exporter: TestExporter;
  beforeAll(async () => {
    exporter = await startExporter();
    exporter.set('active_tasks', { worker: 'marie' }, 4);
    exporter.set('active_tasks', { worker: 'anga' }, 1);
    exporter.set('task_failed_total', { worker: 'marie' }, 7);
    exporter.set('semantic_request_total', { status_code: '200' }, 900);
    exporter.set('semantic_request_total', { status_code: '503' }, 60);
    exporter.set('semantic_request_total', { status_code: '500' }, 40);
  });
  afterAll(() => exporter.close());

  it('picks named series, filtered by a label, summed, with thresholds', async () => {
    const base = exporter.url.replace(/\/metrics$/, '');
    const r = await runProbe(
      metricsScrapeProbe,
      {
        series: [
          { name: 'active_tasks', labels: { worker: '{{worker}}' } },
          { name: 'task_failed_total', labels: { worker: '{{worker}}' }, label: 'failed', warn: '> 5' },
          { name: 'semantic_request_total', labelsMatch: { status_code: '5..' }, label: '5xx' },
          { name: 'not_exposed', whenMissing: 'ok' },
        ],
      },
      { target: { url: base }, labels: { worker: 'marie' } },
    );
    expect(r.status).toBe('warn');
    expect(r.summary).toBe('failed 7');
    expect(r.figures).toEqual([
      { label: 'active_tasks', value: 4 },
      { label: 'failed', value: 7 },
      { label: '5xx', value: 100 },
      { label: 'not_exposed', value: 'absent' },
    ]);
  });

  it('parses the exposition format with escaped label values', () => {
    expect(parseExposition('# HELP x y\nx{a="q\\"uote",b="2"} 1.5 1700000000\ny +Inf\n')).toEqual([
      { name: 'x', labels: { a: 'q"uote', b: '2' }, value: 1.5 },
      { name: 'y', labels: {}, value: Infinity },
    ]);
  });
});
