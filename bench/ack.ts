import { spawn } from 'node:child_process';
import path from 'node:path';
import { startSlackEmulator } from '../src/emulator/slack-emulator';
import { startBot } from '../test/support/bot-process';
import { createMigratedDatabase } from '../test/support/migrated-database';
import { freePort, REDIS_URL } from '../test/support/services';
import { sendInteraction, sendSlashCommand } from '../test/support/slack-signing';
import { ms, runConcurrent, summarize, type Row } from './lib';

const SECRET = 'bench-signing-secret';
const TOKEN = 'xoxb-test-token';
const CONCURRENCY = 50;
const PER_ROUND = 500;
const ROUNDS = 4;

/**
 * p50/p99 of HTTP acks for signed slash commands and button clicks at 50 concurrent,
 * the bot against a bare Bolt app, alternating rounds in the same run.
 */
export async function ackBench(): Promise<Row[]> {
  const slack = await startSlackEmulator({ botToken: TOKEN });
  const database = await createMigratedDatabase('bench_ack');
  await database.db.close();
  const bot = await startBot({ SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url, DATABASE_URL: database.url, REDIS_URL, LOG_LEVEL: 'warn' });
  const barePort = await freePort();
  const bare = spawn(process.execPath, [path.join(__dirname, 'bare-bolt.js')], {
    env: { PATH: process.env.PATH, SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: slack.url, PORT: String(barePort) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => bare.stdout!.once('data', () => resolve()));
  await bot.waitForReady();

  const targets = { bot: `${bot.url}/slack/events`, bare: `http://127.0.0.1:${barePort}/slack/events` };
  const samples: Record<'bot' | 'bare', { command: number[]; button: number[] }> = {
    bot: { command: [], button: [] },
    bare: { command: [], button: [] },
  };
  const responseUrl = slack.responseUrl();
  const click = {
    type: 'block_actions',
    user: { id: 'U0ONCALL01', username: 'alice', team_id: 'T0EMULATED' },
    team: { id: 'T0EMULATED', domain: 'emulated' },
    api_app_id: 'A0INCIDENTBOT',
    trigger_id: '1.2.3',
    response_url: responseUrl,
    channel: { id: 'C0BENCH', name: 'bench' },
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0BENCH', is_ephemeral: false },
    actions: [{ type: 'button', action_id: 'diagnose_again', block_id: 'b', value: 'not-json', action_ts: '1700000000.1' }],
  };

  // Warm both up, then alternate rounds so drift on this shared machine hits both alike.
  for (const which of ['bot', 'bare'] as const) {
    await runConcurrent(100, 10, async () => void (await sendSlashCommand(targets[which], { signingSecret: SECRET }, { text: 'help', response_url: responseUrl })));
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const which of round % 2 === 0 ? (['bot', 'bare'] as const) : (['bare', 'bot'] as const)) {
      await runConcurrent(PER_ROUND, CONCURRENCY, async (i) => {
        if (i % 2 === 0) {
          const r = await sendSlashCommand(targets[which], { signingSecret: SECRET }, { text: 'help', response_url: responseUrl });
          if (r.status !== 200) throw new Error(`${which} answered ${r.status} to a command`);
          samples[which].command.push(r.ms);
        } else {
          const r = await sendInteraction(targets[which], { signingSecret: SECRET }, click);
          if (r.status !== 200) throw new Error(`${which} answered ${r.status} to a click`);
          samples[which].button.push(r.ms);
        }
      });
    }
  }
  await bot.stop();
  bare.kill('SIGTERM');
  await slack.close();
  await database.drop();

  const rows: Row[] = [];
  for (const kind of ['command', 'button'] as const) {
    const b = summarize(samples.bot[kind]);
    const base = summarize(samples.bare[kind]);
    const r50 = b.p50 / base.p50;
    const r99 = b.p99 / base.p99;
    rows.push({
      bench: 'ack',
      measure: `${kind} p50 / p99 (n=${b.n}, 50 concurrent)`,
      value: `bot ${ms(b.p50)} / ${ms(b.p99)}; bare Bolt ${ms(base.p50)} / ${ms(base.p99)}; ratio ${r50.toFixed(2)}× / ${r99.toFixed(2)}×`,
      target: '≤ 1.3× bare Bolt (p50 and p99)',
      verdict: r50 <= 1.3 && r99 <= 1.3 ? 'met' : 'missed',
    });
  }
  return rows;
}
