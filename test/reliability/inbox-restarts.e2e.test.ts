import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { alertPost, countReplies, deliverLikeSlack, type StormPost } from '../support/alert-storm';
import { startBot, type BotProcess } from '../support/bot-process';
import { createMigratedDatabase } from '../support/migrated-database';
import { REDIS_URL, requireRedis } from '../support/services';
import { waitFor } from '../support/wait-for';

const SECRET = 'inbox-restarts-secret';
const TOKEN = 'xoxb-test-token';
const REPLICAS = 3;
const CHANNELS = 3;
// Concentrated in three channels: at one post per second per channel the backlog lasts the whole test.
const STORM = Number(process.env.RELIABILITY_STORM_ALERTS ?? 90);
const RUN = Date.now().toString(36).toUpperCase();

/**
 * Three replicas behind a load balancer during an alert storm in three channels: each one is stopped with
 * SIGTERM and replaced in turn, then one is killed with SIGKILL and replaced. Every acknowledged delivery gets
 * exactly one reply: what a stopping replica had not started goes back to the inbox at once, what a killed one
 * held is taken over when its lease runs out.
 */
describe('rolling SIGTERM and kill -9 of replicas during an alert storm', () => {
  let slack: SlackEmulator;
  let db: Client;
  let dropDb: () => Promise<void>;
  let env: Record<string, string>;
  let root: string;
  const live: BotProcess[] = [];
  const all: BotProcess[] = [];
  let started = 0;

  const startReplica = async () => {
    const dataDir = path.join(root, `replica-${started++}`);
    const bot = await startBot({ ...env, DATA_DIR: dataDir });
    all.push(bot);
    await bot.waitForReady();
    live.push(bot);
    return bot;
  };

  beforeAll(async () => {
    await requireRedis();
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-inbox-restarts-'));
    slack = await startSlackEmulator({ botToken: TOKEN });
    const database = await createMigratedDatabase('reliability_inbox_restarts');
    await database.db.close();
    dropDb = database.drop;
    // 30 alerts a channel within seconds would be a storm (one summary): this test counts one reply per alert across
    // restarts, so storm mode is moved out of its way; storms have their own tests.
    env = {
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      DATABASE_URL: database.url,
      REDIS_URL,
      ALERT_STORM_THRESHOLD: '1000',
    };
    await Promise.all(Array.from({ length: REPLICAS }, () => startReplica()));
    db = new Client({ connectionString: database.url });
    await db.connect();
  }, 90_000);

  afterAll(async () => {
    await db?.end();
    await Promise.all(live.map((b) => b.stop()));
    await slack?.close();
    await dropDb?.();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('loses and doubles no reply', async () => {
    const posts: StormPost[] = Array.from({ length: STORM }, (_, i) =>
      alertPost(slack, `C0IR${RUN}${i % CHANNELS}`, `storm-${RUN.toLowerCase()}-${i}`, `EvIR${RUN}${String(i).padStart(3, '0')}`),
    );
    let retried = 0;
    // Paced so that deliveries keep arriving while replicas stop and start (a stopping one answers 503).
    const sending = (async () => {
      const inFlight: Promise<void>[] = [];
      for (const [i, p] of posts.entries()) {
        inFlight.push(deliverLikeSlack(() => live, SECRET, p, i).then((r) => void (retried += r.attempts - 1)));
        await new Promise((r) => setTimeout(r, 150));
      }
      await Promise.all(inFlight);
    })();

    const exitCodes: (number | null)[] = [];
    // Rolling restart: each original replica stopped with SIGTERM while its backlog is being posted, and replaced.
    for (let r = 0; r < REPLICAS; r++) {
      await waitFor('some replies before the next restart', () => countReplies(slack, posts).replies.length >= (r + 1) * 6, 30_000);
      // Still behind the load balancer while it stops (as when Kubernetes removes the endpoint and sends SIGTERM at once).
      const victim = live[0]!;
      exitCodes.push(await victim.stop());
      live.splice(live.indexOf(victim), 1);
      await startReplica();
    }
    // kill -9 of one replica while it holds leased deliveries.
    await waitFor('more replies before the kill', () => countReplies(slack, posts).replies.length >= 4 * 6, 30_000);
    const killed = live[0]!;
    killed.child.kill('SIGKILL');
    await new Promise((r) => killed.child.once('exit', r));
    await startReplica();
    live.splice(live.indexOf(killed), 1);
    await sending;

    const pending = async () =>
      Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM slack_inbox WHERE done_at IS NULL')).rows[0]!.n);
    await waitFor(
      'every delivery to be processed',
      async () => (await pending()) === 0 && countReplies(slack, posts).lost.length === 0,
      120_000,
      250,
    );
    const { lost, duplicated } = countReplies(slack, posts);
    const recorded = Number(
      (await db.query<{ n: string }>(`SELECT count(*) AS n FROM alerts WHERE channel_id LIKE $1`, [`C0IR${RUN}%`])).rows[0]!.n,
    );
    const takenOver = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM slack_inbox WHERE attempts > 1`)).rows[0]!.n);
    process.stdout.write(
      `rolling SIGTERM x${REPLICAS} + kill -9 x1, ${STORM} alerts in ${CHANNELS} channels: ${recorded} recorded, ${lost.length} lost, ${duplicated.length} duplicated; ` +
        `${retried} deliveries re-sent after a refusal, ${takenOver} deliveries run more than once (handed back or taken over); SIGTERM exit codes ${exitCodes.join(',')}\n`,
    );
    expect(recorded).toBe(STORM);
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(exitCodes).toEqual([0, 0, 0]);
    for (const bot of all) expect(bot.output()).not.toContain('Cannot use a pool after calling end');
  }, 180_000);
});
