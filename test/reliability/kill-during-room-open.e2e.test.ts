import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBot, type BotProcess } from '../support/bot-process';
import { findButton } from '../support/find-button';
import { createMigratedDatabase } from '../support/migrated-database';
import { REDIS_URL, requireRedis } from '../support/services';
import { buttonClickPayload, sendEvent, sendInteraction } from '../support/slack-signing';
import { waitFor } from '../support/wait-for';

const SECRET = 'e2e-kill-room-secret';
const TOKEN = 'xoxb-test-token';
const ALERTS = 'C0KILLROOM';
const HUB = 'C0KILLHUB';
const OPENER = 'U0OPENER1';
const FIXTURES = path.join(__dirname, '..', 'fixtures');

/**
 * `kill -9` of the bot after it claimed an incident's room and while Slack was still answering conversations.create:
 * nothing finishes that opening on the dead replica, so the next bot's room-recovery job takes the claim over once
 * INCIDENT_ROOM_LEASE_MS has passed and opens the room: one channel recorded, the notification in it, one hub message.
 */
describe('kill -9 between claiming an incident room and posting in it', () => {
  let slack: SlackEmulator;
  let dbUrl: string;
  let dropDb: () => Promise<void>;
  let pg: Client;
  const bots: BotProcess[] = [];

  beforeAll(async () => {
    await requireRedis();
    slack = await startSlackEmulator({ botToken: TOKEN });
    slack.addUser({ id: OPENER, name: 'opener' });
    // Public: the incident is public, so its hub message is the full summary that links the room.
    slack.addChannel({ id: ALERTS, name: 'kill-alerts', members: ['U0INCIDENTBOT', OPENER] });
    slack.addChannel({ id: HUB, name: 'kill-hub', members: ['U0INCIDENTBOT', OPENER] });
    const database = await createMigratedDatabase('e2e_kill_room');
    await database.db.close();
    dbUrl = database.url;
    dropDb = database.drop;
    pg = new Client({ connectionString: dbUrl });
    await pg.connect();
  }, 60_000);

  afterAll(async () => {
    for (const b of bots) await b.stop();
    await pg?.end();
    await slack?.close();
    await dropDb?.();
  });

  const env = () => ({
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.url,
    DATABASE_URL: dbUrl,
    REDIS_URL,
    INCIDENT_HUB_CHANNEL: HUB,
    INCIDENT_ROOM_LEASE_MS: '2000',
  });
  const room = async () =>
    (
      await pg.query<{ incident_id: string; claimed_by: string; channel_id: string | null; opened_at: Date | null; hub_ts: string | null }>(
        'SELECT incident_id, claimed_by, channel_id, opened_at, hub_ts FROM incident_rooms',
      )
    ).rows;

  it('the next bot finishes the opening the killed one claimed: the channel, the notification in it, one hub message', async () => {
    const first = await startBot(env());
    bots.push(first);
    await first.waitForReady();
    const events = (bot: BotProcess) => `${bot.url}/slack/events`;

    const envelope = JSON.parse(readFileSync(path.join(FIXTURES, 'slack/event-alertmanager-bot-message.json'), 'utf8'));
    const posted = slack.postAs(ALERTS, { ...envelope.event, channel: ALERTS, ts: undefined });
    await sendEvent(
      events(first),
      { signingSecret: SECRET },
      {
        event_id: `EvKILLROOM${Date.now()}`,
        event: { ...envelope.event, channel: ALERTS, ts: posted.ts, event_ts: posted.ts },
      },
    );
    const reply = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === ALERTS && c.args.thread_ts === posted.ts && Array.isArray(c.args.blocks),
      15_000,
    );
    // Slack creates the channel at once but its answer is slow: the bot is killed while it waits for it.
    slack.failNext('conversations.create', { slowMs: 60_000 });
    const replyTs = (reply.response as { ts: string }).ts;
    await sendInteraction(
      events(first),
      { signingSecret: SECRET },
      buttonClickPayload({
        userId: OPENER,
        channel: ALERTS,
        messageTs: replyTs,
        threadTs: posted.ts,
        actionId: 'alert_open_incident',
        value: findButton(reply, 'alert_open_incident').value,
        responseUrl: slack.responseUrl({ channel: ALERTS, messageTs: replyTs, userId: OPENER }),
      }),
    );
    const orphan = await slack.waitForCall('conversations.create', () => true, 15_000);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    // Claimed, never finished: no channel recorded, no hub message, the incident nowhere.
    const [claimed] = await room();
    expect(claimed).toMatchObject({ channel_id: null, opened_at: null, hub_ts: null });
    const incidentId = claimed!.incident_id;
    expect(slack.messages(HUB)).toEqual([]);

    const second = await startBot(env());
    bots.push(second);
    await second.waitForReady();
    await waitFor('the room to be opened by the second bot', async () => (await room())[0]!.opened_at !== null, 30_000);

    const [finished] = await room();
    expect(finished!.claimed_by).not.toBe(claimed!.claimed_by);
    const channel = finished!.channel_id!;
    // The dead bot's channel took the name; the one recorded is the next free name.
    expect(slack.channelInfo(channel)!.name).toBe(`${String(orphan.args.name)}-2`);
    expect(slack.channelInfo(channel)!.members.sort()).toEqual(['U0INCIDENTBOT', OPENER].sort());
    expect((await pg.query('SELECT channel_id FROM incidents WHERE id = $1', [incidentId])).rows[0]).toEqual({ channel_id: channel });
    expect(slack.messages(channel).filter((m) => m.text.includes('Incident ID:') && m.text.includes(incidentId))).toHaveLength(1);
    expect(slack.messages(HUB).filter((m) => m.text.includes(incidentId))).toHaveLength(1);
    expect(slack.messages(HUB)[0]!.text).toContain(`<#${channel}>`);
    const opened = await pg.query('SELECT data FROM timeline_events WHERE incident_id = $1 AND kind = $2', [incidentId, 'room_opened']);
    expect(opened.rows).toEqual([{ data: { channelId: channel, name: slack.channelInfo(channel)!.name } }]);
    expect(second.logs().some((l) => l.incidentId === incidentId && String(l.msg).includes('resuming it here'))).toBe(true);
    // The click itself, replayed from the inbox, opens nothing more: the alert is already part of the incident.
    expect((await pg.query('SELECT count(*)::int AS n FROM incidents')).rows[0]).toEqual({ n: 1 });
    expect(slack.unknownMethods).toEqual([]);
  }, 90_000);
});
