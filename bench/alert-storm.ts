import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Client } from 'pg';
import { startSlackEmulator, type RecordedCall, type SlackEmulator } from '../src/emulator/slack-emulator';
import { startBot } from '../test/support/bot-process';
import { createMigratedDatabase } from '../test/support/migrated-database';
import { REDIS_URL } from '../test/support/services';
import { sendEvent } from '../test/support/slack-signing';
import { benchBotNodeArgs, median, ms, runConcurrent, summarize, type Row } from './lib';

const ALERTS = 200;
const POSTS = 10_000;
const CHANNELS = 4;
const CONCURRENCY = 50;
const SECRET = 'bench-storm';
/** The machine is shared: each figure is the median of this many storms, with its range (ALERT_STORM_RUNS sets it). */
const RUNS = Number(process.env.ALERT_STORM_RUNS ?? 3);

/** Group sizes of 1–20 adding up to ALERTS, the same every run (a fixed linear congruential sequence). */
function groupSizes(): number[] {
  const sizes: number[] = [];
  let seed = 7;
  let left = ALERTS;
  while (left > 0) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const size = Math.min(left, 1 + (seed % 20));
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/** ALERT_STORM_TRACE=1: after each storm, how each channel's summary total followed the alerts recorded there. */
const TRACE = Boolean(process.env.ALERT_STORM_TRACE);

/** Polls the alerts recorded per channel every 100 ms: when each channel's count last grew, after `from`. */
function traceRecording(pg: Client, from: number) {
  const lastGrowth = new Map<string, { n: number; at: number }>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = (await pg.query<{ channel_id: string; n: string }>(`SELECT channel_id, count(*) AS n FROM alerts GROUP BY channel_id`))
        .rows;
      for (const r of rows)
        if (lastGrowth.get(r.channel_id)?.n !== Number(r.n)) lastGrowth.set(r.channel_id, { n: Number(r.n), at: Date.now() - from });
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return lastGrowth;
    },
  };
}

/** Per channel: when its last alert was recorded, then every summary post/edit (+ms: total) and thread post (+ms: T). */
function traceSummaries(
  calls: readonly { method: string; args: Record<string, unknown>; at: number; status: number }[],
  recorded: Map<string, { n: number; at: number }>,
  stormed: Map<string, number>,
  from: number,
): string {
  const lines: string[] = [];
  for (const [channel, n] of stormed) {
    const events = calls
      .filter((c) => c.args.channel === channel && (c.method === 'chat.postMessage' || String(c.args.text).startsWith('Alert storm')))
      .map((c) => {
        const text = String(c.args.text);
        const total = /^Alert storm(?: over)?: (\d+)/.exec(text)?.[1];
        const what = total ? `${c.method === 'chat.update' ? 'edit' : 'post'} ${total}` : c.args.thread_ts ? 'thread' : 'msg';
        return `+${c.at - from}:${what}${c.status === 200 ? '' : `(${c.status})`}`;
      });
    const rec = recorded.get(channel);
    lines.push(`    ${channel}: ${n} stormed, ${rec?.n ?? '?'} recorded by +${rec?.at ?? '?'} ms; ${events.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

/** What one storm measured. */
interface StormRun {
  groups: number;
  rows: number;
  lost: number;
  failures: number;
  firings: number;
  processedRate: number;
  sentMs: number;
  processedMs: number;
  posts: number;
  updates: number;
  maxPerSecond: number;
  maxPerMinute: number;
  summaryLagMs: number;
  incomplete: number;
  stormedChannels: number;
  peak: number;
  peakAfterFiring: number;
  ackP50: number;
  ackP99: number;
  totalMs: number;
  loadAtStart: number;
}

/**
 * An alert storm as Alertmanager posts it in Slack: 200 distinct alerts in notification groups of 1–20 (one post
 * lists a group's alerts with the common "labels list" template), spread over 4 channels; each group fires, then
 * its notification is re-posted until 10,000 posts went out, then it resolves. Sent through the signed events
 * endpoint, 50 at a time. Measures what people see (Slack Web API calls per alert, posts per channel per second and
 * per minute, how soon the storm summary is complete) and what the bot records (throughput into PostgreSQL,
 * duplicates, losses).
 */
async function oneStorm(): Promise<StormRun> {
  const loadAtStart = os.loadavg()[0]!;
  const groups = stormGroups();
  const { slack, database, bot, pg } = await startStormBot();
  const post = alertPoster(bot.url);
  const count = async (sql: string) => Number((await pg.query<{ n: string }>(sql)).rows[0]!.n);
  const rssPeak = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${bot.child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  let failures = 0;
  const ackMs: number[] = [];
  const ack = async (p: Promise<{ status: number; ms: number }>) => {
    const r = await p;
    ackMs.push(r.ms);
    if (r.status !== 200) failures++;
  };

  // Every group fires (the storm's new alerts), then its notification comes again and again, then it resolves.
  const refirePosts = POSTS - 2 * groups.length;
  const firings =
    groups.map((g) => g.size).reduce((a, b) => a + b, 0) +
    Array.from({ length: refirePosts }, (_, i) => groups[i % groups.length]!.size).reduce((a, b) => a + b, 0);
  const t0 = performance.now();
  await runConcurrent(groups.length, CONCURRENCY, (i) => ack(post(groups[i]!, 'FIRING')));
  const lastNewAckedAt = Date.now();
  const recording = TRACE ? traceRecording(pg, lastNewAckedAt) : undefined;
  await runConcurrent(refirePosts, CONCURRENCY, (i) => ack(post(groups[i % groups.length]!, 'FIRING')));
  const sentMs = performance.now() - t0;
  await settle('every firing counted', async () => (await count(`SELECT COALESCE(sum(fire_count), 0) AS n FROM alerts`)) >= firings);
  const processedMs = performance.now() - t0;
  const peakAfterFiring = rssPeak();
  const summaries = await waitForSummaries(pg, slack, lastNewAckedAt);
  if (recording) process.stderr.write(traceSummaries(slack.calls, await recording.stop(), summaries.stormed, lastNewAckedAt));

  await runConcurrent(groups.length, CONCURRENCY, (i) => ack(post(groups[i]!, 'RESOLVED')));
  await settle('every alert resolved', async () => (await count(`SELECT count(*) AS n FROM alerts WHERE resolved_at IS NULL`)) === 0);
  const totalMs = performance.now() - t0;
  // Edits of re-fire counts wait out their window; the last ones land within it.
  await new Promise((r) => setTimeout(r, 2_000));

  const rows = await count(`SELECT count(*) AS n FROM alerts`);
  const fired = await count(`SELECT COALESCE(sum(fire_count), 0) AS n FROM alerts`);
  const posts = slack.callsTo('chat.postMessage').filter((c) => c.status === 200);
  const updates = slack.callsTo('chat.update').filter((c) => c.status === 200);
  const peak = rssPeak();
  await pg.end();
  await bot.stop();
  await slack.close();
  await database.drop();

  const acks = summarize(ackMs);
  return {
    groups: groups.length,
    rows,
    lost: firings - fired,
    failures,
    firings,
    processedRate: firings / (processedMs / 1000),
    sentMs,
    processedMs,
    posts: posts.length,
    updates: updates.length,
    ...postRates(posts),
    summaryLagMs: summaries.lagMs,
    incomplete: summaries.incomplete,
    stormedChannels: summaries.stormed.size,
    peak,
    peakAfterFiring,
    ackP50: acks.p50,
    ackP99: acks.p99,
    totalMs,
    loadAtStart,
  };
}

/** The notification groups: their size, channel, and the number of their first alert. */
function stormGroups(): StormGroup[] {
  const sizes = groupSizes();
  return sizes.map((size, g) => ({
    g,
    size,
    channel: `C0STORM${g % CHANNELS}`,
    first: sizes.slice(0, g).reduce((a, b) => a + b, 0),
  }));
}

interface StormGroup {
  g: number;
  size: number;
  channel: string;
  first: number;
}

/** A Slack emulator, a fresh database, the bot on both (and on the shared Redis), and a client of the database. */
async function startStormBot() {
  const slack = await startSlackEmulator({ botToken: 'xoxb-test-token' });
  const database = await createMigratedDatabase('bench_storm');
  await database.db.close();
  const bot = await startBot(
    {
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      DATABASE_URL: database.url,
      REDIS_URL,
      LOG_LEVEL: 'warn',
    },
    { nodeArgs: benchBotNodeArgs() },
  );
  await bot.waitForReady();
  const pg = new Client({ connectionString: database.url });
  await pg.connect();
  return { slack, database, bot, pg };
}

/** Posts a group's notification as Alertmanager does with the "labels list" template, as a signed Slack event. */
function alertPoster(botUrl: string) {
  const run = Date.now().toString(36).toUpperCase();
  let seq = 0;
  return (group: StormGroup, status: 'FIRING' | 'RESOLVED') => {
    seq++;
    const ts = `${1700000000 + seq}.${String(seq % 1e6).padStart(6, '0')}`;
    const name = `StormGroup${group.g}`;
    const title = status === 'FIRING' ? `[FIRING:${group.size}] ${name}` : `[RESOLVED] ${name}`;
    const text = Array.from({ length: group.size }, (_, k) => {
      const n = group.first + k;
      const severity = n % 3 === 0 ? 'critical' : 'warning';
      return `*Alert:* ${name} on agent-${n} - \`${severity}\`\n*Details:*\n • *alertname:* \`${name}\`\n • *instance:* \`agent-${n}\`\n • *severity:* \`${severity}\`\n`;
    }).join('');
    const event = {
      type: 'message',
      subtype: 'bot_message',
      text: '',
      username: 'Alertmanager',
      bot_id: 'B0ALERTMGR',
      attachments: [{ fallback: title, title, text }],
      ts,
      channel: group.channel,
      event_ts: ts,
      channel_type: 'channel',
    };
    return sendEvent(`${botUrl}/slack/events`, { signingSecret: SECRET }, { event_id: `EvSTORM${run}${seq}`, event });
  };
}

async function settle(what: string, cond: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`alert storm: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The storm summary of each channel, complete: it counts every alert of the channel that got no message of its own.
 * The slowest channel's lag after `from`, and how many channels got no complete summary within 30 s.
 */
async function waitForSummaries(pg: Client, slack: SlackEmulator, from: number) {
  const stormed = new Map(
    (
      await pg.query<{ channel_id: string; n: string }>(
        `SELECT channel_id, count(*) AS n FROM alerts WHERE reply_ts IS NULL GROUP BY channel_id`,
      )
    ).rows.map((r) => [r.channel_id, Number(r.n)]),
  );
  let lagMs = 0;
  let incomplete = 0;
  for (const [channel, n] of stormed) {
    const shows = (c: RecordedCall) => c.args.channel === channel && String(c.args.text).startsWith(`Alert storm: ${n} new alerts`);
    const complete = await slack
      .waitForCall('chat.update', shows, 30_000)
      .catch(() => slack.calls.find((c) => c.method === 'chat.postMessage' && shows(c)));
    if (!complete) incomplete++;
    else lagMs = Math.max(lagMs, complete.at - from);
  }
  return { stormed, lagMs, incomplete };
}

/** The most posts any channel got within 1 s and within 60 s. */
function postRates(posts: readonly RecordedCall[]): { maxPerSecond: number; maxPerMinute: number } {
  let maxPerSecond = 0;
  let maxPerMinute = 0;
  const byChannel = new Map<string, number[]>();
  for (const c of posts) byChannel.set(String(c.args.channel), [...(byChannel.get(String(c.args.channel)) ?? []), c.at]);
  for (const times of byChannel.values()) {
    times.sort((a, b) => a - b);
    for (let i = 0; i < times.length; i++) {
      maxPerSecond = Math.max(maxPerSecond, times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length);
      maxPerMinute = Math.max(maxPerMinute, times.filter((t) => t >= times[i]! && t < times[i]! + 60_000).length);
    }
  }
  return { maxPerSecond, maxPerMinute };
}

/**
 * The storm, RUNS times (each with a fresh bot and database). Every figure is the median of the runs, with the range;
 * what must never happen (a duplicate, a loss, two posts within a second in a channel) is judged on every run.
 */
export async function alertStormBench(): Promise<Row[]> {
  const runs: StormRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await oneStorm();
    process.stderr.write(
      `  storm ${i + 1}/${RUNS} (load ${r.loadAtStart.toFixed(1)}): ${r.processedRate.toFixed(0)} firings/s, ` +
        `${r.maxPerSecond} posts/s/channel max, summary after ${(r.summaryLagMs / 1000).toFixed(1)} s\n`,
    );
    runs.push(r);
  }
  const med = (f: (r: StormRun) => number) => median(runs.map(f));
  const range = (f: (r: StormRun) => number, show: (n: number) => string) =>
    runs.length > 1 ? ` (runs: ${runs.map((r) => show(f(r))).join(', ')})` : '';
  const secs = (n: number) => `${(n / 1000).toFixed(1)} s`;
  const last = runs.at(-1)!;
  const heapCap =
    benchBotNodeArgs()
      .filter((a) => a.startsWith('--max-old-space-size'))
      .at(-1) ?? '--max-old-space-size=128';
  const of = `median of ${runs.length}`;
  const rate = med((r) => r.processedRate);
  const postsPerAlert = med((r) => r.posts) / ALERTS;
  const worstPerSecond = Math.max(...runs.map((r) => r.maxPerSecond));
  const lag = med((r) => r.summaryLagMs);
  const incomplete = runs.some((r) => r.incomplete > 0 || r.stormedChannels === 0);
  const peak = Math.max(...runs.map((r) => r.peak));
  return [
    {
      bench: 'alert-storm',
      measure: `${POSTS.toLocaleString('en')} posts, ${ALERTS} alerts in ${last.groups} groups of 1–20 over ${CHANNELS} channels: records / duplicates / lost firings / failed acks`,
      value: `${Math.max(...runs.map((r) => r.rows))} / ${Math.max(...runs.map((r) => r.rows - ALERTS))} / ${Math.max(...runs.map((r) => r.lost))} / ${Math.max(...runs.map((r) => r.failures))} (worst of ${runs.length} storms)`,
      target: '0 duplicates, 0 lost',
      verdict: runs.every((r) => r.rows === ALERTS && r.lost === 0 && r.failures === 0) ? 'met' : 'missed',
    },
    {
      bench: 'alert-storm',
      measure: 'alert firings processed into PostgreSQL (first post sent → every firing counted)',
      value: `${rate.toFixed(0)} firings/s, ${of}${range(
        (r) => r.processedRate,
        (n) => n.toFixed(0),
      )}; ${last.firings.toLocaleString('en')} firings; posts sent in ${secs(med((r) => r.sentMs))}, processed in ${secs(med((r) => r.processedMs))}`,
      target: '≥ 1,000 events/s',
      verdict: rate >= 1000 ? 'met' : 'missed',
    },
    {
      bench: 'alert-storm',
      measure: 'Slack Web API calls per alert: posts / in-place updates',
      value: `${postsPerAlert.toFixed(3)} / ${(med((r) => r.updates) / ALERTS).toFixed(3)} (${med((r) => r.posts)} posts, ${med((r) => r.updates)} updates; ${of})`,
      target: '≤ 0.2 posts per alert',
      verdict: postsPerAlert <= 0.2 ? 'met' : 'missed',
    },
    {
      bench: 'alert-storm',
      measure: 'bot posts per channel: max in 1 s / max in 60 s',
      value: `${worstPerSecond} / ${Math.max(...runs.map((r) => r.maxPerMinute))} (worst of ${runs.length} storms)`,
      target: '≤ 1 post/s/channel',
      verdict: worstPerSecond <= 1 ? 'met' : 'missed',
    },
    {
      bench: 'alert-storm',
      measure: 'storm summary complete after the last new alert was acknowledged (slowest channel)',
      value: incomplete
        ? `${runs.filter((r) => r.incomplete > 0).length} of ${runs.length} storms left a channel without a complete summary`
        : `${secs(lag)}, ${of}${range((r) => r.summaryLagMs, secs)}; ${last.stormedChannels} channels in storm`,
      target: '≤ 10 s',
      verdict: !incomplete && lag <= 10_000 ? 'met' : 'missed',
    },
    {
      bench: 'alert-storm',
      measure: 'peak RSS of the bot process (VmHWM)',
      value: `${(peak / 2 ** 20).toFixed(0)} MB, highest of ${runs.length} storms (${(Math.max(...runs.map((r) => r.peakAfterFiring)) / 2 ** 20).toFixed(0)} MB after the firings); event acks p50 / p99 ${ms(med((r) => r.ackP50))} / ${ms(med((r) => r.ackP99))} (${of}); bot run with ${heapCap}; whole storm ${secs(med((r) => r.totalMs))}; load average at each storm's start ${runs.map((r) => r.loadAtStart.toFixed(1)).join(', ')}`,
      target: '≤ 200 MB',
      verdict: peak <= 200 * 2 ** 20 ? 'met' : 'missed',
    },
  ];
}
