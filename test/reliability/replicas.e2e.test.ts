import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startSlackEmulator, type RecordedCall, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBot, type BotProcess } from '../support/bot-process';
import { createMigratedDatabase } from '../support/migrated-database';
import { REDIS_URL, requireRedis } from '../support/services';
import {
  buttonClickPayload,
  newTriggerId,
  sendEvent,
  sendInteraction,
  sendSlashCommand,
  type SignedResponse,
} from '../support/slack-signing';
import { waitFor } from '../support/wait-for';
import { waitForAnswer, answers, isEphemeral } from '../support/answers';

const SECRET = 'replicas-secret';
const TOKEN = 'xoxb-test-token';
const REPLICAS = 3;
// Event ids and channels unique to this run: the shared Redis remembers deliveries (and channel budgets).
const RUN = Date.now().toString(36).toUpperCase();
const REMEDIATION_CHANNEL = `C0R${RUN}X`;
const HUB_CHANNEL = `C0R${RUN}H`;
const STORM_CHANNEL = `C0R${RUN}S`;
const WEBHOOK_TOKEN = 'replicas-webhook-token';
/** Where the first alert is posted. */
const FIRST_CHANNEL = `C0R${RUN}A`;
const FIXTURES = path.join(__dirname, '..', 'fixtures');
const fixture = (name: string): any => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')); // eslint-disable-line @typescript-eslint/no-explicit-any

const ONCALL = 'U0ONCALL01';
const ONCALL2 = 'U0ONCALL02';
const APPROVER = 'U0SECOND02';
const APPROVER2 = 'U0THIRD003';

/**
 * Three bot processes on one PostgreSQL database and the shared Redis, one Slack: the same alert posts, Slack
 * retries, second subscriptions, button clicks, modal submissions and approvals reach different replicas at the
 * same moment, and each thing still happens once.
 */
describe('three replicas on one PostgreSQL and one Redis', () => {
  let slack: SlackEmulator;
  let bots: BotProcess[] = [];
  let db: Client;
  let dbUrl: string;
  let dropDb: () => Promise<void>;
  let shared: string;
  let deliveries = 0;

  beforeAll(async () => {
    await requireRedis();
    shared = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-replicas-'));
    await fs.mkdir(path.join(shared, 'locks'));
    slack = await startSlackEmulator({ botToken: TOKEN });
    const database = await createMigratedDatabase('reliability_replicas');
    await database.db.close();
    dbUrl = database.url;
    dropDb = database.drop;
    // the worker the lock test uses is one the catalog's allow-list accepts (WORKER_NAMES); `/incident remediate`
    // outside an incident posts its approval in the approvals channel (the remediation test's channel)
    const env = {
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      DATABASE_URL: dbUrl,
      REDIS_URL,
      WORKERS_SHARED_DIR: shared,
      WORKER_NAMES: `w${RUN.toLowerCase()}`,
      APPROVALS_CHANNEL: REMEDIATION_CHANNEL,
      // A channel per incident (the default) and a hub: each incident must still get one of each.
      INCIDENT_HUB_CHANNEL: HUB_CHANNEL,
      // Alertmanager's webhook, spread over the replicas by a load balancer: the storm test's alerts.
      ALERTMANAGER_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
      ALERTMANAGER_ROUTES: JSON.stringify([{ match: { team: 'storm' }, channel: STORM_CHANNEL }, { channel: 'C0DEFAULT' }]),
    };
    for (const id of [ONCALL, ONCALL2, APPROVER, APPROVER2]) slack.addUser({ id, name: id.toLowerCase() });
    // The alerts channel and the hub are public: the incident opened from that alert is public, so its hub summary is
    // the full one, whose "Take command" anyone on the hub may click.
    const everyone = ['U0INCIDENTBOT', ONCALL, ONCALL2, APPROVER, APPROVER2];
    slack.addChannel({ id: FIRST_CHANNEL, name: `replica-alerts-${RUN.toLowerCase()}`, members: everyone });
    slack.addChannel({ id: HUB_CHANNEL, name: `replica-hub-${RUN.toLowerCase()}`, members: everyone });
    bots = await Promise.all(Array.from({ length: REPLICAS }, () => startBot(env)));
    await Promise.all(bots.map((b) => b.waitForReady()));
    db = new Client({ connectionString: dbUrl });
    await db.connect();
  }, 90_000);

  afterAll(async () => {
    await db?.end();
    const codes = await Promise.all(bots.map((b) => b.stop()));
    await slack?.close();
    await dropDb?.();
    if (shared) await fs.rm(shared, { recursive: true, force: true });
    expect(codes).toEqual(bots.map(() => 0));
  });

  const events = (replica: number) => `${bots[replica % REPLICAS]!.url}/slack/events`;
  const signed = { signingSecret: SECRET };
  const count = async (sql: string, params: unknown[] = []) => Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);
  const deliver = async (p: Promise<SignedResponse>) => {
    deliveries++;
    const res = await p;
    expect(res.status).toBe(200);
    return res;
  };
  const okPosts = (predicate: (c: RecordedCall) => boolean) =>
    slack.callsTo('chat.postMessage').filter((c) => c.status === 200 && predicate(c));
  const logsOfAll = () => bots.flatMap((b) => b.logs());

  /**
   * An Alertmanager post in `channel` about `instance`, put in the emulated channel and shaped as Slack delivers it.
   * Renamed from the fixture's StuckDetected, whose runbook diagnoses at once: only the bot's alert replies post here.
   */
  function alertPost(channel: string, instance: string): { ts: string; event: Record<string, unknown> } {
    const base = fixture('slack/event-alertmanager-bot-message.json').event;
    const attachment = base.attachments[0];
    const attachments = [
      {
        ...attachment,
        fallback: String(attachment.fallback)
          .replace('worker-7', instance)
          .replace(/StuckDetected/g, 'ReplicaCheck'),
        title: String(attachment.title)
          .replace('worker-7', instance)
          .replace(/StuckDetected/g, 'ReplicaCheck'),
        text: String(attachment.text)
          .replace(/worker-7/g, instance)
          .replace(/StuckDetected/g, 'ReplicaCheck'),
      },
    ];
    const posted = slack.postAs(channel, { bot_id: base.bot_id, username: base.username, subtype: 'bot_message', attachments } as never);
    return { ts: posted.ts, event: { ...base, attachments, channel, ts: posted.ts, event_ts: posted.ts } };
  }

  const repliesIn = (channel: string, ts: string) =>
    okPosts((c) => c.args.channel === channel && c.args.thread_ts === ts && Array.isArray(c.args.blocks));

  const clickOn = (
    replica: number,
    actionId: string,
    value: string,
    where: { channel: string; messageTs: string; threadTs?: string },
    userId: string,
    triggerId = newTriggerId(),
  ) => {
    return {
      triggerId,
      send: () =>
        deliver(
          sendInteraction(
            events(replica),
            signed,
            buttonClickPayload({
              ...where,
              userId,
              actionId,
              value,
              blockId: 'alert',
              triggerId,
              responseUrl: slack.responseUrl({ channel: where.channel, messageTs: where.messageTs, userId }),
            }),
          ),
        ),
    };
  };

  // Shared by the tests below: the first alert, its reply and its id.
  let first: { ts: string; replyTs: string; alertId: string };

  it('records one alert and posts one reply when the same post reaches all replicas, as a retry and under a second event id', async () => {
    const { ts, event } = alertPost(FIRST_CHANNEL, `worker-${RUN.toLowerCase()}`);
    const eventId = `EvREP${RUN}A1`;
    await Promise.all([
      ...bots.map((_, r) => deliver(sendEvent(events(r), signed, { event_id: eventId, event }))),
      deliver(sendEvent(events(1), signed, { event_id: eventId, event }, { num: 1, reason: 'http_timeout' })),
      deliver(sendEvent(events(2), signed, { event_id: `EvREP${RUN}A2`, event })),
    ]);
    await waitFor('the reply in the post thread', () => repliesIn(FIRST_CHANNEL, ts).length >= 1, 15_000);
    // Every delivery has been handled (ignored as a duplicate or recorded) before counting.
    await waitFor(
      'every replica to finish the deliveries',
      () => {
        const logs = logsOfAll();
        const dup = logs.filter((l) => l.msg === 'duplicate delivery ignored' && l.reqId === eventId).length;
        const recorded = logs.filter((l) => l.msg === 'alert recorded' && (l.reqId === eventId || l.reqId === `EvREP${RUN}A2`)).length;
        return dup === 3 && recorded === 2;
      },
      15_000,
    );
    expect(await count(`SELECT count(*) AS n FROM alerts WHERE channel_id = $1`, [FIRST_CHANNEL])).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM alerts WHERE channel_id = $1 AND fire_count = 1`, [FIRST_CHANNEL])).toBe(1);
    const replies = repliesIn(FIRST_CHANNEL, ts);
    expect(replies).toHaveLength(1);
    expect(slack.thread(FIRST_CHANNEL, ts)).toHaveLength(2); // the post and one reply
    const reply = replies[0]!;
    const alertId = String(
      (reply.args.blocks as { type: string; elements?: { value: string }[] }[]).find((b) => b.type === 'actions')!.elements![0]!.value,
    );
    first = { ts, replyTs: (reply.response as { ts: string }).ts, alertId };
  }, 40_000);

  it('records ten alerts with ten replies when each post goes round-robin to a replica and again to the others', async () => {
    const posts = Array.from({ length: 10 }, (_, i) => ({
      i,
      channel: `C0R${RUN}B${i}`,
      ...alertPost(`C0R${RUN}B${i}`, `agent-${RUN.toLowerCase()}-${i}`),
    }));
    await Promise.all(
      posts.flatMap(({ i, event }) => [
        deliver(sendEvent(events(i), signed, { event_id: `EvREP${RUN}B${i}`, event })),
        // Slack's retry reaches another replica, and a second subscription the third one.
        deliver(sendEvent(events(i + 1), signed, { event_id: `EvREP${RUN}B${i}`, event }, { num: 1, reason: 'http_timeout' })),
        deliver(sendEvent(events(i + 2), signed, { event_id: `EvREP${RUN}C${i}`, event })),
      ]),
    );
    const ours = () => okPosts((c) => String(c.args.channel).startsWith(`C0R${RUN}B`) && Array.isArray(c.args.blocks));
    await waitFor('ten replies', () => ours().length >= 10, 20_000);
    await waitFor(
      'every second subscription to be recorded',
      () => logsOfAll().filter((l) => l.msg === 'alert recorded' && String(l.reqId).startsWith(`EvREP${RUN}C`)).length === 10,
      15_000,
    );
    expect(await count(`SELECT count(*) AS n FROM alerts WHERE channel_id LIKE $1`, [`C0R${RUN}B%`])).toBe(10);
    const replied = () =>
      count(`SELECT count(*) AS n FROM alerts WHERE channel_id LIKE $1 AND fire_count = 1 AND reply_ts IS NOT NULL`, [`C0R${RUN}B%`]);
    await waitFor('every reply to be remembered on its alert', async () => (await replied()) >= 10, 10_000);
    expect(await replied()).toBe(10);
    const threads = ours().map((c) => `${c.args.channel}:${c.args.thread_ts}`);
    expect(threads).toHaveLength(10);
    expect(new Set(threads)).toEqual(new Set(posts.map((p) => `${p.channel}:${p.ts}`)));
    // Every replica took deliveries into the shared inbox (which replica then processes a channel varies from run to run).
    const receiving = bots.filter((b) =>
      b.logs().some((l) => l.msg === 'delivery recorded in the inbox' && String(l.reqId).startsWith(`EvREP${RUN}`)),
    );
    expect(receiving).toHaveLength(REPLICAS);
  }, 60_000);

  it('records one acknowledgement when the same Acknowledge click reaches two replicas; the other answers "already acknowledged"', async () => {
    const where = { channel: FIRST_CHANNEL, messageTs: first.replyTs, threadTs: first.ts };
    const trigger = newTriggerId();
    await Promise.all([
      clickOn(0, 'alert_acknowledge', first.alertId, where, ONCALL, trigger).send(),
      clickOn(1, 'alert_acknowledge', first.alertId, where, ONCALL, trigger).send(),
    ]);
    const update = await slack.waitForCall(
      'chat.update',
      (c) => c.args.ts === first.replyTs && JSON.stringify(c.args.blocks).includes('Acknowledged'),
      10_000,
    );
    expect(JSON.stringify(update.args.blocks)).toContain(`by <@${ONCALL}>`);
    const answer = await waitForAnswer(slack, (c) => String(c.args.text).includes('already acknowledged'), 10_000);
    expect(isEphemeral(answer)).toBe(true);
    expect(String(answer.args.text)).toContain(`already acknowledged by <@${ONCALL}>`);

    // Another person's click at the same moment on the third replica changes nothing either.
    await clickOn(2, 'alert_acknowledge', first.alertId, where, ONCALL2).send();
    await waitFor(
      'the second "already acknowledged"',
      () => answers(slack).filter((c) => String(c.args.text).includes('already acknowledged')).length === 2,
      10_000,
    );

    const row = (await db.query<{ acknowledged_by: string }>('SELECT acknowledged_by FROM alerts WHERE id = $1', [first.alertId])).rows[0];
    expect(row?.acknowledged_by).toBe(ONCALL);
    // One acknowledgement observed across the replicas: the time-to-acknowledge histogram counted once in all.
    const observed = await Promise.all(
      bots.map((b) => metric(b, 'incident_bot_time_to_acknowledge_seconds_count{subject="alert",severity="P0"}')),
    );
    expect(observed.reduce<number>((a, n) => a + (n ?? 0), 0)).toBe(1);
    expect(slack.callsTo('chat.update').filter((c) => c.args.ts === first.replyTs)).toHaveLength(1);
  }, 30_000);

  const createdChannels = () => slack.callsTo('conversations.create').filter((c) => (c.response as { ok: boolean }).ok);
  const roomOf = (c: RecordedCall) => (c.response as { channel: { id: string } }).channel.id;
  const hubPosts = (incidentId: string) => okPosts((c) => c.args.channel === HUB_CHANNEL && String(c.args.text).includes(incidentId));

  it('opens one incident, one channel and one hub message when the same "Open incident" click reaches two replicas; the other is told it is already part of it', async () => {
    const where = { channel: FIRST_CHANNEL, messageTs: first.replyTs, threadTs: first.ts };
    const trigger = newTriggerId();
    await Promise.all([
      clickOn(1, 'alert_open_incident', first.alertId, where, ONCALL, trigger).send(),
      clickOn(2, 'alert_open_incident', first.alertId, where, ONCALL, trigger).send(),
    ]);
    const created = await slack.waitForCall('conversations.create', (c) => (c.response as { ok: boolean }).ok, 10_000);
    const room = roomOf(created);
    const note = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === room && String(c.args.text).includes('INCIDENT: ReplicaCheck'),
      10_000,
    );
    const incidentId = /INC-\d{14}/.exec(String(note.args.text))![0];
    const answer = await waitForAnswer(slack, (c) => String(c.args.text).includes('already part of INC-'), 10_000);
    expect(isEphemeral(answer)).toBe(true);
    expect(String(answer.args.text)).toContain(incidentId);
    await waitFor('the hub summary', () => hubPosts(incidentId).length >= 1, 10_000);
    expect(await count(`SELECT count(*) AS n FROM incidents`)).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM alerts WHERE id = $1 AND incident_id = $2`, [first.alertId, incidentId])).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM timeline_events WHERE kind = 'alert_linked'`)).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM timeline_events WHERE kind = 'room_opened'`)).toBe(1);
    expect(createdChannels()).toHaveLength(1);
    expect(slack.channelInfo(room)!.members).toContain(ONCALL);
    expect(okPosts((c) => c.args.channel === room && String(c.args.text).includes('INCIDENT:'))).toHaveLength(1);
    expect(
      okPosts((c) => c.args.channel === FIRST_CHANNEL && c.args.thread_ts === first.ts && String(c.args.text).includes(`<#${room}>`)),
    ).toHaveLength(1);
    expect(hubPosts(incidentId)).toHaveLength(1);
  }, 30_000);

  it('gives two incidents opened with the same title on two replicas at once two channels (the second name suffixed) and one hub message each', async () => {
    const title = `Twin outage ${RUN}`;
    const channel = `C0R${RUN}T`;
    const before = createdChannels().length;
    await Promise.all(
      [0, 1].map((r) =>
        deliver(
          sendSlashCommand(events(r), signed, {
            text: `open ${title} P3`,
            channel_id: channel,
            user_id: ONCALL,
            response_url: slack.responseUrl({ channel, userId: ONCALL }),
          }),
        ),
      ),
    );
    await waitFor('two channels', () => createdChannels().length === before + 2, 15_000);
    const names = createdChannels()
      .slice(before)
      .map((c) => String(c.args.name))
      .sort();
    const base = `inc-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-twin-outage-${RUN.toLowerCase()}`;
    expect(names).toEqual([base, `${base}-2`]);
    const ids = (await db.query<{ id: string }>('SELECT id FROM incidents WHERE title = $1 ORDER BY id', [title])).rows.map((r) => r.id);
    expect(ids).toHaveLength(2);
    await waitFor('a hub message for each', () => ids.every((id) => hubPosts(id).length >= 1), 10_000);
    for (const id of ids) expect(hubPosts(id)).toHaveLength(1);
  }, 30_000);

  it('keeps one hub message per incident, showing the last commander, when three people take command on three replicas at once', async () => {
    const incidentId = (await db.query<{ id: string }>(`SELECT id FROM incidents WHERE title LIKE 'ReplicaCheck%'`)).rows[0]!.id;
    const hub = hubPosts(incidentId)[0]!;
    const hubTs = (hub.response as { ts: string }).ts;
    const people = [ONCALL, ONCALL2, APPROVER];
    const before = slack.calls.length;
    await Promise.all(
      people.map((user, r) => clickOn(r, 'incident_take_command', incidentId, { channel: HUB_CHANNEL, messageTs: hubTs }, user).send()),
    );
    // The first click takes command; after it only the commander or the opener (ONCALL opened it) may move it, so the
    // other clicks are refused, each with its own answer: every click ends as a hand-over or a refusal, never lost.
    const handoverCount = () =>
      count(`SELECT count(*) AS n FROM timeline_events WHERE incident_id = $1 AND kind = 'role_assigned'`, [incidentId]);
    const refusals = () =>
      slack.calls.slice(before).filter((c) => c.method === 'response_url' && String(c.args.text).includes('can hand command over')).length;
    await waitFor('each click to end as a hand-over or a refusal', async () => (await handoverCount()) + refusals() === 3, 15_000);
    expect(await handoverCount()).toBeGreaterThanOrEqual(1);
    const commander = (
      await db.query<{ user_id: string }>(`SELECT user_id FROM incident_roles WHERE incident_id = $1 AND role = 'commander'`, [incidentId])
    ).rows[0]!.user_id;
    // Each hand-over names who had command just before it: the three form one chain.
    const handovers = (
      await db.query<{ data: { userId: string; previous?: string } }>(
        `SELECT data FROM timeline_events WHERE incident_id = $1 AND kind = 'role_assigned' ORDER BY id`,
        [incidentId],
      )
    ).rows.map((r) => r.data);
    expect(handovers[0]!.previous).toBeUndefined();
    for (let i = 1; i < handovers.length; i++) expect(handovers[i]!.previous).toBe(handovers[i - 1]!.userId);
    expect(handovers.at(-1)!.userId).toBe(commander);
    const lastEdit = () => slack.messages(HUB_CHANNEL).find((m) => m.ts === hubTs)!;
    await waitFor('the hub to show the last commander', () => lastEdit().text.includes(`Commander: <@${commander}>`), 15_000);
    expect(hubPosts(incidentId)).toHaveLength(1);
  }, 40_000);

  it('resolves an incident once when the same /incident resolve reaches two replicas', async () => {
    await deliver(
      sendSlashCommand(events(0), signed, {
        text: `open Replica check ${RUN} P2`,
        channel_id: `C0R${RUN}O`,
        user_id: ONCALL,
        response_url: slack.responseUrl({ channel: `C0R${RUN}O`, userId: ONCALL }),
      }),
    );
    // The incident lives in its own channel: the resolves are typed there.
    const created = await slack.waitForCall(
      'conversations.create',
      (c) => String(c.args.name).endsWith(`replica-check-${RUN.toLowerCase()}`) && (c.response as { ok: boolean }).ok,
      10_000,
    );
    const channel = roomOf(created);
    const opened = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === channel && String(c.args.text).includes(`INCIDENT: Replica check ${RUN}`),
      10_000,
    );
    const incidentId = /INC-\d{14}/.exec(String(opened.args.text))![0];
    // The notification's thread is remembered right after Slack answers the post.
    await waitFor(
      'the incident to live in its channel',
      async () => (await count(`SELECT count(*) AS n FROM incidents WHERE channel_id = $1 AND thread_ts IS NOT NULL`, [channel])) === 1,
      10_000,
    );
    const urls = [1, 2].map((r) => ({ r, url: slack.responseUrl({ channel, userId: ONCALL }) }));
    const text = `resolve ${incidentId} root_cause="replication lag" resolution="Replica promoted"`;
    await Promise.all(
      urls.map(({ r, url }) =>
        deliver(sendSlashCommand(events(r), signed, { text, channel_id: channel, user_id: ONCALL, response_url: url })),
      ),
    );
    await slack.waitForCall('chat.postMessage', (c) => c.args.channel === channel && String(c.args.text).includes('RESOLVED:'), 10_000);
    // The loser read the incident as open, then lost the conditional update (or read it resolved): "already resolved".
    const answer = await waitForAnswer(slack, (c) => /is already resolved/.test(String(c.args.text)), 10_000);
    expect(isEphemeral(answer)).toBe(true);
    expect(okPosts((c) => c.args.channel === channel && String(c.args.text).includes('RESOLVED:'))).toHaveLength(1);
    expect(await count(`SELECT count(*) AS n FROM incidents WHERE channel_id = $1`, [channel])).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM incidents WHERE channel_id = $1 AND status = 'resolved'`, [channel])).toBe(1);
  }, 30_000);

  it('runs an approved remediation once when Approve is clicked on two replicas at the same moment', async () => {
    const channel = REMEDIATION_CHANNEL;
    const worker = `w${RUN.toLowerCase()}`;
    const locks = [`${worker}_task-1.lock`, `${worker}_task-2.lock`].map((n) => path.join(shared, 'locks', n));
    const old = new Date(Date.now() - 60 * 60_000);
    for (const file of locks) {
      await fs.writeFile(file, '4242\n');
      await fs.utimes(file, old, old);
    }
    await deliver(
      sendSlashCommand(events(0), signed, {
        text: `remediate remove-stale-locks worker=${worker}`,
        channel_id: channel,
        user_id: ONCALL,
        response_url: slack.responseUrl({ channel, userId: ONCALL }),
      }),
    );
    const approval = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === channel && String(c.args.text).startsWith('Approval needed'),
      15_000,
    );
    const approvalTs = (approval.response as { ts: string }).ts;
    const requestId = /"value":"(rem_[a-z0-9]+)"/.exec(JSON.stringify(approval.args.blocks))?.[1];
    expect(requestId).toBeDefined();

    const approve = (replica: number, user: string) => {
      const base = clickOn(replica, 'remediation_approve', requestId!, { channel, messageTs: approvalTs }, user);
      return base.send();
    };
    await Promise.all([approve(1, APPROVER), approve(2, APPROVER), approve(0, APPROVER2)]);
    await slack.waitForCall('chat.update', (c) => c.args.ts === approvalTs && JSON.stringify(c.args.blocks).includes('succeeded'), 20_000);
    const refusals = () =>
      answers(slack).filter(
        (c) => String(c.args.text).includes('Remove stale lock files') && /was already|being handled right now/.test(String(c.args.text)),
      );
    await waitFor('the two other clicks to be answered', () => refusals().length === 2, 10_000);
    expect(refusals().every((c) => c.args.response_type === 'ephemeral')).toBe(true);

    const started = await count(`SELECT count(*) AS n FROM audit_log WHERE subject = $1 AND action = 'remediation.started'`, [
      `remediation:${requestId}`,
    ]);
    expect(started).toBe(1);
    expect(
      await count(`SELECT count(*) AS n FROM audit_log WHERE subject = $1 AND action = 'remediation.succeeded'`, [
        `remediation:${requestId}`,
      ]),
    ).toBe(1);
    for (const file of locks) await expect(fs.stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === channel && String(c.args.text).includes('succeeded (approved by'),
      10_000,
    );
    expect(okPosts((c) => c.args.channel === channel && String(c.args.text).includes('succeeded (approved by'))).toHaveLength(1);
    remediationRuns = started;
  }, 40_000);

  it('shows one storm summary, edited in place, when a storm of webhook alerts is spread over the replicas', async () => {
    const HEX = Date.now().toString(16);
    const notification = (i: number) => {
      const labels = { alertname: `ReplicaStorm${i % 3}`, instance: `node-${i}`, severity: i % 2 ? 'warning' : 'critical', team: 'storm' };
      return JSON.stringify({
        receiver: 'incident-bot',
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            labels,
            annotations: { summary: `${labels.alertname} on node-${i}` },
            startsAt: new Date().toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: 'http://prometheus.example.com/graph',
            fingerprint: `${HEX}${i.toString(16).padStart(2, '0')}`,
          },
        ],
        groupLabels: { alertname: labels.alertname, instance: labels.instance },
        commonLabels: labels,
        commonAnnotations: {},
        externalURL: 'http://alertmanager.example.com',
        version: '4',
        groupKey: `{}:{alertname="${labels.alertname}", instance="${labels.instance}"}`,
        truncatedAlerts: 0,
      });
    };
    const send = (replica: number, body: string) =>
      fetch(`${bots[replica % REPLICAS]!.url}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
        body,
      });
    // Thirty one-alert notifications, each to the next replica: ten each, below the threshold (20 a minute) of any one.
    const bodies = Array.from({ length: 30 }, (_, i) => notification(i));
    for (let i = 0; i < 30; i++) expect((await send(i, bodies[i]!)).status).toBe(200);
    // Alertmanager sending a stormed alert's notification again, to another replica: the summary showed it already.
    const again = await send(26, bodies[25]!);
    expect(await again.json()).toMatchObject({ alerts: [{ outcome: 'duplicate' }] });
    const final = await slack.waitForCall(
      'chat.update',
      (c) => c.args.channel === STORM_CHANNEL && /^Alert storm: 10 new alerts since \d\d:\d\d UTC$/.test(String(c.args.text)),
      30_000,
    );
    const summaryTs = final.args.ts as string;
    const inChannel = okPosts((c) => c.args.channel === STORM_CHANNEL && !c.args.thread_ts);
    // One summary for the three replicas; the twenty alerts before the storm each got a post of their own.
    expect(inChannel.filter((c) => String(c.args.text).startsWith('Alert storm'))).toHaveLength(1);
    expect(inChannel.filter((c) => !String(c.args.text).startsWith('Alert storm'))).toHaveLength(20);
    // The storm began once, on the replica whose alert was the 21st of the channel's minute.
    const began = bots.filter((b) =>
      b
        .logs()
        .some((l) => l.msg === 'alert storm: the channel gets one summary instead of a message per alert' && l.channel === STORM_CHANNEL),
    );
    expect(began).toHaveLength(1);
    const thread = () =>
      okPosts((c) => c.args.channel === STORM_CHANNEL && c.args.thread_ts === summaryTs)
        .map((c) => JSON.stringify(c.args.blocks))
        .join('');
    await waitFor("every stormed alert to be listed in the summary's thread", () => thread().includes('`instance=node-29`'), 15_000);
    await waitFor(
      'the alerts each replica took to be listed',
      () => Array.from({ length: 10 }, (_, k) => 20 + k).every((i) => thread().includes(`\`instance=node-${i}\``)),
      15_000,
    );
    expect(thread()).not.toContain('`instance=node-19`');
    // No summary edit came from a replica that kept its own count.
    const edits = slack.callsTo('chat.update').filter((c) => c.args.channel === STORM_CHANNEL);
    expect(edits.every((c) => c.args.ts === summaryTs)).toBe(true);
  }, 120_000);

  let remediationRuns = 0;

  it('sent every call to a method the emulator knows, and prints the figures', async () => {
    expect(slack.unknownMethods).toEqual([]);
    const alertRows = await count('SELECT count(*) AS n FROM alerts WHERE channel_id IS DISTINCT FROM $1', [STORM_CHANNEL]);
    const replies = okPosts(
      (c) =>
        String(c.args.channel).startsWith(`C0R${RUN}`) &&
        c.args.channel !== STORM_CHANNEL &&
        c.args.thread_ts !== undefined &&
        Array.isArray(c.args.blocks) &&
        JSON.stringify(c.args.blocks).includes('alert_acknowledge'),
    ).length;
    const incidents = await count('SELECT count(*) AS n FROM incidents');
    const duplicates = (
      await Promise.all(bots.map((b) => metric(b, 'incident_bot_duplicate_events_total{source="slack-event"}')))
    ).reduce<number>((a, n) => a + (n ?? 0), 0);
    process.stdout.write(
      `replicas: ${REPLICAS} replicas, ${deliveries} deliveries sent (${duplicates} Slack-event duplicates dropped), ${alertRows} alert rows, ${replies} alert replies, ${incidents} incidents, ${createdChannels().length} incident channels, ${okPosts((c) => c.args.channel === HUB_CHANNEL).length} hub messages, ${remediationRuns} remediation runs\n`,
    );
    expect(alertRows).toBe(11);
    expect(replies).toBe(11);
    expect(incidents).toBe(4);
    expect(createdChannels()).toHaveLength(incidents);
  });

  async function metric(bot: BotProcess, series: string): Promise<number | undefined> {
    const text = await (await fetch(`${bot.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(series + ' '));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  }
});
