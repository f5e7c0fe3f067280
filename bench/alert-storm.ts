import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { startSlackEmulator } from '../src/emulator/slack-emulator';
import { startBot } from '../test/support/bot-process';
import { createMigratedDatabase } from '../test/support/migrated-database';
import { REDIS_URL } from '../test/support/services';
import { sendEvent } from '../test/support/slack-signing';
import { benchBotNodeArgs, ms, runConcurrent, summarize, type Row } from './lib';

const ALERTS = 200;
const CHANNELS = 20;
// Per alert: 1 firing + 39 paced re-fires + 9 burst re-fires + 1 resolve = 50 posts, 10,000 in all.
const PACED_REFIRES = 39;
const BURST_REFIRES = 9;
const REFIRES = PACED_REFIRES + BURST_REFIRES;
const STORM_SECONDS = 48; // the paced part; with the burst and the resolves the storm lasts about a minute
const CONCURRENCY = 50;
const SECRET = 'bench-storm';

/**
 * 10,000 Alertmanager posts (200 distinct alerts firing, re-firing and resolving) through the
 * signed events endpoint: ingest rate, duplicates, losses, posts per channel per second, peak RSS.
 */
export async function alertStormBench(): Promise<Row[]> {
  const run = Date.now().toString(36).toUpperCase();
  const slack = await startSlackEmulator({ botToken: 'xoxb-test-token' });
  const database = await createMigratedDatabase('bench_storm');
  await database.db.close();
  const bot = await startBot({ SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url, DATABASE_URL: database.url, REDIS_URL, LOG_LEVEL: 'warn' }, { nodeArgs: benchBotNodeArgs() });
  await bot.waitForReady();
  const pg = new Client({ connectionString: database.url });
  await pg.connect();

  let seq = 0;
  const post = (alert: number, status: 'FIRING' | 'RESOLVED') => {
    seq++;
    const ts = `${1700000000 + seq}.${String(seq % 1e6).padStart(6, '0')}`;
    const title = status === 'FIRING' ? `[FIRING:1] StormAlert (prod agent-${alert} critical)` : `[RESOLVED] StormAlert (prod agent-${alert} critical)`;
    return sendEvent(`${bot.url}/slack/events`, { signingSecret: SECRET }, {
      event_id: `EvSTORM${run}${seq}`,
      event: {
        type: 'message',
        subtype: 'bot_message',
        text: '',
        username: 'Alertmanager',
        bot_id: 'B0ALERTMGR',
        attachments: [{ fallback: title, title, text: `*Details:*\n  • *alertname:* \`StormAlert\`\n  • *instance:* \`agent-${alert}\`\n  • *severity:* \`critical\`\n` }],
        ts,
        channel: `C0STORM${alert % CHANNELS}`,
        event_ts: ts,
        channel_type: 'channel',
      },
    });
  };
  const count = async (sql: string) => Number((await pg.query<{ n: string }>(sql)).rows[0]!.n);
  const settle = async (what: string, cond: () => Promise<boolean>, timeoutMs = 300_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error(`alert storm: ${what} did not happen within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const rssPeak = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${bot.child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  let failures = 0;
  const ackMs: number[] = [];
  const ack = async (p: Promise<{ status: number; ms: number }>) => {
    const r = await p;
    ackMs.push(r.ms);
    if (r.status !== 200) failures++;
  };

  const t0 = performance.now();
  // The storm as Slack would deliver it: ~167 posts a second, every alert firing then re-firing.
  const paced = [...Array.from({ length: ALERTS }, (_, i) => i), ...Array.from({ length: ALERTS * PACED_REFIRES }, (_, i) => i % ALERTS)];
  const perTick = Math.ceil(paced.length / (STORM_SECONDS * 10));
  const inFlight: Promise<void>[] = [];
  for (let k = 0; k < paced.length; k += perTick) {
    const tick = performance.now();
    for (const alert of paced.slice(k, k + perTick)) inFlight.push(ack(post(alert, 'FIRING')));
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - tick))));
  }
  await Promise.all(inFlight);
  const pacedMs = performance.now() - t0;
  const peakAfterPaced = rssPeak();
  // Then a burst as fast as 50 concurrent senders go: what the endpoint can ingest.
  const tBurst = performance.now();
  await runConcurrent(ALERTS * BURST_REFIRES, CONCURRENCY, (i) => ack(post(i % ALERTS, 'FIRING')));
  const ingestMs = performance.now() - tBurst;
  await settle('every re-fire counted', async () => (await count(`SELECT COALESCE(sum(fire_count), 0) AS n FROM alerts`)) >= ALERTS * (REFIRES + 1));
  const processedMs = performance.now() - t0;
  await runConcurrent(ALERTS, CONCURRENCY, (i) => ack(post(i, 'RESOLVED')));
  await settle('every alert resolved', async () => (await count(`SELECT count(*) AS n FROM alerts WHERE resolved_at IS NULL`)) === 0);
  await settle('one reply per alert', async () => slack.callsTo('chat.postMessage').filter((c) => c.status === 200).length >= ALERTS, 120_000);
  const totalMs = performance.now() - t0;

  const rows = await count(`SELECT count(*) AS n FROM alerts`);
  const fired = await count(`SELECT COALESCE(sum(fire_count), 0) AS n FROM alerts`);
  const posts = slack.callsTo('chat.postMessage').filter((c) => c.status === 200);
  const updates = slack.callsTo('chat.update').length;
  // Posts per channel: the most in any one second, and the most over any 10 s (sustained).
  let maxPerSecond = 0;
  let maxPer10s = 0;
  const byChannel = new Map<string, number[]>();
  for (const c of posts) byChannel.set(String(c.args.channel), [...(byChannel.get(String(c.args.channel)) ?? []), c.at]);
  for (const times of byChannel.values()) {
    times.sort((a, b) => a - b);
    for (let i = 0; i < times.length; i++) {
      maxPerSecond = Math.max(maxPerSecond, times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length);
      maxPer10s = Math.max(maxPer10s, times.filter((t) => t >= times[i]! && t < times[i]! + 10_000).length);
    }
  }
  const peak = rssPeak();
  await pg.end();
  await bot.stop();
  await slack.close();
  await database.drop();

  const events = ALERTS * (REFIRES + 2);
  const acks = summarize(ackMs);
  const heapCap = benchBotNodeArgs().filter((a) => a.startsWith('--max-old-space-size')).at(-1) ?? '--max-old-space-size=128';
  const ingestRate = (ALERTS * BURST_REFIRES) / (ingestMs / 1000);
  const pacedRate = paced.length / (pacedMs / 1000);
  const processedRate = (ALERTS * (REFIRES + 1)) / (processedMs / 1000);
  return [
    { bench: 'alert-storm', measure: `${events.toLocaleString('en')} posts, ${ALERTS} alerts: records / duplicates / lost firings / failed acks`, value: `${rows} / ${rows - ALERTS} / ${ALERTS * (REFIRES + 1) - fired} / ${failures}`, target: '0 duplicates, 0 lost', verdict: rows === ALERTS && fired === ALERTS * (REFIRES + 1) && failures === 0 ? 'met' : 'missed' },
    { bench: 'alert-storm', measure: `storm sent at / burst ingested (signed HTTP acks, ${CONCURRENCY} concurrent) / all firings processed into PostgreSQL`, value: `${pacedRate.toFixed(0)} / ${ingestRate.toFixed(0)} / ${processedRate.toFixed(0)} events/s`, target: '≥ 1,000 events/s ingested', verdict: ingestRate >= 1000 ? 'met' : 'missed' },
    { bench: 'alert-storm', measure: 'bot posts per channel: max in 1 s / max in 10 s', value: `${maxPerSecond} / ${maxPer10s} (${posts.length} replies, ${updates} in-place updates)`, target: '≤ 1 per second sustained', verdict: maxPer10s <= 10 && maxPerSecond <= 2 ? 'met' : 'missed' },
    { bench: 'alert-storm', measure: 'peak RSS of the bot process (VmHWM)', value: `${(peak / 2 ** 20).toFixed(0)} MB (${(peakAfterPaced / 2 ** 20).toFixed(0)} MB before the burst); event acks p50 / p99 ${ms(acks.p50)} / ${ms(acks.p99)}; bot run with ${heapCap}; whole storm ${(totalMs / 1000).toFixed(1)} s`, target: '≤ 200 MB', verdict: peak <= 200 * 2 ** 20 ? 'met' : 'missed' },
  ];
}
