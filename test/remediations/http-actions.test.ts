import { createServer, type IncomingMessage, type Server } from 'node:http';
import path from 'node:path';
import { loadCatalog } from '../../src/runbooks';
import { alertmanagerSilence } from '../../src/remediations/alertmanager-silence';
import { httpCall } from '../../src/remediations/http-call';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager';
import { actionContext, target } from './harness';

describe('alertmanager.silence against a real Alertmanager', () => {
  let am: RunningAlertmanager;
  beforeAll(async () => {
    am = await startAlertmanager();
  }, 60_000);
  afterAll(() => am?.stop());

  it('creates a silence from the alert labels that Alertmanager lists as active', async () => {
    await am.postAlerts([{ labels: { alertname: 'StuckDetected', job: 'memory-daemon', agent: 'agent-7' } }]);
    const params = alertmanagerSilence.params.parse({
      matchers: { job: 'memory-daemon' },
      fromLabels: ['alertname', 'agent'],
      duration: '2h',
      comment: 'stuck {{agent}} under investigation',
    });
    const ctx = actionContext(target('alertmanager', 'alertmanager', { url: am.url }), { alertname: 'StuckDetected', agent: 'agent-7' });
    const preview = await alertmanagerSilence.preview(params, ctx);
    expect(preview.items).toEqual([
      'matcher alertname="StuckDetected"',
      'matcher agent="agent-7"',
      'matcher job="memory-daemon"',
      '1 alert currently matches: StuckDetected',
    ]);
    const result = await alertmanagerSilence.execute(params, preview, ctx);
    expect(await alertmanagerSilence.verify(params, preview, result, ctx)).toMatchObject({ status: 'passed' });

    const silences = (await (await fetch(`${am.url}/api/v2/silences`)).json()) as {
      id: string;
      status: { state: string };
      createdBy: string;
      comment: string;
      matchers: { name: string; value: string; isRegex: boolean }[];
      startsAt: string;
      endsAt: string;
    }[];
    const s = silences.find((x) => x.id === (result.data as { silenceID: string }).silenceID);
    expect(s).toMatchObject({ status: { state: 'active' }, createdBy: 'incident-bot (requested by U0REQUEST, approved by U0APPROVE)' });
    expect(s!.comment).toContain('stuck agent-7 under investigation');
    expect(s!.matchers.map((m) => [m.name, m.value, m.isRegex]).sort()).toEqual([
      ['agent', 'agent-7', false],
      ['alertname', 'StuckDetected', false],
      ['job', 'memory-daemon', false],
    ]);
    expect(new Date(s!.endsAt).getTime() - new Date(s!.startsAt).getTime()).toBeGreaterThanOrEqual(2 * 3600_000 - 1000);
  }, 30_000);

  it('the shipped maintenance silence matches job AND severity (seed 000:404-415): a P0 of the same job still pages', async () => {
    await am.postAlerts([
      { labels: { alertname: 'QueueBacklogGrowing', job: 'memory-daemon', severity: 'P2' } },
      { labels: { alertname: 'DaemonNotRunning', job: 'memory-daemon', severity: 'P0' } },
    ]);
    const catalog = await loadCatalog(path.join(__dirname, '..', '..', 'commands'), {});
    const entry = catalog.runbooks.find((r) => r.id === 'memory-daemon')?.remediations.find((r) => r.id === 'silence-daemon');
    const params = alertmanagerSilence.params.parse(entry?.params);
    const ctx = actionContext(target('alertmanager', 'alertmanager', { url: am.url }), {});
    const preview = await alertmanagerSilence.preview(params, ctx);
    expect(preview.items).toEqual([
      'matcher job="memory-daemon"',
      'matcher severity="P2"',
      '1 alert currently matches: QueueBacklogGrowing',
    ]);
    const result = await alertmanagerSilence.execute(params, preview, ctx);
    expect(await alertmanagerSilence.verify(params, preview, result, ctx)).toMatchObject({ status: 'passed' });
    const alerts = (await (await fetch(`${am.url}/api/v2/alerts?silenced=false&inhibited=false`)).json()) as {
      labels: Record<string, string>;
    }[];
    expect(alerts.map((a) => a.labels.alertname)).toContain('DaemonNotRunning');
    expect(alerts.map((a) => a.labels.alertname)).not.toContain('QueueBacklogGrowing');
  }, 30_000);

  it('refuses a silence without matchers (it would silence everything)', async () => {
    expect(alertmanagerSilence.params.safeParse({ duration: '1h' }).success).toBe(false);
    const params = alertmanagerSilence.params.parse({ fromLabels: ['agent'], duration: '1h' });
    await expect(
      alertmanagerSilence.preview(params, actionContext(target('alertmanager', 'alertmanager', { url: am.url }), {})),
    ).rejects.toThrow(/silence everything/);
  });
});

describe('http.call against a local admin endpoint', () => {
  let server: Server;
  let base: string;
  const seen: { method: string; url: string; body: string; auth?: string }[] = [];
  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', body, auth: req.headers.authorization });
        if (req.url?.startsWith('/health')) res.writeHead(200).end('ok');
        else if (req.method === 'POST' && req.url?.startsWith('/admin/cache/flush'))
          res.writeHead(202, { 'content-type': 'application/json' }).end('{"flushed":12}');
        else res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const a = server.address();
    base = `http://admin:s3cret@127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('POSTs to the declared path with label values only as encoded query values; credentials never shown', async () => {
    const params = httpCall.params.parse({
      path: '/admin/cache/flush',
      query: { worker: '{{worker}}' },
      body: { scope: 'all' },
      verifyPath: '/health',
    });
    const ctx = actionContext(target('api', 'http', { url: base }), { worker: 'marie/../x' });
    const preview = await httpCall.preview(params, ctx);
    expect(preview.summary).not.toContain('s3cret');
    const result = await httpCall.execute(params, preview, ctx);
    expect(result.summary).toContain('HTTP 202');
    expect(await httpCall.verify(params, preview, result, ctx)).toMatchObject({ status: 'passed' });
    const post = seen.find((s) => s.method === 'POST')!;
    expect(post.url).toBe('/admin/cache/flush?worker=marie%2F..%2Fx');
    expect(JSON.parse(post.body)).toEqual({ scope: 'all' });
    expect(post.auth).toBe(`Basic ${Buffer.from('admin:s3cret').toString('base64')}`);
  });

  it('refuses placeholders in the path or body, and dot segments', () => {
    expect(httpCall.params.safeParse({ path: '/admin/{{worker}}/flush' }).success).toBe(false);
    expect(httpCall.params.safeParse({ path: '/admin/../secret' }).success).toBe(false);
    expect(httpCall.params.safeParse({ path: '/admin/flush', body: { who: '{{worker}}' } }).success).toBe(false);
    expect(httpCall.params.safeParse({ path: 'http://elsewhere/' }).success).toBe(false);
  });

  it('reports an unexpected status as a failure', async () => {
    const params = httpCall.params.parse({ path: '/admin/missing' });
    const ctx = actionContext(target('api', 'http', { url: base }));
    await expect(httpCall.execute(params, await httpCall.preview(params, ctx), ctx)).rejects.toThrow(/HTTP 404/);
  });
});
