import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSlackEmulator } from '../src/emulator/slack-emulator';
import { startBot } from '../test/support/bot-process';
import { createMigratedDatabase } from '../test/support/migrated-database';
import { ms, summarize, type Row } from './lib';

const RUNS = 5;
const READY_LIMIT_MS = 30_000;

/** Process start to /health/ready 200, with a real PostgreSQL and with the embedded one. */
export async function startBench(): Promise<Row[]> {
  const slack = await startSlackEmulator({ botToken: 'xoxb-test-token' });
  const database = await createMigratedDatabase('bench_start');
  await database.db.close();
  const real: number[] = [];
  const embedded: number[] = [];
  const notReady = { real: 0, embedded: 0 };
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-bench-start-'));
  const common = { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: 'bench', SLACK_API_URL: slack.url, LOG_LEVEL: 'warn' };
  for (let i = 0; i < RUNS; i++) {
    for (const [which, env, out] of [
      ['real', { ...common, DATABASE_URL: database.url }, real],
      ['embedded', { ...common, DATA_DIR: dataDir }, embedded],
    ] as const) {
      const started = performance.now();
      const bot = await startBot(env);
      // A start past the limit is a measured miss, not a reason to lose every other bench's figures.
      const ready = await bot.waitForReady(READY_LIMIT_MS).then(
        () => true,
        () => false,
      );
      out.push(ready ? performance.now() - started : READY_LIMIT_MS);
      if (!ready) notReady[which]++;
      const code = await bot.stop();
      if (ready && code !== 0) throw new Error(`${which} bot exited with ${code}`);
    }
  }
  await slack.close();
  await database.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
  const r = summarize(real);
  const e = summarize(embedded);
  return [
    {
      bench: 'start',
      measure: `real PostgreSQL, median / max of ${RUNS}`,
      value: `${ms(r.p50)} / ${ms(r.max)}${notReady.real ? ` (${notReady.real} not ready within ${READY_LIMIT_MS / 1000} s)` : ''}`,
      target: '≤ 2 s',
      verdict: r.p50 <= 2000 ? 'met' : 'missed',
    },
    {
      bench: 'start',
      measure: `embedded PGlite, median / max of ${RUNS}`,
      value: `${ms(e.p50)} / ${ms(e.max)}${notReady.embedded ? ` (${notReady.embedded} not ready within ${READY_LIMIT_MS / 1000} s)` : ''}`,
      target: '≤ 5 s',
      verdict: e.p50 <= 5000 ? 'met' : 'missed',
    },
  ];
}
