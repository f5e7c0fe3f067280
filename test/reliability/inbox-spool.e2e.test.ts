import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { alertPost, countReplies, type StormPost } from '../support/alert-storm';
import { startBot, type BotProcess } from '../support/bot-process';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-services';
import { REDIS_URL, requireRedis } from '../support/services';
import { sendEvent } from '../support/slack-signing';
import { waitFor } from '../support/wait-for';

const SECRET = 'inbox-spool-secret';
const TOKEN = 'xoxb-test-token';
const DELIVERIES = 30;
const RUN = Date.now().toString(36).toUpperCase();

/**
 * PostgreSQL goes down; the replica acknowledges the deliveries that arrive meanwhile only after writing them
 * to its spool file, and is then killed with SIGKILL before PostgreSQL returns. The process started next on
 * the same DATA_DIR moves the spool into the inbox: every acknowledged alert is recorded and replied to once.
 */
describe('PostgreSQL outage, then kill -9 of the replica holding spooled deliveries', () => {
  let slack: SlackEmulator;
  let pg: PrivatePostgres;
  let dataDir: string;
  const bots: BotProcess[] = [];

  beforeAll(async () => {
    await requireRedis();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-inbox-spool-'));
    slack = await startSlackEmulator({ botToken: TOKEN });
    pg = await startPrivatePostgres();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(bots.map((b) => b.stop()));
    await slack?.close();
    await pg?.destroy();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('records and answers every acknowledged delivery once the next process starts', async () => {
    const env = {
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      DATABASE_URL: pg.url,
      REDIS_URL,
      DATA_DIR: dataDir,
    };
    const first = await startBot(env);
    bots.push(first);
    await first.waitForReady();

    await pg.stop();
    const posts: StormPost[] = Array.from({ length: DELIVERIES }, (_, i) =>
      alertPost(slack, `C0SP${RUN}${i % 3}`, `spool-${RUN.toLowerCase()}-${i}`, `EvSP${RUN}${String(i).padStart(3, '0')}`),
    );
    for (const p of posts) {
      const res = await sendEvent(`${first.url}/slack/events`, { signingSecret: SECRET }, { event_id: p.eventId, event: p.event });
      expect(res.status).toBe(200);
    }
    const spoolFiles = (await fs.readdir(path.join(dataDir, 'inbox-spool'))).filter((n) => n.endsWith('.ndjson'));
    expect(spoolFiles).toHaveLength(1);

    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    await pg.start();

    const second = await startBot(env);
    bots.push(second);
    await second.waitForReady();
    await waitFor('a reply to every acknowledged alert', () => countReplies(slack, posts).lost.length === 0, 60_000, 250);

    const db = new Client({ connectionString: pg.url });
    await db.connect();
    try {
      await waitFor(
        'the inbox to be empty',
        async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM slack_inbox WHERE done_at IS NULL')).rows[0]!.n) === 0,
        30_000,
        250,
      );
      const recorded = Number(
        (await db.query<{ n: string }>(`SELECT count(*) AS n FROM alerts WHERE channel_id LIKE $1`, [`C0SP${RUN}%`])).rows[0]!.n,
      );
      const { lost, duplicated } = countReplies(slack, posts);
      process.stdout.write(
        `postgres outage + kill -9 of the spooling replica: ${DELIVERIES} acknowledged while PostgreSQL was down, ${recorded} recorded after the restart, ${lost.length} lost, ${duplicated.length} duplicated\n`,
      );
      expect(recorded).toBe(DELIVERIES);
      expect(lost).toEqual([]);
      expect(duplicated).toEqual([]);
      expect(await fs.readdir(path.join(dataDir, 'inbox-spool'))).toEqual([]);
    } finally {
      await db.end();
    }
  }, 150_000);
});
