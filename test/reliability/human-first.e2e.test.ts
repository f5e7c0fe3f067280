import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { alertPost, countReplies, deliverLikeSlack, type StormPost } from '../support/alert-storm';
import { startBot, type BotProcess } from '../support/bot-process';
import { createMigratedDatabase } from '../support/migrated-database';
import { REDIS_URL, requireRedis } from '../support/services';
import { sendSlashCommand } from '../support/slack-signing';
import { waitFor } from '../support/wait-for';

const SECRET = 'human-first-secret';
const TOKEN = 'xoxb-test-token';
const STORM = 15;
const RUN = Date.now().toString(36).toUpperCase();

/**
 * An alert storm has filled a channel's one-post-per-second budget for a while; someone opens an incident there.
 * The bulk waits in the inbox, not in front of the person: the incident notification goes ahead of the alert
 * replies still owed (at most the one being posted at that moment comes first).
 */
describe('a person posting in a channel busy with an alert storm', () => {
  let slack: SlackEmulator;
  let bot: BotProcess;
  let dropDb: () => Promise<void>;

  beforeAll(async () => {
    await requireRedis();
    slack = await startSlackEmulator({ botToken: TOKEN });
    const database = await createMigratedDatabase('reliability_human_first');
    await database.db.close();
    dropDb = database.drop;
    bot = await startBot({
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      DATABASE_URL: database.url,
      REDIS_URL,
      INCIDENT_CHANNELS: 'off',
    });
    await bot.waitForReady(60_000);
  }, 90_000);

  afterAll(async () => {
    expect(await bot?.stop()).toBe(0);
    await slack?.close();
    await dropDb?.();
  });

  it('posts the /incident open notification ahead of the alert replies still queued', async () => {
    const channel = `C0HF${RUN}`;
    const posts: StormPost[] = Array.from({ length: STORM }, (_, i) =>
      alertPost(slack, channel, `hf-${RUN.toLowerCase()}-${i}`, `EvHF${RUN}${String(i).padStart(3, '0')}`, 'HumanFirstCheck'),
    );
    for (const [i, p] of posts.entries()) await deliverLikeSlack(() => [bot], SECRET, p, i);
    await waitFor('the storm to be under way', () => countReplies(slack, posts).replies.length >= 3, 30_000, 100);

    const sentAt = slack.calls.length;
    const res = await sendSlashCommand(
      `${bot.url}/slack/events`,
      { signingSecret: SECRET },
      { text: 'open Checkout is failing P1', channel_id: channel, user_id: 'U0ONCALL01', response_url: slack.responseUrl() },
    );
    expect(res.status).toBe(200);
    const note = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === channel && !c.args.thread_ts && /INCIDENT/.test(String(c.args.text)),
      30_000,
    );
    const noteAt = slack.calls.indexOf(note);
    const repliesBetween = slack.calls
      .slice(sentAt, noteAt)
      .filter((c) => c.method === 'chat.postMessage' && c.status === 200 && c.args.channel === channel && c.args.thread_ts).length;
    await waitFor('the rest of the storm', () => countReplies(slack, posts).lost.length === 0, 60_000, 200);
    const owedAtCommand = STORM - countReplies(slack, posts).replies.filter((c) => slack.calls.indexOf(c) < sentAt).length;
    process.stdout.write(
      `human first: /incident open during a ${STORM}-alert storm in one channel: ${repliesBetween} alert replies posted before the notification, ${owedAtCommand} were owed when it was sent\n`,
    );
    expect(owedAtCommand).toBeGreaterThan(3);
    expect(repliesBetween).toBeLessThanOrEqual(1);
  }, 120_000);
});
