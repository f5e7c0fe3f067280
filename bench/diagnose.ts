import fs from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { runDiagnosis } from '../src/diagnosis';
import { startSlackEmulator } from '../src/emulator/slack-emulator';
import { findAlert, loadCatalog, type Runbook } from '../src/runbooks';
import { startBot } from '../test/support/bot-process';
import { createMigratedDatabase } from '../test/support/migrated-database';
import { POSTGRES_ADMIN_URL, REDIS_URL } from '../test/support/services';
import { sendSlashCommand } from '../test/support/slack-signing';
import { median, ms, summarize, type Row } from './lib';

const RUNS = 7;
const PG_CHUNK_DELAY_MS = 80;
const REDIS_CHUNK_DELAY_MS = 60;

/**
 * Eight probes spread from ~50 to ~800 ms, each against a real local target: HTTP endpoints that
 * answer after a set delay, and PostgreSQL and Redis behind a local TCP proxy that holds every
 * chunk the server sends back for a set time (a slower network, real protocol round trips).
 */
const RUNBOOK = `id: bench
title: Bench runbook
link: https://wiki.corp.internal/runbooks/bench
targets:
  db: { kind: postgres, connection: '\${BENCH_DB_URL}' }
  cache: { kind: redis, url: '\${BENCH_REDIS_URL}' }
  svc: { kind: http, url: '\${BENCH_HTTP_URL}' }
probes:
  - { id: health, title: Health (50 ms), kind: http, target: svc, params: { path: /delay, query: { ms: '50' } } }
  - { id: ready, title: Readiness (120 ms), kind: http, target: svc, params: { path: /delay, query: { ms: '120' } } }
  - { id: scrape, title: Metrics (250 ms), kind: metrics-scrape, target: svc, params: { path: /metrics, series: [{ name: active_tasks, aggregate: sum }] } }
  - { id: cache, title: Redis, kind: redis, target: cache, params: { checks: [ping, memory] } }
  - { id: db, title: PostgreSQL, kind: postgres, target: db, params: { checks: [connectivity, connections] } }
  - { id: locks, title: Locks, kind: postgres, target: db, params: { checks: [blocked-locks, long-transactions], longTransactionMinutes: 5 } }
  - { id: queue, title: Queue endpoint (600 ms), kind: http, target: svc, params: { path: /delay, query: { ms: '600' } } }
  - { id: upstream, title: Upstream (800 ms), kind: http, target: svc, params: { path: /delay, query: { ms: '800' } } }
alerts:
  - { name: BenchAlert, severity: P1 }
`;

/** A TCP proxy to `target` that delays each chunk the server sends by `delayMs`. */
async function startDelayingProxy(
  target: { host: string; port: number },
  delayMs: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => setTimeout(() => client.writable && client.write(d), delayMs));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => setTimeout(() => client.destroy(), delayMs));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * The diagnosis engine on that runbook: wall time of the parallel run vs its slowest probe and vs the
 * same checks one after another; then, through the bot, the time to the first visible Slack message.
 */
export async function diagnoseBench(): Promise<Row[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-bench-diag-'));
  const commands = path.join(dir, 'commands');
  await fs.mkdir(commands);
  await fs.writeFile(path.join(commands, 'bench.yaml'), RUNBOOK);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://bench');
    const metrics = url.pathname === '/metrics';
    const delay = metrics ? 250 : Number(url.searchParams.get('ms') ?? 0);
    setTimeout(() => {
      res.writeHead(200, { 'content-type': metrics ? 'text/plain' : 'application/json' });
      res.end(metrics ? 'active_tasks 3\n' : '{"status":"ok"}');
    }, delay);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const pgUrl = new URL(POSTGRES_ADMIN_URL);
  const redisUrl = new URL(REDIS_URL);
  const pgProxy = await startDelayingProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) }, PG_CHUNK_DELAY_MS);
  const redisProxy = await startDelayingProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) }, REDIS_CHUNK_DELAY_MS);
  pgUrl.port = String(pgProxy.port);
  redisUrl.port = String(redisProxy.port);
  const env = {
    BENCH_DB_URL: pgUrl.toString(),
    BENCH_REDIS_URL: redisUrl.toString(),
    BENCH_HTTP_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
  const catalog = await loadCatalog(commands, env);
  const found = findAlert(catalog, 'BenchAlert');
  if (!found.found) throw new Error('bench runbook not loaded');
  const logger = pino({ level: 'silent' });

  const parallel: number[] = [];
  const slowest: number[] = [];
  const sequential: number[] = [];
  const overheads: number[] = [];
  const perProbe = new Map<string, number[]>();
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await runDiagnosis({ runbook: found.runbook, alert: found.alert, logger });
    parallel.push(performance.now() - t0);
    slowest.push(Math.max(...r.probes.map((p) => p.durationMs)));
    overheads.push(parallel.at(-1)! - slowest.at(-1)!);
    for (const p of r.probes) perProbe.set(p.id, [...(perProbe.get(p.id) ?? []), p.durationMs]);
    if (r.probes.some((p) => p.status === 'unknown'))
      throw new Error(`a bench probe did not work: ${JSON.stringify(r.probes.filter((p) => p.status === 'unknown'))}`);
    // The runbook way: one check after another.
    const s0 = performance.now();
    for (const probe of found.runbook.probes) {
      const one: Runbook = { ...found.runbook, probes: [probe] };
      await runDiagnosis({ runbook: one, alert: { ...found.alert, probes: undefined }, logger });
    }
    sequential.push(performance.now() - s0);
  }

  // First visible message through Slack: command → chat.postMessage at the emulator.
  const slack = await startSlackEmulator({ botToken: 'xoxb-test-token' });
  const database = await createMigratedDatabase('bench_diagnose');
  await database.db.close();
  const bot = await startBot({
    ...env,
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: 'bench',
    SLACK_API_URL: slack.url,
    DATABASE_URL: database.url,
    COMMANDS_DIR: commands,
    LOG_LEVEL: 'warn',
  });
  await bot.waitForReady();
  const firstMessage: number[] = [];
  const finalMessage: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const channel = `C0BENCH${i}`;
    // Each run in its own channel so the 1 post/s budget does not queue runs behind each other.
    const t0 = performance.now();
    await sendSlashCommand(
      `${bot.url}/slack/events`,
      { signingSecret: 'bench' },
      { text: 'diagnose BenchAlert', channel_id: channel, response_url: slack.responseUrl() },
    );
    await slack.waitForCall('chat.postMessage', (c) => c.args.channel === channel, 10_000);
    firstMessage.push(performance.now() - t0);
    await slack.waitForCall(
      'chat.update',
      (c) => c.args.channel === channel && JSON.stringify(c.args.blocks).includes('Diagnosis: BenchAlert'),
      10_000,
    );
    finalMessage.push(performance.now() - t0);
  }
  await bot.stop();
  await slack.close();
  await database.drop();
  server.close();
  await pgProxy.close();
  await redisProxy.close();
  await fs.rm(dir, { recursive: true, force: true });

  const p = summarize(parallel);
  const s = summarize(slowest);
  const q = summarize(sequential);
  const f = summarize(firstMessage);
  const fin = summarize(finalMessage);
  const overhead = median(overheads);
  const spread = [...perProbe.entries()].map(([id, d]) => `${id} ${median(d).toFixed(0)}`).join(', ');
  return [
    { bench: 'diagnose', measure: `probe durations, median of ${RUNS} (ms)`, value: spread, target: 'info', verdict: 'info' },
    {
      bench: 'diagnose',
      measure: `8 probes in parallel vs their slowest probe, median of ${RUNS}`,
      value: `${ms(p.p50)} vs ${ms(s.p50)} (overhead +${ms(overhead)}, median of per-run differences)`,
      target: '≤ slowest + 100 ms',
      verdict: overhead <= 100 ? 'met' : 'missed',
    },
    {
      bench: 'diagnose',
      measure: 'same 8 checks one after another (the runbook way), median',
      value: `${ms(q.p50)} (${(q.p50 / p.p50).toFixed(1)}× the parallel time)`,
      target: 'info',
      verdict: 'info',
    },
    {
      bench: 'diagnose',
      measure: 'first visible Slack message (command → chat.postMessage), median / max',
      value: `${ms(f.p50)} / ${ms(f.max)}`,
      target: '≤ 300 ms',
      verdict: f.p50 <= 300 ? 'met' : 'missed',
    },
    {
      bench: 'diagnose',
      measure: 'final result in Slack (command → last chat.update), median',
      value: ms(fin.p50),
      target: 'info',
      verdict: 'info',
    },
  ];
}
