import { Client } from 'pg';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { alertPost, countReplies, deliverLikeSlack, type StormPost } from '../support/alert-storm';
import { startBot, type BotProcess } from '../support/bot-process';
import { createMigratedDatabase } from '../support/migrated-database';
import { REDIS_URL, requireRedis } from '../support/services';
import { waitFor } from '../support/wait-for';

const SECRET = 'slack-slow-secret';
const TOKEN = 'xoxb-test-token';
const REPLICAS = 3;
const RUN = Date.now().toString(36).toUpperCase();

/**
 * A slow and a rate-limiting Slack in front of three replicas. When chat.postMessage answers only after 12 s (the
 * bot gives up waiting at 10 s, but Slack did post), the bot finds its own message by the key in its metadata
 * instead of posting again. Forty 429s in a row are waited out as Slack asks, without using the retry budget,
 * and each channel's replies keep the order of the alerts although the deliveries reach different replicas.
 */
describe('a slow and a rate-limiting Slack, three replicas', () => {
  let slack: SlackEmulator;
  let db: Client;
  let dropDb: () => Promise<void>;
  let bots: BotProcess[] = [];
  const figures: string[] = [];

  beforeAll(async () => {
    await requireRedis();
    slack = await startSlackEmulator({ botToken: TOKEN });
    const database = await createMigratedDatabase('reliability_slack_slow');
    await database.db.close();
    dropDb = database.drop;
    const env = { SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url, DATABASE_URL: database.url, REDIS_URL };
    bots = await Promise.all(Array.from({ length: REPLICAS }, () => startBot(env)));
    await Promise.all(bots.map((b) => b.waitForReady(60_000)));
    db = new Client({ connectionString: database.url });
    await db.connect();
  }, 90_000);

  afterAll(async () => {
    await db?.end();
    const codes = await Promise.all(bots.map((b) => b.stop()));
    await slack?.close();
    await dropDb?.();
    process.stdout.write(`slack slow and 429: ${figures.join('; ')}\n`);
    expect(codes).toEqual(bots.map(() => 0));
  });

  const pending = async () =>
    Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM slack_inbox WHERE done_at IS NULL')).rows[0]!.n);
  /** Delivered one after another (each acknowledged before the next), round-robin over the replicas. */
  const deliverInOrder = async (posts: StormPost[]) => {
    for (const [i, p] of posts.entries()) await deliverLikeSlack(() => bots, SECRET, p, i);
  };

  it('posts no reply twice when Slack answers chat.postMessage only after 12 s', async () => {
    const posts = Array.from({ length: 12 }, (_, i) =>
      alertPost(slack, `C0SL${RUN}${i % 4}`, `slow-${RUN.toLowerCase()}-${i}`, `EvSL${RUN}${String(i).padStart(3, '0')}`, 'SlowSlackCheck'),
    );
    slack.failNext('chat.postMessage', { slowMs: 12_000 }, 6);
    await deliverInOrder(posts);
    await waitFor('a reply to every alert', () => countReplies(slack, posts).lost.length === 0, 60_000, 200);
    await waitFor('every delivery to be done', async () => (await pending()) === 0, 30_000, 200);
    const { lost, duplicated } = countReplies(slack, posts);
    const found = bots.flatMap((b) => b.logs()).filter((l) => l.msg === 'message was already posted: not posting it again').length;
    figures.push(
      `12 s answers: ${posts.length} alerts, ${lost.length} lost, ${duplicated.length} duplicated, ${found} posts found by their key after a timeout`,
    );
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(found).toBeGreaterThan(0);
  }, 90_000);

  it('drops no reply through 40 consecutive 429s, and keeps each channel in order across the replicas', async () => {
    const posts = Array.from({ length: 16 }, (_, i) =>
      alertPost(slack, `C0RL${RUN}${i % 2}`, `rl-${RUN.toLowerCase()}-${i}`, `EvRL${RUN}${String(i).padStart(3, '0')}`, 'RateLimitCheck'),
    );
    slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 }, 40);
    await deliverInOrder(posts);
    await waitFor('a reply to every alert', () => countReplies(slack, posts).lost.length === 0, 90_000, 200);
    await waitFor('every delivery to be done', async () => (await pending()) === 0, 30_000, 200);
    const { lost, duplicated, replies } = countReplies(slack, posts);
    const limited = slack
      .callsTo('chat.postMessage')
      .filter((c) => c.status === 429 && String(c.args.channel).startsWith(`C0RL${RUN}`)).length;
    const outOfOrder = [0, 1].filter((ch) => {
      const channel = `C0RL${RUN}${ch}`;
      const expected = posts.filter((p) => p.channel === channel).map((p) => p.ts);
      return JSON.stringify(replies.filter((c) => c.args.channel === channel).map((c) => c.args.thread_ts)) !== JSON.stringify(expected);
    });
    const posting = bots.filter((b) => b.logs().some((l) => l.msg === 'alert recorded' && String(l.reqId).startsWith(`EvRL${RUN}`))).length;
    figures.push(
      `40×429: ${posts.length} alerts in 2 channels over ${posting} replicas, ${limited} answers 429, ${lost.length} lost, ${duplicated.length} duplicated, ${outOfOrder.length} channels out of order`,
    );
    expect(limited).toBe(40);
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(outOfOrder).toEqual([]);
  }, 120_000);
});
