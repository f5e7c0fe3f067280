import { Client } from 'pg';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBot, type BotProcess } from '../support/bot-process';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-services';
import { REDIS_URL, requireRedis } from '../support/services';
import { sendEvent, sendSlashCommand } from '../support/slack-signing';
import { waitFor } from '../support/wait-for';

const SECRET = 'pg-outage-secret';
const TOKEN = 'xoxb-test-token';
const OUTAGE_MS = 20_000;
const CHANNELS = 10;
// Event ids unique to this run: the shared Redis remembers deliveries for two hours.
const RUN = Date.now().toString(36).toUpperCase();

/** An Alertmanager post for agent `i`, as Slack delivers it. */
function alertPost(i: number) {
  const ts = `${1700000100 + i}.000100`;
  return {
    event_id: `EvPGOUT${RUN}${String(i).padStart(4, '0')}`,
    event: {
      type: 'message',
      subtype: 'bot_message',
      text: '',
      username: 'Alertmanager',
      bot_id: 'B0ALERTMGR',
      attachments: [
        {
          fallback: `[FIRING:1] StreamStuckAgent (prod agent-${i} critical)`,
          title: `[FIRING:1] StreamStuckAgent (prod agent-${i} critical)`,
          text: `*Alert:* StreamStuckAgent - \`critical\`\n*Details:*\n  • *alertname:* \`StreamStuckAgent\`\n  • *env:* \`prod\`\n  • *instance:* \`agent-${i}\`\n  • *severity:* \`critical\`\n`,
        },
      ],
      ts,
      channel: `C0PGOUT${i % CHANNELS}`,
      event_ts: ts,
      channel_type: 'channel',
    },
  };
}

/**
 * PostgreSQL stopped for 20 s in the middle of an alert stream: readiness says why, commands say
 * "storage unavailable", and afterwards every alert that arrived is recorded once with one reply.
 * Deliveries that arrive while PostgreSQL is down are written to the spool file in DATA_DIR before Slack gets its 200.
 */
describe('PostgreSQL outage during an alert stream', () => {
  let slack: SlackEmulator;
  let pg: PrivatePostgres;
  let bot: BotProcess;

  beforeAll(async () => {
    await requireRedis();
    slack = await startSlackEmulator({ botToken: TOKEN });
    pg = await startPrivatePostgres();
    bot = await startBot({
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      DATABASE_URL: pg.url,
      REDIS_URL,
    });
    await bot.waitForReady();
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await slack?.close();
    await pg?.destroy();
  });

  it('records every alert exactly once, with one reply each, across a 20 s outage', async () => {
    const send = (i: number, retry?: number) =>
      sendEvent(
        `${bot.url}/slack/events`,
        { signingSecret: SECRET },
        alertPost(i),
        retry ? { num: retry, reason: 'http_timeout' } : undefined,
      );
    const sent = new Set<number>();
    let retries = 0;
    let i = 0;
    const deliver = async (n: number) => {
      expect((await send(n)).status).toBe(200);
      sent.add(n);
    };
    for (; i < 10; i++) await deliver(i);

    await pg.stop();
    const outageEnds = Date.now() + OUTAGE_MS;
    const down = await fetch(`${bot.url}/health/ready`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { checks: { database: { reason: string } } }).checks.database.reason).toMatch(
      /PostgreSQL not answering/,
    );
    const listAnswer = slack.responseUrl();
    await sendSlashCommand(`${bot.url}/slack/events`, { signingSecret: SECRET }, { text: 'list', response_url: listAnswer });
    const storageAnswer = await slack.waitForCall('response_url', (c) => String(c.args.text).includes('Storage is unavailable'), 10_000);
    expect(storageAnswer.args.response_type).toBe('ephemeral');
    // The stream goes on during the outage, Slack retries included.
    while (Date.now() < outageEnds) {
      await deliver(i);
      if (i % 5 === 0) {
        expect((await send(i, 1)).status).toBe(200);
        retries++;
      }
      i++;
      await new Promise((r) => setTimeout(r, 500));
    }
    await pg.start();
    for (const end = i + 10; i < end; i++) await deliver(i);

    const db = new Client({ connectionString: pg.url });
    await db.connect();
    try {
      const recorded = async () =>
        Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM alerts WHERE name = 'StreamStuckAgent'`)).rows[0]!.n);
      // Deliveries that failed during the outage are retried with a back-off of up to 30 s, behind their channel's order;
      // on a loaded CI machine draining that backlog has taken over 80 s (about 40 s on a quiet one).
      await waitFor(`all ${sent.size} alerts to be recorded`, async () => (await recorded()) >= sent.size, 150_000, 200);
      expect(await recorded()).toBe(sent.size);
      const rows = (await db.query<{ fire_count: number }>(`SELECT fire_count FROM alerts WHERE name = 'StreamStuckAgent'`)).rows;
      expect(rows.every((r) => Number(r.fire_count) === 1)).toBe(true);
      const replies = () =>
        slack.callsTo('chat.postMessage').filter((c) => String(c.args.channel).startsWith('C0PGOUT') && c.status === 200);
      // Replies follow the recording, paced to one post per second per channel behind the same backlog.
      await waitFor(`one reply per alert (${sent.size})`, () => replies().length >= sent.size, 150_000, 200);
      const threads = replies().map((c) => `${c.args.channel}:${c.args.thread_ts}`);
      expect(new Set(threads).size).toBe(sent.size);
      expect(threads).toHaveLength(sent.size);
      const metrics = await (await fetch(`${bot.url}/metrics`)).text();
      const buffered = /incident_bot_slack_requests_total\{kind="event",outcome="buffered"\} (\d+)/.exec(metrics)?.[1];
      process.stdout.write(
        `postgres outage: ${sent.size} alerts sent (${retries} Slack retries during the outage), ${await recorded()} recorded, ${threads.length} replies, ${buffered ?? 0} deliveries buffered, 0 duplicates\n`,
      );
      expect(Number(buffered)).toBeGreaterThan(0);
      expect(metrics).toMatch(/incident_bot_buffered_deliveries 0/);
    } finally {
      await db.end();
    }
  }, 400_000);
});
