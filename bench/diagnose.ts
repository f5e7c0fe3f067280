import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { ms, summarize, type Row } from './lib';

const RUNS = 7;

const RUNBOOK = `id: bench
title: Bench runbook
link: https://wiki.corp.internal/runbooks/bench
targets:
  db: { kind: postgres, connection: '\${BENCH_DB_URL}' }
  cache: { kind: redis, url: '\${BENCH_REDIS_URL}' }
  svc: { kind: http, url: '\${BENCH_HTTP_URL}' }
  files: { kind: files, root: '\${BENCH_FILES}' }
probes:
  - { id: db, title: PostgreSQL, kind: postgres, target: db, params: { checks: [connectivity, connections] } }
  - { id: locks, title: Locks, kind: postgres, target: db, params: { checks: [blocked-locks, long-transactions], longTransactionMinutes: 5 } }
  - { id: cache, title: Redis, kind: redis, target: cache, params: { checks: [ping, memory] } }
  - { id: health, title: Health, kind: http, target: svc, params: { path: /health } }
  - { id: slow, title: Slow endpoint (1 s), kind: http, target: svc, params: { path: /slow } }
  - { id: scrape, title: Metrics, kind: metrics-scrape, target: svc, params: { path: /metrics, series: [{ name: active_tasks, aggregate: sum }] } }
  - { id: heartbeat, title: Heartbeat, kind: heartbeat, target: files, params: { path: heartbeat.json, field: timestamp, warnAgeSeconds: '> 60' } }
  - { id: disk, title: Disk, kind: disk, target: files, params: { path: '.', warn: '>= 0.9' } }
alerts:
  - { name: BenchAlert, severity: P1 }
`;

/**
 * A runbook of 8 probes against the real services, one taking 1 s: wall time of the
 * parallel diagnosis vs its slowest probe and vs the same checks one after another;
 * and the time to the first visible Slack message through the bot.
 */
export async function diagnoseBench(): Promise<Row[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-bench-diag-'));
  const commands = path.join(dir, 'commands');
  const files = path.join(dir, 'files');
  await fs.mkdir(commands);
  await fs.mkdir(files);
  await fs.writeFile(path.join(commands, 'bench.yaml'), RUNBOOK);
  await fs.writeFile(path.join(files, 'heartbeat.json'), JSON.stringify({ timestamp: new Date().toISOString() }));
  const server = http.createServer((req, res) => {
    const reply = () => {
      res.writeHead(200, { 'content-type': req.url === '/metrics' ? 'text/plain' : 'application/json' });
      res.end(req.url === '/metrics' ? 'active_tasks 3\n' : '{"status":"ok"}');
    };
    if (req.url === '/slow') setTimeout(reply, 1000);
    else reply();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const env = {
    BENCH_DB_URL: POSTGRES_ADMIN_URL,
    BENCH_REDIS_URL: REDIS_URL,
    BENCH_HTTP_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    BENCH_FILES: files,
  };
  const catalog = await loadCatalog(commands, env);
  const found = findAlert(catalog, 'BenchAlert');
  if (!found.found) throw new Error('bench runbook not loaded');
  const logger = pino({ level: 'silent' });

  const parallel: number[] = [];
  const slowest: number[] = [];
  const sequential: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await runDiagnosis({ runbook: found.runbook, alert: found.alert, logger });
    parallel.push(performance.now() - t0);
    slowest.push(Math.max(...r.probes.map((p) => p.durationMs)));
    if (r.probes.some((p) => p.status === 'unknown')) throw new Error(`a bench probe did not work: ${JSON.stringify(r.probes.filter((p) => p.status === 'unknown'))}`);
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
  const bot = await startBot({ ...env, SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: 'bench', SLACK_API_URL: slack.url, DATABASE_URL: database.url, COMMANDS_DIR: commands, LOG_LEVEL: 'warn' });
  await bot.waitForReady();
  const firstMessage: number[] = [];
  const finalMessage: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const channel = `C0BENCH${i}`;
    // Each run in its own channel so the 1 post/s budget does not queue runs behind each other.
    const t0 = performance.now();
    await sendSlashCommand(`${bot.url}/slack/events`, { signingSecret: 'bench' }, { text: 'diagnose BenchAlert', channel_id: channel, response_url: slack.responseUrl() });
    await slack.waitForCall('chat.postMessage', (c) => c.args.channel === channel, 10_000);
    firstMessage.push(performance.now() - t0);
    await slack.waitForCall('chat.update', (c) => c.args.channel === channel && JSON.stringify(c.args.blocks).includes('Diagnosis: BenchAlert'), 10_000);
    finalMessage.push(performance.now() - t0);
  }
  await bot.stop();
  await slack.close();
  await database.drop();
  server.close();
  await fs.rm(dir, { recursive: true, force: true });

  const p = summarize(parallel);
  const s = summarize(slowest);
  const q = summarize(sequential);
  const f = summarize(firstMessage);
  const fin = summarize(finalMessage);
  const overhead = p.p50 - s.p50;
  return [
    { bench: 'diagnose', measure: `8 probes in parallel vs slowest probe, median of ${RUNS}`, value: `${ms(p.p50)} vs ${ms(s.p50)} (+${ms(overhead)})`, target: '≤ slowest + 100 ms', verdict: overhead <= 100 ? 'met' : 'missed' },
    { bench: 'diagnose', measure: 'same checks one after another (the runbook way)', value: `${ms(q.p50)} (${(q.p50 / p.p50).toFixed(1)}× the parallel time)`, target: 'info', verdict: 'info' },
    { bench: 'diagnose', measure: 'first visible Slack message (command → chat.postMessage), median / max', value: `${ms(f.p50)} / ${ms(f.max)}`, target: '≤ 300 ms', verdict: f.p50 <= 300 ? 'met' : 'missed' },
    { bench: 'diagnose', measure: 'final result in Slack (command → last chat.update), median', value: ms(fin.p50), target: 'info', verdict: 'info' },
  ];
}
