import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { RecordedCall, SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBotHarness, type BotHarness } from '../support/bot-harness';
import { startCrashedWorker, type CrashedWorker } from '../support/crashed-worker';
import { requireRedis } from '../support/services';
import { buttonClickPayload, eventCallbackBody, slashCommandBody } from '../support/slack-signing';
import { findButton } from '../support/find-button';

const APP_TOKEN = 'xapp-test-token';
const ALERT_CHANNEL = 'C0INCIDENTS';
const CHANNEL = 'C0SOCKETOPS';
const APPROVALS = 'C0APPROVALS';
const REQUESTER = 'U0ONCALL01';
const APPROVER = 'U0SECOND02';
const LABEL = { 'incident-bot-e2e': 'socket-mode' };
const RUN = `EvSOCK${Date.now()}`;

const alertFixture = JSON.parse(
  readFileSync(path.join(__dirname, '..', 'fixtures', 'slack', 'event-alertmanager-bot-message.json'), 'utf8'),
) as {
  event: Record<string, unknown>;
};

/**
 * The built bot with no public URL: Socket Mode against the emulator's WebSocket, real PostgreSQL, Redis and Docker.
 * Slash commands, alert posts and button clicks arrive as envelopes the bot must ack; Slack asks it twice to
 * reconnect (refresh_requested) in the middle, and every envelope sent around the reconnects is handled exactly once.
 */
describe('the built bot in Socket Mode, end to end', () => {
  let h: BotHarness;
  let slack: SlackEmulator;
  let crashed: CrashedWorker;

  beforeAll(async () => {
    await requireRedis();
    crashed = await startCrashedWorker('worker-sock', LABEL);
    h = await startBotHarness({
      name: 'e2e_socket_mode',
      slack: { appToken: APP_TOKEN },
      env: {
        // No public URL and no signing secret: Slack reaches the bot over the Socket Mode WebSocket only.
        SLACK_SIGNING_SECRET: undefined,
        SLACK_APP_TOKEN: APP_TOKEN,
        ...crashed.env,
        APPROVALS_CHANNEL: APPROVALS,
      },
    });
    slack = h.slack;
    await slack.socketMode.waitForConnection(1, 20_000);
  }, 90_000);

  afterAll(async () => {
    expect(await h?.stop()).toBe(0);
    await crashed?.remove();
  });

  const slashCommand = (text: string, channel: string, userId = REQUESTER): string =>
    slack.socketMode.send(
      'slash_commands',
      Object.fromEntries(
        new URLSearchParams(
          slashCommandBody({ text, channel_id: channel, user_id: userId, response_url: slack.responseUrl({ channel, userId }) }),
        ),
      ),
    );

  const postAlert = (n: number): { envelopeId: string; postTs: string } => {
    // Alertmanager's own post in the channel (bot_id + username "Alertmanager", one of the default ALERT_SENDERS),
    // each about another worker so that each is a new alert rather than a repeat of the first.
    const fixture = JSON.parse(JSON.stringify(alertFixture.event).replaceAll('worker-7', `worker-${n}`)) as Record<string, unknown>;
    const { ts: _ts, event_ts: _eventTs, type: _type, channel: _channel, ...post } = fixture;
    const { ts: postTs } = slack.postAs(ALERT_CHANNEL, post as Parameters<SlackEmulator['postAs']>[1]);
    const event = { ...fixture, ts: postTs, event_ts: postTs };
    return { envelopeId: slack.socketMode.send('events_api', eventCallbackBody({ event_id: `${RUN}${n}`, event })), postTs };
  };

  const click = (
    user: string,
    messageTs: string,
    channel: string,
    action: { action_id: string; value: string; block_id?: string },
  ): string =>
    slack.socketMode.send(
      'interactive',
      buttonClickPayload({
        userId: user,
        channel,
        messageTs,
        actionId: action.action_id,
        value: action.value,
        blockId: action.block_id,
        responseUrl: slack.responseUrl({ channel, messageTs, userId: user }),
      }),
    );

  /** The alert's own reply (with its buttons); a P0 also gets a diagnosis posted in the thread. */
  const alertReplies = (postTs: string): RecordedCall[] =>
    slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.thread_ts === postTs && JSON.stringify(c.args.blocks).includes('"alert_acknowledge"'));

  it('answers /incident help in the ack itself', async () => {
    const envelopeId = slashCommand('help', CHANNEL);
    const ack = await slack.socketMode.waitForAck(envelopeId, 10_000);
    expect(ack.type).toBe('slash_commands');
    expect(ack.payload).toMatchObject({ response_type: 'ephemeral' });
    expect(String((ack.payload as { text: string }).text)).toContain('/incident help');
  });

  it('records an Alertmanager post from its envelope into the inbox and replies once in its thread, across a refresh_requested reconnect', async () => {
    const first = postAlert(1);
    await slack.waitForCall('chat.postMessage', (c) => alertReplies(first.postTs).includes(c), 20_000);
    expect((await slack.socketMode.waitForAck(first.envelopeId)).connection).toBe(1);

    // Slack asks for a reconnect; what it sends meanwhile waits for the new connection.
    slack.socketMode.requestDisconnect('refresh_requested');
    const second = postAlert(2);
    const help = slashCommand('help', CHANNEL);
    await slack.socketMode.waitForConnection(2, 20_000);
    await slack.waitForCall('chat.postMessage', (c) => alertReplies(second.postTs).includes(c), 20_000);
    expect((await slack.socketMode.waitForAck(second.envelopeId)).connection).toBe(2);
    expect((await slack.socketMode.waitForAck(help)).connection).toBe(2);
    expect(slack.callsTo('apps.connections.open').filter((c) => c.status === 200)).toHaveLength(2);

    const reply = alertReplies(second.postTs)[0]!;
    expect(JSON.stringify(reply.args.blocks)).toContain('StuckDetected');
    expect(JSON.stringify(reply.args.blocks)).toContain('instance=worker-2');
    expect(findButton(reply, 'alert_acknowledge').value).toMatch(/^\d+$/);
    // The inbox path logged both deliveries by their event ids.
    const logged = h.bot.logs().filter((l) => l.kind === 'event' && typeof l.reqId === 'string' && String(l.reqId).startsWith(RUN));
    expect(new Set(logged.map((l) => l.reqId))).toEqual(new Set([`${RUN}1`, `${RUN}2`]));
  }, 60_000);

  it('restarts a crashed worker once after an Approve click sent across another reconnect', async () => {
    const before = await crashed.docker.getContainer(crashed.worker).inspect();
    expect(before.State.Status).toBe('exited');

    const diagnose = slashCommand(`diagnose WorkerDown worker=${crashed.worker}`, CHANNEL);
    // Acked at once with no answer in the ack: the diagnosis is posted in the channel.
    expect((await slack.socketMode.waitForAck(diagnose)).payload).toEqual({});
    const diagnosis = await slack.waitForCall(
      'chat.update',
      (c) => c.args.channel === CHANNEL && JSON.stringify(c.args.blocks).includes('Diagnosis: WorkerDown'),
      30_000,
    );
    const restart = findButton(diagnosis, 'remediation_request', 'restart-worker');

    click(REQUESTER, String(diagnosis.args.ts), CHANNEL, {
      action_id: 'remediation_request',
      value: restart.value,
      block_id: 'remediation:restart-worker',
    });
    const approval = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === APPROVALS && String(c.args.text).startsWith('Approval needed'),
      20_000,
    );
    const approvalTs = (approval.response as { ts: string }).ts;
    const approve = findButton(approval, 'remediation_approve');
    expect((await crashed.docker.getContainer(crashed.worker).inspect()).State.Status).toBe('exited');

    slack.socketMode.requestDisconnect('refresh_requested');
    const approveClick = click(APPROVER, approvalTs, APPROVALS, { action_id: 'remediation_approve', value: approve.value });
    await slack.socketMode.waitForConnection(3, 20_000);
    expect((await slack.socketMode.waitForAck(approveClick)).connection).toBe(3);

    const outcome = await slack.waitForCall(
      'chat.update',
      (c) => c.args.ts === approvalTs && JSON.stringify(c.args.blocks).includes('succeeded'),
      40_000,
    );
    expect(JSON.stringify(outcome.args.blocks)).toContain(`Approved by <@${APPROVER}>`);
    const after = await crashed.docker.getContainer(crashed.worker).inspect();
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(before.State.StartedAt);

    const pg = new Client({ connectionString: h.databaseUrl });
    await pg.connect();
    try {
      const rows = (await pg.query<{ action: string }>(`SELECT action FROM audit_log WHERE subject LIKE 'remediation:%' ORDER BY id`)).rows;
      expect(rows.filter((r) => r.action === 'remediation.started')).toHaveLength(1);
      expect(rows.map((r) => r.action)).toContain('remediation.approved');
    } finally {
      await pg.end();
    }
  }, 120_000);

  it('acked every envelope exactly once, replied once per alert post, and called no method the emulator lacks', async () => {
    const sent = slack.socketMode.envelopes().map((e) => e.envelopeId);
    const acked = slack.socketMode.acks().map((a) => a.envelopeId);
    expect([...acked].sort()).toEqual([...sent].sort());
    const alertPosts = slack.messages(ALERT_CHANNEL).filter((m) => m.bot_id && m.username === 'Alertmanager');
    expect(alertPosts).toHaveLength(2);
    for (const post of alertPosts) expect(alertReplies(post.ts)).toHaveLength(1);
    expect(slack.unknownMethods).toEqual([]);

    // The alert envelopes went through the durable inbox (recorded by the first middleware), each run once.
    const pg = new Client({ connectionString: h.databaseUrl });
    await pg.connect();
    try {
      const rows = (
        await pg.query<{ event_id: string; attempts: number }>(
          `SELECT event_id, attempts FROM slack_inbox WHERE event_id LIKE $1 ORDER BY seq`,
          [`${RUN}%`],
        )
      ).rows;
      expect(rows).toEqual([
        { event_id: `${RUN}1`, attempts: 1 },
        { event_id: `${RUN}2`, attempts: 1 },
      ]);
    } finally {
      await pg.end();
    }
  });
});
