import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { createDiagnosisMetrics, formatDiagnosisText, runDiagnosis, type DiagnosisResult } from '../../src/diagnosis';
import { probeRegistry } from '../../src/probes/registry';
import type { Probe } from '../../src/probes/types';
import type { AlertEntry, Runbook } from '../../src/runbooks';

const logger = pino({ level: 'silent' });
const NOW = new Date('2026-03-01T12:00:00Z');

function runbook(over: Partial<Runbook>): Runbook {
  return {
    id: 'test-runbook',
    title: 'Test runbook',
    link: 'https://wiki.corp.internal/runbooks/test',
    file: 'test.yaml',
    alerts: [{ name: 'TestAlert', severity: 'P1' }],
    targets: {},
    probes: [],
    causes: [],
    manualSteps: [],
    remediations: [],
    dashboards: [],
    ...over,
  } as Runbook;
}
const alertOf = (rb: Runbook): AlertEntry => rb.alerts[0] as AlertEntry;

/** A probe that never settles and ignores its AbortSignal: only the engine's race can cut it. */
const deafProbe: Probe<Record<string, never>> = {
  kind: 'deaf',
  params: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
  run: () => new Promise(() => undefined),
};
/** A probe that throws (a bug). */
const buggyProbe: Probe<Record<string, never>> = {
  kind: 'buggy',
  params: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
  run: async () => {
    throw new TypeError('cannot read properties of undefined');
  },
};

let dir: string;
let hung: Server;
let hungUrl: string;
const sockets: Socket[] = [];
let closedSockets = 0;
let okServer: ReturnType<typeof createHttpServer>;
let okUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ib-diagnosis-'));
  await writeFile(path.join(dir, 'heartbeat.json'), JSON.stringify({ timestamp: new Date(NOW.getTime() - 10_000).toISOString() }));
  await writeFile(path.join(dir, 'daemon.pid'), String(process.pid));
  // accepts connections and never answers
  hung = createServer((s) => {
    sockets.push(s);
    s.resume(); // read (and ignore) the request, so the client's close is seen
    s.on('close', () => closedSockets++);
  });
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  hungUrl = `http://127.0.0.1:${(hung.address() as { port: number }).port}`;
  okServer = createHttpServer((_req, res) => res.end(JSON.stringify({ status: 'ready' })));
  await new Promise<void>((r) => okServer.listen(0, '127.0.0.1', r));
  okUrl = `http://127.0.0.1:${(okServer.address() as { port: number }).port}`;
});

afterAll(async () => {
  sockets.forEach((s) => s.destroy());
  hung.close();
  okServer.close();
  await rm(dir, { recursive: true, force: true });
});

const target = (name: string, kind: Runbook['targets'][string]['kind'], values: Record<string, string>, missing: string[] = []) => ({
  [name]: { name, kind, values, missing },
});

describe('runDiagnosis', () => {
  it('a hung target is cut at its timeout while the other probes report on time', async () => {
    const rb = runbook({
      targets: {
        ...target('hung', 'http', { url: hungUrl }),
        ...target('api', 'http', { url: okUrl }),
        ...target('files', 'files', { root: dir }),
      },
      probes: [
        { id: 'hung-http', title: 'Hung endpoint', kind: 'http', target: 'hung', params: { path: '/health' } },
        { id: 'deaf', title: 'Ignores its signal', kind: 'deaf', params: {} },
        {
          id: 'api',
          title: 'Healthy endpoint',
          kind: 'http',
          target: 'api',
          params: { path: '/health/ready', fields: [{ path: 'status', expect: 'ready' }] },
        },
        { id: 'heartbeat', title: 'Heartbeat', kind: 'heartbeat', target: 'files', params: { path: 'heartbeat.json' } },
        { id: 'pid', title: 'PID', kind: 'pidfile', target: 'files', params: { path: 'daemon.pid' } },
      ] as unknown as Runbook['probes'],
    });
    const progress: DiagnosisResult[] = [];
    const result = await runDiagnosis({
      runbook: rb,
      alert: alertOf(rb),
      logger,
      now: () => NOW,
      registry: { ...probeRegistry, deaf: deafProbe },
      probeTimeoutMs: 400,
      onProgress: (p) => progress.push(p),
    });
    const by = Object.fromEntries(result.probes.map((p) => [p.id, p]));
    expect(by['hung-http']).toMatchObject({ status: 'unknown', summary: expect.stringMatching(/no answer within 400 ms \(timed out\)/) });
    expect(by.deaf).toMatchObject({ status: 'unknown', summary: expect.stringMatching(/no answer within 400 ms/) });
    expect(by.api?.status).toBe('ok');
    expect(by.heartbeat?.status).toBe('ok');
    expect(by.pid?.status).toBe('ok');
    expect(result.status).toBe('unknown');
    expect(result.complete).toBe(true);

    // progress: first all pending, then the fast probes arrive before the cut ones
    expect(progress[0]).toMatchObject({ complete: false, probes: [] });
    expect(progress[0]?.pending.map((p) => p.id)).toEqual(['hung-http', 'deaf', 'api', 'heartbeat', 'pid']);
    const firstWithThree = progress.find((p) => p.probes.length === 3);
    expect(firstWithThree?.probes.map((p) => p.id).sort()).toEqual(['api', 'heartbeat', 'pid']);
    expect(progress[progress.length - 1]?.complete).toBe(true);

    // the http probe honoured its AbortSignal: the connection to the hung server was closed, not left open
    const deadline = Date.now() + 2000;
    while (closedSockets < sockets.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(sockets.length).toBeGreaterThan(0);
    expect(closedSockets).toBe(sockets.length);
  });

  it('the overall deadline cuts probes with longer timeouts', async () => {
    const rb = runbook({
      probes: [{ id: 'deaf', title: 'Deaf', kind: 'deaf', timeoutMs: 30_000, params: {} }] as unknown as Runbook['probes'],
    });
    const result = await runDiagnosis({ runbook: rb, alert: alertOf(rb), logger, registry: { deaf: deafProbe }, deadlineMs: 200 });
    // the probe gets what is left of the deadline when it starts, a few ms less than 200 on a busy machine
    const cut = /no answer within (\d+) ms \(diagnosis deadline\)/.exec(result.probes[0]?.summary ?? '');
    expect(cut).not.toBeNull();
    expect(Number(cut![1])).toBeLessThanOrEqual(200);
  });

  it('labels fill parameters; missing or unsafe labels refuse the probe with a clear result', async () => {
    const rb = runbook({
      // the allow-list lets '../..' through so that the path check itself is what refuses it
      targets: {
        files: { name: 'files', kind: 'files', values: { root: dir }, missing: [], allow: { labels: { worker: { pattern: '[a-z./]+' } } } },
      },
      probes: [
        { id: 'hb', title: 'Heartbeat', kind: 'heartbeat', target: 'files', params: { path: '{{worker}}/heartbeat.json' } },
      ] as unknown as Runbook['probes'],
    });
    const run = (labels: Record<string, string>) =>
      runDiagnosis({ runbook: rb, alert: alertOf(rb), labels, logger, now: () => NOW }).then((r) => r.probes[0]);
    expect(await run({})).toMatchObject({ status: 'unknown', summary: expect.stringMatching(/^skipped: needs worker=<value>/) });
    expect(await run({ worker: 'marie"; rm -rf /' })).toMatchObject({
      status: 'unknown',
      summary: expect.stringMatching(/^refused: label worker must match/),
    });
    expect(await run({ worker: '../..' })).toMatchObject({
      status: 'unknown',
      summary: expect.stringMatching(/^refused: path .* leaves the configured root/),
    });
    expect(await run({ worker: 'marie' })).toMatchObject({
      status: 'crit',
      summary: expect.stringMatching(/no heartbeat file \(marie\/heartbeat.json\)/),
    });
  });

  it('without the label, a probe that needs it runs once per value the alert fans out over (seed 004: every worker)', async () => {
    await mkdir(path.join(dir, 'anga'), { recursive: true });
    await writeFile(
      path.join(dir, 'anga', 'heartbeat.json'),
      JSON.stringify({ timestamp: new Date(NOW.getTime() - 10_000).toISOString() }),
    );
    const rb = runbook({
      alerts: [{ name: 'HighTaskProcessingLatency', severity: 'P1', eachLabel: { worker: ['marie', 'anga', 'fabien'] } }],
      targets: target('files', 'files', { root: dir }),
      probes: [
        { id: 'hb', title: 'Heartbeat', kind: 'heartbeat', target: 'files', params: { path: '{{worker}}/heartbeat.json' } },
      ] as unknown as Runbook['probes'],
      causes: [{ when: { probe: 'hb', status: 'crit' }, cause: 'Watcher dead', fix: 'Restart the worker' }],
    });
    const all = await runDiagnosis({ runbook: rb, alert: alertOf(rb), logger, now: () => NOW });
    expect(all.probes.map((p) => [p.id, p.title, p.status])).toEqual([
      ['hb[marie]', 'Heartbeat (worker=marie)', 'crit'],
      ['hb[anga]', 'Heartbeat (worker=anga)', 'ok'],
      ['hb[fabien]', 'Heartbeat (worker=fabien)', 'crit'],
    ]);
    expect(all.causes).toEqual([{ probe: 'hb', status: 'crit', cause: 'Watcher dead', fix: 'Restart the worker' }]);
    const one = await runDiagnosis({ runbook: rb, alert: alertOf(rb), labels: { worker: 'anga' }, logger, now: () => NOW });
    expect(one.probes.map((p) => [p.id, p.status])).toEqual([['hb', 'ok']]);
  });

  it('a label picks a per-worker target among the declared ones, never an address', async () => {
    const rb = runbook({
      targets: {
        ...target('hb-anga', 'files', { root: path.join(dir, 'anga') }),
        ...target('hb-marie', 'files', { root: path.join(dir, 'nowhere') }),
      },
      probes: [
        {
          id: 'hb',
          title: 'Heartbeat',
          kind: 'heartbeat',
          targetByLabel: { label: 'worker', targets: { anga: 'hb-anga', marie: 'hb-marie' } },
          params: { path: 'heartbeat.json' },
        },
      ] as unknown as Runbook['probes'],
    });
    const run = (labels: Record<string, string>) =>
      runDiagnosis({ runbook: rb, alert: alertOf(rb), labels, logger, now: () => NOW }).then((r) => r.probes[0]);
    await mkdir(path.join(dir, 'anga'), { recursive: true });
    await writeFile(
      path.join(dir, 'anga', 'heartbeat.json'),
      JSON.stringify({ timestamp: new Date(NOW.getTime() - 10_000).toISOString() }),
    );
    expect(await run({ worker: 'anga' })).toMatchObject({ status: 'ok' });
    expect(await run({ worker: 'marie' })).toMatchObject({ status: 'crit' });
    expect(await run({ worker: 'evil.example.com:80' })).toMatchObject({
      status: 'unknown',
      summary: 'refused: no target for worker=evil.example.com:80 (the catalog knows anga, marie)',
    });
    expect(await run({})).toMatchObject({ status: 'unknown', summary: 'skipped: needs worker=<value> (one of anga, marie)' });
  });

  it('an unconfigured target says which variable to set', async () => {
    const rb = runbook({
      targets: target('prometheus', 'prometheus', {}, ['PROMETHEUS_URL']),
      probes: [
        { id: 'up', title: 'Up', kind: 'prometheus', target: 'prometheus', params: { query: 'up' } },
      ] as unknown as Runbook['probes'],
    });
    const r = await runDiagnosis({ runbook: rb, alert: alertOf(rb), logger });
    expect(r.probes[0]).toMatchObject({ status: 'unknown', summary: 'not configured: set PROMETHEUS_URL' });
  });

  it('a probe that throws is reported, the diagnosis goes on', async () => {
    const rb = runbook({
      targets: target('files', 'files', { root: dir }),
      probes: [
        { id: 'bug', title: 'Bug', kind: 'buggy', params: {} },
        { id: 'pid', title: 'PID', kind: 'pidfile', target: 'files', params: { path: 'daemon.pid' } },
      ] as unknown as Runbook['probes'],
    });
    const r = await runDiagnosis({ runbook: rb, alert: alertOf(rb), logger, registry: { ...probeRegistry, buggy: buggyProbe } });
    expect(r.probes.map((p) => [p.id, p.status, p.summary])).toEqual([
      ['bug', 'unknown', 'probe error: cannot read properties of undefined'],
      ['pid', 'ok', `process ${process.pid} is running`],
    ]);
  });

  it('an alert without a remediations key is offered no action; assumed metrics and dependency causes are marked', async () => {
    const rb = runbook({
      alerts: [{ name: 'DiskSpaceWarning', severity: 'P3', probes: ['pid', 'hb'] }],
      targets: target('files', 'files', { root: dir }),
      probes: [
        { id: 'pid', title: 'PID', kind: 'pidfile', target: 'files', params: { path: 'missing.pid' } },
        { id: 'hb', title: 'Heartbeat', kind: 'heartbeat', target: 'files', assumed: true, params: { path: 'no-heartbeat.json' } },
      ] as unknown as Runbook['probes'],
      causes: [
        { when: { probe: 'pid', status: 'crit' }, cause: 'Terminate transactions', fix: 'needs the database' },
        { when: { probe: 'hb', status: ['warn', 'crit'] }, cause: 'Redis unreachable', fix: 'Restore Redis first', dependency: true },
      ],
      remediations: [
        { id: 'terminate', kind: 'postgres.terminate-long-running', title: 'Terminate transactions', risk: 'high', params: {} },
      ],
    });
    const r = await runDiagnosis({ runbook: rb, alert: alertOf(rb), logger, now: () => NOW });
    expect(r.remediations).toEqual([]);
    expect(r.probes.find((p) => p.id === 'hb')?.assumed).toBe(true);
    expect(r.probes.find((p) => p.id === 'pid')?.assumed).toBeUndefined();
    expect(r.causes.map((c) => c.cause)).toEqual(['Redis unreachable', 'Terminate transactions']);
    expect(formatDiagnosisText(r)).toMatch(/Heartbeat \[heartbeat, \d+ ms\]: .*\(assumed metric\)/);
  });

  it('status, likely causes keyed to outcomes, manual steps, remediations and metrics', async () => {
    const rb = runbook({
      alerts: [{ name: 'DaemonNotRunning', severity: 'P0', probes: ['pid', 'hb'], remediations: ['restart'], manualSteps: ['Look at ps'] }],
      targets: target('files', 'files', { root: dir }),
      probes: [
        { id: 'pid', title: 'PID', kind: 'pidfile', target: 'files', params: { path: 'missing.pid' } },
        { id: 'hb', title: 'Heartbeat', kind: 'heartbeat', target: 'files', params: { path: 'heartbeat.json' } },
        { id: 'not-for-this-alert', title: 'Other', kind: 'disk', target: 'files', params: {} },
      ] as unknown as Runbook['probes'],
      causes: [
        { when: { probe: 'pid', status: 'crit' }, cause: 'Daemon gone', fix: 'Start it' },
        { when: { probe: 'hb', status: ['warn', 'crit'] }, cause: 'Stale heartbeat', fix: 'Restart' },
      ],
      manualSteps: ['Post in the channel'],
      remediations: [
        { id: 'restart', kind: 'process.signal', title: 'Restart', risk: 'medium', params: {} },
        { id: 'other', kind: 'docker.restart', title: 'Other', risk: 'high', params: {} },
      ],
    });
    const registry = new Registry();
    const metrics = createDiagnosisMetrics(registry);
    const r = await runDiagnosis({ runbook: rb, alert: alertOf(rb), logger, now: () => NOW, metrics });
    expect(r.status).toBe('crit');
    expect(r.probes.map((p) => p.id)).toEqual(['pid', 'hb']);
    expect(r.causes).toEqual([{ probe: 'pid', status: 'crit', cause: 'Daemon gone', fix: 'Start it' }]);
    expect(r.manualSteps).toEqual(['Look at ps', 'Post in the channel']);
    expect(r.remediations).toEqual([{ id: 'restart', kind: 'process.signal', title: 'Restart', risk: 'medium' }]);
    expect(r.runbook).toEqual({
      id: 'test-runbook',
      title: 'Test runbook',
      link: 'https://wiki.corp.internal/runbooks/test',
      file: 'test.yaml',
    });

    const text = await registry.metrics();
    expect(text).toMatch(/incident_bot_probe_outcomes_total\{kind="pidfile",status="crit"\} 1/);
    expect(text).toMatch(/incident_bot_probe_outcomes_total\{kind="heartbeat",status="ok"\} 1/);
    expect(text).toMatch(/incident_bot_probe_duration_seconds_count\{kind="pidfile",status="crit"\} 1/);
    expect(text).toMatch(/incident_bot_diagnoses_total\{runbook="test-runbook",status="crit"\} 1/);
  });

  it('cancelling the diagnosis cuts every probe', async () => {
    const rb = runbook({ probes: [{ id: 'deaf', title: 'Deaf', kind: 'deaf', params: {} }] as unknown as Runbook['probes'] });
    const ac = new AbortController();
    const p = runDiagnosis({
      runbook: rb,
      alert: alertOf(rb),
      logger,
      registry: { deaf: deafProbe },
      signal: ac.signal,
      probeTimeoutMs: 30_000,
    });
    ac.abort();
    const r = await p;
    expect(r.probes[0]).toMatchObject({ status: 'unknown', summary: 'cancelled' });
  });
});
