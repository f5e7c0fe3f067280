import { Client } from 'pg';
import type { SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBotHarness, type BotHarness } from '../support/bot-harness';
import { blocksOf, textOf, tsOf } from '../support/recorded-calls';
import { waitFor } from '../support/wait-for';
import { isEphemeral, waitForAnswer } from '../support/answers';
import { newTriggerId } from '../support/slack-signing';

const WEBHOOK_TOKEN = 'e2e-lifecycle-webhook-token';
const ALERT_CHANNEL = 'C0LIFEALERTS';
const CRITICAL_CHANNEL = 'C0CRITICAL';
const P1_CHANNEL = 'C0ALERTSP1';
const OPS = 'C0LIFEOPS';
const MIN = 60_000;

/**
 * The runbooks' life-cycle rules through the built bot, the Slack emulator and real PostgreSQL and Redis: the
 * catalog tier wins over the severity label, an incident opened from a 31-minute-old P1 alert is escalated from the
 * alert's start (the runbook contacts paged) and promoted to P0 by the bot's own job, P0/P1 notifications are copied
 * to their channels, Mitigated and Resolve work from buttons, the command and the modal, and the resolution
 * notification carries the root cause and the post-mortem draft.
 *
 * The clock is not faked: the alert's own `startsAt` (31 minutes ago, as Alertmanager reports an alert that has been
 * firing that long) puts the incident past the runbooks' 5/15/30-minute marks.
 */
describe('incident life cycle end to end', () => {
  let h: BotHarness;
  let slack: SlackEmulator;
  let pg: Client;
  // The channels its incidents are opened in are public: their notifications are copied in full to the tier channels
  // (a private incident's copy is only its redacted line).
  const everyone = ['U0INCIDENTBOT', 'U0ONCALL01', 'U0ONCALL02'];

  beforeAll(async () => {
    h = await startBotHarness({
      name: 'e2e_lifecycle',
      pg: true,
      channel: ALERT_CHANNEL,
      user: 'U0ONCALL01',
      channels: [
        { id: ALERT_CHANNEL, name: 'life-alerts', members: everyone },
        { id: OPS, name: 'life-ops', members: everyone },
      ],
      env: {
        // Thread mode: the life-cycle rules are followed in the alert's and the incident's threads (incident-room.e2e covers rooms).
        INCIDENT_CHANNELS: 'off',
        ALERTMANAGER_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
        ALERTMANAGER_ROUTES: JSON.stringify([{ channel: ALERT_CHANNEL }]),
        CRITICAL_CHANNEL,
        ALERTS_CHANNEL: P1_CHANNEL,
        // memory-daemon's contacts: the on-call (L1) and the DBA (L2, database); the infrastructure lead stays unset.
        CONTACT_ONCALL: 'S0ONCALL',
        CONTACT_DBA: 'S0DBA',
      },
    });
    ({ slack, pg } = h);
  }, 90_000);

  afterAll(async () => {
    await h?.stop();
  });

  const text = textOf;
  const command = (t: string, channel = ALERT_CHANNEL, user = 'U0ONCALL01', triggerId = newTriggerId()) =>
    h.command(t, { channel, user, triggerId });
  const click = (
    actionId: string,
    value: string,
    where: { channel: string; messageTs: string },
    user = 'U0ONCALL01',
    triggerId = newTriggerId(),
  ) => h.click({ ...where, user, actionId, value, triggerId });
  const timeline = async (incidentId: string) =>
    (
      await pg.query<{ kind: string; actor: string; text: string; data: Record<string, unknown> }>(
        'SELECT kind, actor, text, data FROM timeline_events WHERE incident_id = $1 ORDER BY id',
        [incidentId],
      )
    ).rows;
  const incidentRow = async (incidentId: string) =>
    (
      await pg.query<{ severity: string; status: string; root_cause: string | null; resolution: string | null }>(
        'SELECT severity, status, root_cause, resolution FROM incidents WHERE id = $1',
        [incidentId],
      )
    ).rows[0]!;

  let incidentId: string;
  let notificationTs: string;

  it('keeps the catalog tier of a known alert (P1) whatever its severity label says (warning)', async () => {
    const startsAt = new Date(Date.now() - 31 * MIN).toISOString();
    const body = {
      version: '4',
      status: 'firing',
      receiver: 'incident-bot',
      groupKey: '{}:{alertname="QueryLatencyP95High"}',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'QueryLatencyP95High', severity: 'warning', job: 'memory-daemon' },
          annotations: { summary: 'p95 query latency above 500 ms' },
          startsAt,
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: 'a1b2c3d4e5f60718',
        },
      ],
    };
    const res = await h.alertmanagerWebhook(body, WEBHOOK_TOKEN);
    expect({ status: res.status, body: await res.json() }).toMatchObject({
      status: 200,
      body: { accepted: 1, alerts: [{ outcome: 'new' }] },
    });
    const post = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === ALERT_CHANNEL && blocksOf(c).includes('QueryLatencyP95High'),
      10_000,
    );
    expect(blocksOf(post)).toContain('P1 (high)');
    const { rows } = await pg.query<{ id: string; severity: string }>("SELECT id, severity FROM alerts WHERE name = 'QueryLatencyP95High'");
    expect(rows).toEqual([expect.objectContaining({ severity: 'P1' })]);

    // Open incident on the alert's post: the incident starts when the alert did, 31 minutes ago.
    await click('alert_open_incident', rows[0]!.id, { channel: ALERT_CHANNEL, messageTs: tsOf(post) });
    const note = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === ALERT_CHANNEL && !c.args.thread_ts && text(c).includes('INCIDENT: QueryLatencyP95High'),
      10_000,
    );
    notificationTs = tsOf(note);
    incidentId = /INC-\d{14}/.exec(text(note))![0];
    expect(text(note)).toContain('*Severity:* P1 (high)');
    expect(blocksOf(note)).toContain('"action_id":"incident_mitigated"');
    expect(blocksOf(note)).toContain('"action_id":"incident_resolve"');
    // P1: copied to ALERTS_CHANNEL, without the buttons, with a link to the incident's thread.
    const copy = await slack.waitForCall('chat.postMessage', (c) => c.args.channel === P1_CHANNEL && text(c).includes(incidentId), 10_000);
    expect(blocksOf(copy)).toContain("Follow the incident's thread");
    expect(blocksOf(copy)).not.toContain('incident_resolve');
  }, 30_000);

  it('escalates the open incident from the alert start to the runbook contacts and promotes the P1 to P0 after 30 minutes, with a timeline entry', async () => {
    // The bot's scheduled-jobs tick (every 30 s) finds the incident's L1, L2, L3 and its promotion all due.
    const promoted = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === ALERT_CHANNEL && c.args.thread_ts === notificationTs && text(c).includes('raised from P1 to *P0*'),
      45_000,
    );
    expect(promoted.args.reply_broadcast).toBeTruthy();
    expect(await incidentRow(incidentId)).toMatchObject({ severity: 'P0', status: 'open' });
    const events = await timeline(incidentId);
    const promotion = events.filter((e) => e.kind === 'severity_promoted');
    expect(promotion).toEqual([expect.objectContaining({ actor: 'bot', data: expect.objectContaining({ from: 'P1', to: 'P0' }) })]);
    expect(promotion[0]!.data.afterMinutes).toBeGreaterThanOrEqual(31);
    // P0: the promotion goes to CRITICAL_CHANNEL too, and the opening notification shows P0.
    await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CRITICAL_CHANNEL && text(c).includes(incidentId) && text(c).includes('raised from P1'),
      10_000,
    );
    await slack.waitForCall('chat.update', (c) => c.args.ts === notificationTs && text(c).includes('*Severity:* P0 (critical)'), 10_000);

    // L1 (unacknowledged) pages the on-call contact, L2 the DBA (the alert's area is database); each once, on the timeline.
    const pages = () =>
      slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === notificationTs && text(c).includes('*Escalation'));
    await slack.waitForCall('chat.postMessage', (c) => c.args.thread_ts === notificationTs && text(c).includes('*Escalation L2*'), 10_000);
    expect(pages().map((c) => text(c).slice(0, 60))).toEqual([
      expect.stringContaining('*Escalation L1* <!subteam^S0ONCALL>'),
      expect.stringContaining('*Escalation L2* <!subteam^S0DBA>'),
    ]);
    // The page is posted first, then written on the timeline (a failed post is retried, never recorded as paged).
    const escalatedEvents = async () => (await timeline(incidentId)).filter((e) => e.kind === 'escalated').map((e) => e.data);
    await waitFor('the L2 page on the timeline', async () => (await escalatedEvents()).length >= 2);
    expect(await escalatedEvents()).toEqual([
      { level: 1, levelName: 'L1', targets: ['S0ONCALL'] },
      { level: 2, levelName: 'L2', targets: ['S0DBA'] },
    ]);
  }, 60_000);

  it('/incident status shows who to call from the runbook, "not configured" where the variable is unset', async () => {
    await command(`status ${incidentId}`);
    const status = await slack.waitForCall('response_url', (c) => text(c).startsWith(`${incidentId}:`), 10_000);
    expect(status.args.response_type).toBe('ephemeral');
    expect(blocksOf(status)).toContain('*Who to call*');
    expect(blocksOf(status)).toContain('*Database Admin* (L2, database, PostgreSQL issues): <!subteam^S0DBA>');
    expect(blocksOf(status)).toContain(
      '*Infrastructure Lead* (L2, infrastructure, System outages): not configured (set CONTACT_INFRA_LEAD)',
    );
  });

  it('the Mitigated button records it on the timeline and takes itself off the notification', async () => {
    await click('incident_mitigated', incidentId, { channel: ALERT_CHANNEL, messageTs: notificationTs }, 'U0ONCALL02');
    const said = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.thread_ts === notificationTs && text(c).includes('mitigated by <@U0ONCALL02>'),
      10_000,
    );
    expect(said).toBeDefined();
    expect((await timeline(incidentId)).filter((e) => e.kind === 'mitigated')).toEqual([expect.objectContaining({ actor: 'U0ONCALL02' })]);
    const updated = await slack.waitForCall(
      'chat.update',
      (c) => c.args.ts === notificationTs && text(c).includes('Mitigated, monitoring'),
      10_000,
    );
    expect(blocksOf(updated)).not.toContain('incident_mitigated');
    expect(blocksOf(updated)).toContain('incident_resolve');
  });

  it('a bare /incident resolve resolves nothing by itself: it lists the active incidents and the modal asks which, with root cause and resolution', async () => {
    const trigger = newTriggerId();
    await command('resolve', ALERT_CHANNEL, 'U0ONCALL01', trigger);
    const answer = await slack.waitForCall('response_url', (c) => text(c).startsWith('Which incident?'), 10_000);
    expect(answer.args.response_type).toBe('ephemeral');
    expect(text(answer)).toContain(incidentId);
    const opened = await slack.waitForCall('views.open', (c) => c.args.trigger_id === trigger, 10_000);
    expect((await incidentRow(incidentId)).status).toBe('mitigated');
    const viewId = (opened.response as { view: { id: string } }).view.id;

    // Slack's form would not submit an empty required field; a whitespace-only one reaches the bot and is refused.
    expect((await h.submitView(viewId, { incident: incidentId, root_cause: '  ', resolution: 'Raised the pool size' })).json).toEqual({
      response_action: 'errors',
      errors: { root_cause: 'Give the root cause (what made it happen), even if provisional.' },
    });
    expect((await incidentRow(incidentId)).status).toBe('mitigated');

    const filled = {
      incident: incidentId,
      root_cause: 'A batch job held every pooled connection',
      resolution: 'Raised the pool size; moved the job off-peak',
    };
    expect((await h.submitView(viewId, filled)).status).toBe(200);
    const resolved = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.thread_ts === notificationTs && text(c).includes('RESOLVED: QueryLatencyP95High'),
      10_000,
    );
    expect(text(resolved)).toContain('*Root Cause:* A batch job held every pooled connection');
    expect(text(resolved)).toContain('*Resolution:* Raised the pool size; moved the job off-peak');
    expect(text(resolved)).not.toContain('To be determined');
    expect(await incidentRow(incidentId)).toMatchObject({ status: 'resolved', root_cause: 'A batch job held every pooled connection' });
    // P0 resolution: also in CRITICAL_CHANNEL.
    await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CRITICAL_CHANNEL && text(c).includes(`RESOLVED: QueryLatencyP95High`),
      10_000,
    );
    const updated = await slack.waitForCall(
      'chat.update',
      (c) => c.args.ts === notificationTs && text(c).includes('*Current Status:* Resolved'),
      10_000,
    );
    expect(blocksOf(updated)).not.toContain('incident_resolve');
  }, 30_000);

  it('/incident mitigate, then the Resolve button: the modal for that incident, and the post-mortem draft named in the resolution', async () => {
    await command('open Checkout errors after deploy P2', OPS);
    const note = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === OPS && text(c).includes('INCIDENT: Checkout errors after deploy'),
      10_000,
    );
    const id = /INC-\d{14}/.exec(text(note))![0];
    const thread = tsOf(note);
    // P2: nothing copied to the severity channels.
    expect(
      slack
        .callsTo('chat.postMessage')
        .filter((c) => [CRITICAL_CHANNEL, P1_CHANNEL].includes(String(c.args.channel)) && text(c).includes(id)),
    ).toEqual([]);

    await command(`mitigate ${id} rolled back to v41`, OPS);
    await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.thread_ts === thread && text(c).includes('mitigated by <@U0ONCALL01>: rolled back to v41'),
      10_000,
    );
    expect((await timeline(id)).filter((e) => e.kind === 'mitigated').map((e) => e.text)).toEqual(['Mitigated: rolled back to v41']);
    // A second mitigate says why not.
    await command(`mitigate ${id}`, OPS);
    expect(text(await slack.waitForCall('response_url', (c) => text(c).includes(`${id} is already mitigated`), 10_000))).toContain(
      'resolve it when the fix is confirmed',
    );

    await command(`postmortem ${id}`, OPS);
    await slack.waitForCall('files.completeUploadExternal', () => true, 20_000);

    const trigger = newTriggerId();
    await click('incident_resolve', id, { channel: OPS, messageTs: thread }, 'U0ONCALL01', trigger);
    const opened = await slack.waitForCall('views.open', (c) => c.args.trigger_id === trigger, 10_000);
    expect(JSON.stringify(opened.args.view)).toContain(`Resolve *${id}*`);
    const viewId = (opened.response as { view: { id: string } }).view.id;
    await h.submitView(viewId, { root_cause: 'v42 sent malformed payment requests', resolution: 'Rolled back to v41, fix in review' });
    const resolved = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.thread_ts === thread && text(c).includes('RESOLVED: Checkout errors after deploy'),
      10_000,
    );
    expect(text(resolved)).toContain('*Root Cause:* v42 sent malformed payment requests');
    expect(text(resolved)).toMatch(/\*Post-Mortem:\* draft v1 in the incident thread: http/);
    expect((await timeline(id)).filter((e) => e.kind === 'resolved').map((e) => e.data)).toEqual([
      { rootCause: 'v42 sent malformed payment requests', resolution: 'Rolled back to v41, fix in review' },
    ]);
  }, 40_000);

  it('refuses a Resolve click for an incident that is already resolved, ephemerally', async () => {
    await click('incident_resolve', incidentId, { channel: ALERT_CHANNEL, messageTs: notificationTs });
    const answer = await waitForAnswer(slack, (c) => text(c).includes(`${incidentId} is already resolved`), 10_000);
    expect(isEphemeral(answer)).toBe(true);
    expect(slack.unknownMethods).toEqual([]);
  });
});
