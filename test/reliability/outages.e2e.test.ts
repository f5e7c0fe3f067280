import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBot, type BotProcess } from '../support/bot-process';
import { startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from '../support/private-services';
import { sendEvent } from '../support/slack-signing';
import { waitFor } from '../support/wait-for';

const SECRET = 'outage-secret';
const TOKEN = 'xoxb-test-token';

/** The bot on a PostgreSQL and a Redis of its own, which the test stops and kills. */
describe('storage and coordination outages', () => {
  let slack: SlackEmulator;
  let pg: PrivatePostgres;
  let redis: PrivateRedis;
  let bot: BotProcess;

  beforeAll(async () => {
    slack = await startSlackEmulator({ botToken: TOKEN });
    pg = await startPrivatePostgres();
    redis = await startPrivateRedis();
    bot = await startBot({
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
    });
    await bot.waitForReady();
  }, 60_000);

  afterAll(async () => {
    expect(await bot?.stop()).toBe(0);
    await slack?.close();
    await pg?.destroy();
    await redis?.destroy();
  });

  it('turns /health/ready 503 with the database named while PostgreSQL is down, and 200 again without a restart', async () => {
    await pg.stop();
    const down = await fetch(`${bot.url}/health/ready`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as { checks: Record<string, { ok: boolean; reason?: string }> };
    expect(body.checks.database?.ok).toBe(false);
    expect(body.checks.database?.reason).toMatch(/PostgreSQL not answering/);
    expect(body.checks.slack).toEqual({ ok: true });
    expect((await fetch(`${bot.url}/health/live`)).status).toBe(200);

    await pg.start();
    await waitFor('readiness after PostgreSQL is back', async () => (await fetch(`${bot.url}/health/ready`)).status === 200, 15_000);
  }, 60_000);

  it('still processes each delivery exactly once with Redis killed (the PostgreSQL inbox is the dedup), and recovers when Redis returns', async () => {
    await redis.kill();
    const envelope = {
      event_id: 'EvREDISDOWN1',
      event: { type: 'app_mention', user: 'U0ONCALL01', text: 'hi', channel: 'C0INCIDENTS', ts: '1700000001.000100' },
    };
    expect((await sendEvent(`${bot.url}/slack/events`, { signingSecret: SECRET }, envelope)).status).toBe(200);
    expect(
      (await sendEvent(`${bot.url}/slack/events`, { signingSecret: SECRET }, envelope, { num: 1, reason: 'http_timeout' })).status,
    ).toBe(200);
    await waitFor(
      'the retry to be counted as a duplicate',
      async () => (await metric('incident_bot_duplicate_events_total{source="slack-event"}')) === 1,
    );
    await waitFor(
      'the first delivery to be processed',
      async () => (await metric('incident_bot_slack_requests_total{kind="event",outcome="ok"}')) === 1,
      10_000,
    );

    await redis.restart();
    const next = { ...envelope, event_id: 'EvREDISBACK1' };
    await sendEvent(`${bot.url}/slack/events`, { signingSecret: SECRET }, next);
    await waitFor(
      'the next event to be processed',
      async () => (await metric('incident_bot_slack_requests_total{kind="event",outcome="ok"}')) === 2,
      10_000,
    );
    // The inbox row keyed by event id is the dedup: Redis plays no part in it.
    expect(await metric('incident_bot_duplicate_events_total{source="slack-event"}')).toBe(1);
  }, 60_000);

  async function metric(series: string): Promise<number | undefined> {
    const text = await (await fetch(`${bot.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(series + ' '));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  }
});
