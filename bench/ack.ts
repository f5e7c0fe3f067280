import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { REPLAY_WINDOW_MS } from '../src/coordination/replay-guard';
import { startSlackEmulator } from '../src/emulator/slack-emulator';
import { startBot } from '../test/support/bot-process';
import { createMigratedDatabase } from '../test/support/migrated-database';
import { freePort, REDIS_URL } from '../test/support/services';
import { sendInteraction, sendSlashCommand } from '../test/support/slack-signing';
import { benchBotNodeArgs, cpuSeconds, median, ms, runConcurrent, summarize, type Row } from './lib';

const SECRET = 'bench-signing-secret';
const TOKEN = 'xoxb-test-token';
const CONCURRENCY = Number(process.env.ACK_CONCURRENCY ?? 50);
const PER_ROUND = Number(process.env.ACK_PER_ROUND ?? 1000);
const ROUNDS = Number(process.env.ACK_ROUNDS ?? 5);
// ACK_KINDS=command (or button) narrows a run while profiling; the report needs both.
const KINDS = (process.env.ACK_KINDS ?? 'command,button').split(',') as Kind[];

/** The bot on the shared Redis, the bot on a Redis server started for the bench (PostgreSQL decides), bare Bolt. */
type Server = 'bot' | 'fresh' | 'bare';
const SERVERS: readonly Server[] = ['bot', 'fresh', 'bare'];
type Kind = 'command' | 'button';
interface Round {
  p50: number;
  p99: number;
  /** CPU time of the server process (all its threads) over the round, per request. */
  cpuMs: number;
}

/**
 * HTTP acks for signed `/incident help` commands and button clicks at 50 concurrent: the bot
 * against bare Bolt in its default configuration (bench/bare-bolt.ts), in interleaved rounds
 * (bot, fresh, bare, then fresh, bare, bot, …) of 1,000 requests each. The bot runs twice: on the shared Redis
 * (which decides the replay check once it has been up for the replay window) and on a Redis server the bench
 * starts (up for less than the window, so PostgreSQL decides after the claim, as after a Redis restart).
 * Reported per kind as the median over rounds of each round's p50, p99 and server CPU time per request. CPU per request is the figure that
 * survives a shared machine: the load generator runs on the same two cores and moves latency.
 */
export async function ackBench(): Promise<Row[]> {
  const slack = await startSlackEmulator({ botToken: TOKEN });
  const database = await createMigratedDatabase('bench_ack');
  await database.db.close();
  // ACK_PROFILE_DIR=dir writes a V8 CPU profile of each server when it exits (node --cpu-prof);
  // BENCH_BOT_NODE_ARGS adds node flags to the bot (a heap cap, --trace-gc), ACK_BOT_OUTPUT=file keeps its output.
  const nodeArgs = process.env.ACK_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.ACK_PROFILE_DIR}`] : [];
  const botArgs = [...nodeArgs, ...benchBotNodeArgs()];
  const fresh = await startRedisServer();
  const botEnv = (redisUrl: string) => ({
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.url,
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    LOG_LEVEL: 'warn',
  });
  const bot = await startBot(botEnv(REDIS_URL), { nodeArgs: botArgs });
  const freshBot = await startBot(botEnv(fresh.url), { nodeArgs: botArgs });
  const barePort = await freePort();
  const bare = spawn(process.execPath, [...nodeArgs, path.join(__dirname, 'bare-bolt.js')], {
    env: { PATH: process.env.PATH, SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: slack.url, PORT: String(barePort) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    bare.stdout!.once('data', () => resolve());
    bare.once('exit', (code) => reject(new Error(`bare Bolt exited with ${code} before it was ready`)));
  });
  await Promise.all([bot.waitForReady(), freshBot.waitForReady()]);

  const targets: Record<Server, string> = {
    bot: `${bot.url}/slack/events`,
    fresh: `${freshBot.url}/slack/events`,
    bare: `http://127.0.0.1:${barePort}/slack/events`,
  };
  const pids: Record<Server, number> = { bot: bot.child.pid!, fresh: freshBot.child.pid!, bare: bare.pid! };
  const responseUrl = slack.responseUrl();
  // A dashboard link button (diagnosis-blocks.ts): it opens its URL in the browser and Slack still
  // sends the click, which both servers only ack. Slack gives every click its own response_url; neither uses it.
  const click = () => ({
    type: 'block_actions',
    user: { id: 'U0ONCALL01', username: 'alice', team_id: 'T0EMULATED' },
    team: { id: 'T0EMULATED', domain: 'emulated' },
    api_app_id: 'A0INCIDENTBOT',
    trigger_id: '1.2.3',
    response_url: slack.responseUrl(),
    channel: { id: 'C0BENCH', name: 'bench' },
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0BENCH', is_ephemeral: false },
    actions: [
      {
        type: 'button',
        action_id: 'dashboard_link_0',
        block_id: 'diagnosis_dashboards',
        text: { type: 'plain_text', text: 'Grafana: checkout', emoji: true },
        action_ts: '1700000000.1',
      },
    ],
  });
  const send = async (which: Server, kind: Kind): Promise<number> => {
    const r =
      kind === 'command'
        ? await sendSlashCommand(targets[which], { signingSecret: SECRET }, { text: 'help', response_url: responseUrl })
        : await sendInteraction(targets[which], { signingSecret: SECRET }, click());
    if (r.status !== 200) throw new Error(`${which} answered ${r.status} to a ${kind}`);
    return r.ms;
  };
  const round = async (which: Server, kind: Kind): Promise<Round> => {
    const latencies: number[] = [];
    const cpu0 = cpuSeconds(pids[which]);
    await runConcurrent(PER_ROUND, CONCURRENCY, async () => void latencies.push(await send(which, kind)));
    const cpu = cpuSeconds(pids[which]) - cpu0;
    const s = summarize(latencies);
    return { p50: s.p50, p99: s.p99, cpuMs: (cpu * 1000) / PER_ROUND };
  };

  // Warm both up (JIT, keep-alive sockets), then interleave so drift on this shared machine hits both alike.
  for (const which of SERVERS)
    for (const kind of KINDS) await runConcurrent(PER_ROUND, CONCURRENCY, async () => void (await send(which, kind)));
  // The bot's replay check trusts Redis only once the server has been up for the replay window (replay-guard.ts).
  const redisUptimeS = await redisUptimeSeconds();
  const authTestsBefore = slack.callsTo('auth.test').length;
  const rounds: Record<Kind, Record<Server, Round[]>> = {
    command: { bot: [], fresh: [], bare: [] },
    button: { bot: [], fresh: [], bare: [] },
  };
  for (let r = 0; r < ROUNDS; r++) {
    for (const kind of KINDS) {
      for (const which of [...SERVERS.slice(r % 3), ...SERVERS.slice(0, r % 3)]) {
        const got = await round(which, kind);
        rounds[kind][which].push(got);
        process.stderr.write(
          `    round ${r + 1} ${kind} ${which}: p50 ${ms(got.p50)}, p99 ${ms(got.p99)}, CPU ${got.cpuMs.toFixed(3)} ms/request\n`,
        );
      }
    }
  }
  const authTests = slack.callsTo('auth.test').length - authTestsBefore;
  const rssMb = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readStatus(pid))?.[1] ?? 0) / 1024;
  const peak = { bot: rssMb(pids.bot), fresh: rssMb(pids.fresh), bare: rssMb(pids.bare) };
  await bot.stop();
  await freshBot.stop();
  await stopChild(fresh.process);
  if (process.env.ACK_BOT_OUTPUT) (await import('node:fs')).writeFileSync(process.env.ACK_BOT_OUTPUT, bot.output());
  await stopChild(bare);
  await slack.close();
  await database.drop();
  if (authTests !== 0)
    throw new Error(`auth.test was called ${authTests} times during the rounds: one of the servers is not caching its authorization`);

  const rows: Row[] = [];
  const n = `${ROUNDS} rounds × ${PER_ROUND.toLocaleString('en')}, ${CONCURRENCY} concurrent, median of rounds`;
  const redisDecides = redisUptimeS * 1000 >= REPLAY_WINDOW_MS;
  const bots: [Server, string][] = [
    ['bot', redisDecides ? 'Redis deciding' : 'PostgreSQL deciding (shared Redis up < 10 min)'],
    ['fresh', 'PostgreSQL deciding'],
  ];
  for (const kind of KINDS) {
    const pick = (which: Server, f: keyof Round) => median(rounds[kind][which].map((x) => x[f]));
    const what = kind === 'command' ? '`/incident help`' : 'dashboard link click (ack only)';
    for (const [which, mode] of bots) {
      const cpu = { bot: pick(which, 'cpuMs'), bare: pick('bare', 'cpuMs') };
      const p50 = { bot: pick(which, 'p50'), bare: pick('bare', 'p50') };
      const p99 = { bot: pick(which, 'p99'), bare: pick('bare', 'p99') };
      rows.push({
        bench: 'ack',
        measure: `${what}, ${mode}: server CPU time per request (${n})`,
        value: `bot ${cpu.bot.toFixed(3)} ms; bare Bolt ${cpu.bare.toFixed(3)} ms; ratio ${(cpu.bot / cpu.bare).toFixed(2)}×`,
        target: '≤ 1.3× bare Bolt',
        verdict: cpu.bot / cpu.bare <= 1.3 ? 'met' : 'missed',
      });
      rows.push({
        bench: 'ack',
        measure: `${what}, ${mode}: p50 / p99 (${n})`,
        value: `bot ${ms(p50.bot)} / ${ms(p99.bot)}; bare Bolt ${ms(p50.bare)} / ${ms(p99.bare)}; ratio ${(p50.bot / p50.bare).toFixed(2)}× / ${(p99.bot / p99.bare).toFixed(2)}×`,
        target: '≤ 1.3× (p50), ≤ 1.5× (p99) bare Bolt',
        verdict: p50.bot / p50.bare <= 1.3 && p99.bot / p99.bare <= 1.5 ? 'met' : 'missed',
      });
    }
  }
  rows.push({
    bench: 'ack',
    measure: 'bot replay check decided by',
    value:
      (redisDecides
        ? `shared Redis (server up ${Math.floor(redisUptimeS / 60)} min), PostgreSQL written behind the ack`
        : `PostgreSQL (shared Redis up only ${redisUptimeS} s, less than the replay window)`) +
      '; the second bot: PostgreSQL after the claim (its Redis server started by the bench)',
    target: 'info',
    verdict: 'info',
  });
  rows.push({
    bench: 'ack',
    measure: 'peak RSS (VmHWM) after the ack rounds',
    value: `bot ${peak.bot.toFixed(0)} MB / ${peak.fresh.toFixed(0)} MB (shared / fresh Redis); bare Bolt ${peak.bare.toFixed(0)} MB`,
    target: 'info',
    verdict: 'info',
  });
  return rows;
}

/** A Redis server of the bench's own, nothing saved: up for less than the replay window while the bench runs. */
async function startRedisServer(): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready`)));
  });
  child.stdout!.resume();
  return { url: `redis://127.0.0.1:${port}`, process: child };
}

async function redisUptimeSeconds(): Promise<number> {
  const redis = new Redis(REDIS_URL);
  try {
    return Number(/^uptime_in_seconds:(\d+)/m.exec(await redis.info('server'))?.[1] ?? 0);
  } finally {
    redis.disconnect();
  }
}

function readStatus(pid: number): string {
  return readFileSync(`/proc/${pid}/status`, 'utf8');
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}
