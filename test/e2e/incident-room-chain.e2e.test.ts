import { Client } from 'pg';
import type { SlackEmulator } from '../../src/emulator/slack-emulator';
import { blockActionsPayload } from '../../src/playground/slack-payloads';
import { waitForAnswer } from '../support/answers';
import { startBotHarness, type BotHarness } from '../support/bot-harness';
import { findButton } from '../support/find-button';
import { startGithubEmulator, type GithubEmulator } from '../support/github-emulator';
import { blocksOf, textOf, tsOf } from '../support/recorded-calls';
import { newTriggerId, sendInteraction } from '../support/slack-signing';
import { waitFor } from '../support/wait-for';

const WEBHOOK_TOKEN = 'e2e-room-chain-webhook-token';
const GITHUB_TOKEN = 'ghp_e2e_chain_0123456789abcdef';
const ALERTS = 'C0CHAINALERTS';
const HUB = 'C0CHAINHUB';
const OPENER = 'U0OPENER1';
const ONCALL = 'U0ONCALL2';
const DBA = 'U0DBA0001';
const ALICE = 'U0ALICE01';
const BOB = 'U0BOBBY01';
const MIN = 60_000;

/**
 * The incident room's whole chain in one run of the built bot, against the Slack emulator, real PostgreSQL and Redis
 * and the GitHub emulator (each request checked against GitHub's OpenAPI description): an Alertmanager alert → Open
 * incident → its channel with the opener and the runbook contacts invited, topic and bookmarks → roles → the P1
 * promoted to P0 by the bot's own job 30 minutes after the alert started → the Resolve modal with the root cause →
 * a complete resolution notification → an action item of the post-mortem confirmed as a follow-up → exported to
 * GitHub → `/incident stats` counts the incident in MTTA and MTTR.
 *
 * The clock: the bot runs on its own; the test sets when the alert started (Alertmanager's `startsAt`, 31 minutes
 * ago), which is what the runbooks' 30-minute promotion counts from.
 */
describe('the incident room chain, from the alert to the report', () => {
  let h: BotHarness;
  let slack: SlackEmulator;
  let github: GithubEmulator;
  let pg: Client;
  // Public, as alerts channels and hubs usually are: the incident is public, its hub summary the full one.
  const everyone = ['U0INCIDENTBOT', OPENER, ONCALL, DBA, ALICE, BOB];

  beforeAll(async () => {
    github = await startGithubEmulator({ token: GITHUB_TOKEN });
    const people = { opener: OPENER, oncall: ONCALL, dba: DBA, alice: ALICE, bob: BOB };
    h = await startBotHarness({
      name: 'e2e_room_chain',
      pg: true,
      users: Object.entries(people).map(([name, id]) => ({ id, name, real_name: name, tz: 'UTC' })),
      usergroups: { S0ONCALL: [ONCALL] },
      channels: [
        { id: ALERTS, name: 'chain-alerts', members: everyone },
        { id: HUB, name: 'chain-hub', members: everyone },
      ],
      env: {
        ALERTMANAGER_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
        ALERTMANAGER_ROUTES: JSON.stringify([{ channel: ALERTS }]),
        INCIDENT_HUB_CHANNEL: HUB,
        // memory-daemon's contacts for a database alert: the on-call group (L1) and the DBA (L2), one of whose groups
        // does not exist; the infrastructure and application leads are other areas.
        CONTACT_ONCALL: 'S0ONCALL',
        CONTACT_DBA: `${DBA},S0DBAGONE`,
        RUNBOOKS_BASE_URL: 'https://wiki.corp.internal/runbooks',
        GRAFANA_URL: 'https://grafana.corp.internal',
        GITHUB_TOKEN,
        GITHUB_REPO: 'acme/ops',
        GITHUB_API_URL: github.url,
      },
    });
    ({ slack, pg } = h);
  }, 90_000);

  afterAll(async () => {
    expect(await h?.stop()).toBe(0);
    await github?.close();
  });

  const text = textOf;
  const command = (t: string, channel: string, user: string, triggerId = newTriggerId()) => h.command(t, { channel, user, triggerId });
  const click = (
    user: string,
    where: { channel: string; messageTs: string },
    action: { actionId: string; value: string; blockId?: string },
    triggerId = newTriggerId(),
  ) => h.click({ ...where, ...action, user, triggerId });
  const timeline = async (incidentId: string, kind: string) =>
    (
      await pg.query<{ actor: string; data: Record<string, unknown> }>(
        'SELECT actor, data FROM timeline_events WHERE incident_id = $1 AND kind = $2 ORDER BY id',
        [incidentId, kind],
      )
    ).rows;
  const incidentRow = async (incidentId: string) =>
    (
      await pg.query<{ severity: string; status: string; root_cause: string | null; acknowledged_by: string | null }>(
        'SELECT severity, status, root_cause, acknowledged_by FROM incidents WHERE id = $1',
        [incidentId],
      )
    ).rows[0]!;

  let room: string;
  let incidentId: string;
  let notificationTs: string;
  let hubTs: string;

  it('an Alertmanager alert → Open incident → its channel with the opener and the runbook contacts, topic, bookmarks and hub', async () => {
    const res = await h.alertmanagerWebhook(
      {
        version: '4',
        status: 'firing',
        receiver: 'incident-bot',
        groupKey: '{}:{alertname="QueryLatencyP95High"}',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'QueryLatencyP95High', severity: 'warning', job: 'memory-daemon' },
            annotations: { summary: 'p95 query latency above 500 ms' },
            startsAt: new Date(Date.now() - 31 * MIN).toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
            fingerprint: 'c4a1b2d3e4f50617',
          },
        ],
      },
      WEBHOOK_TOKEN,
    );
    expect(res.status).toBe(200);
    const card = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === ALERTS && !c.args.thread_ts && blocksOf(c).includes('alert_open_incident'),
      15_000,
    );
    await click(
      OPENER,
      { channel: ALERTS, messageTs: tsOf(card) },
      { actionId: 'alert_open_incident', ...findButton(card, 'alert_open_incident') },
    );

    const created = await slack.waitForCall('conversations.create', (c) => (c.response as { ok: boolean }).ok, 15_000);
    room = (created.response as { channel: { id: string } }).channel.id;
    const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    expect(slack.channelInfo(room)!.name).toMatch(new RegExp(`^inc-${today}-querylatencyp95high-p95-query-latency-above-500-ms`));
    const note = await slack.waitForCall('chat.postMessage', (c) => c.args.channel === room && text(c).includes('Incident ID:'), 15_000);
    incidentId = /INC-\d{14}/.exec(text(note))![0];
    notificationTs = tsOf(note);

    // Invited: the opener, the on-call group's member and the DBA; the contact that did not resolve is said so.
    await waitFor('the invitations', () => slack.channelInfo(room)!.members.length === 4, 10_000);
    expect(slack.channelInfo(room)!.members.sort()).toEqual(['U0INCIDENTBOT', OPENER, ONCALL, DBA].sort());
    const contacts = await slack.waitForCall('chat.postMessage', (c) => c.args.channel === room && text(c).includes('Runbook contacts'));
    expect(text(contacts).split('\n')).toEqual([
      ':busts_in_silhouette: *Runbook contacts*',
      '• *Primary On-Call*: 1 invited',
      '• *Database Admin*: 1 invited — not resolved: user group S0DBAGONE could not be read (no_such_subteam)',
    ]);

    const firstTopic = await slack.waitForCall('conversations.setTopic', (c) => c.args.channel === room);
    expect(String(firstTopic.args.topic)).toMatch(
      new RegExp(`^P1 · open · Lead: — · Comms: — · Scribe: — · ${incidentId} · QueryLatencyP95High`),
    );
    await waitFor('the bookmarks', () => slack.channelInfo(room)!.bookmarks.length === 4, 10_000);
    expect(slack.channelInfo(room)!.bookmarks.map((b) => b.link)).toEqual([
      'https://wiki.corp.internal/runbooks/continuous-claude/monitoring-runbooks',
      'https://grafana.corp.internal/d/continuous-claude-overview',
      'https://grafana.corp.internal/d/continuous-claude-memory',
      'https://grafana.corp.internal/alerting/list',
    ]);
    await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === ALERTS && c.args.thread_ts === tsOf(card) && text(c).includes(`<#${room}>`),
    );

    const hub = await slack.waitForCall('chat.postMessage', (c) => c.args.channel === HUB, 10_000);
    hubTs = tsOf(hub);
    expect(text(hub)).toContain(`*${incidentId}* · P1 · *open*`);
    expect(text(hub)).toContain(`<#${room}>`);
    expect(text(hub)).toContain('Contacts: <!subteam^S0ONCALL> (Primary On-Call) · <!subteam^S0DBAGONE> (Database Admin)');
  }, 60_000);

  it('roles: a commander and a scribe, in the topic and on the hub; the commander acknowledges', async () => {
    await command(`role commander <@${ALICE}|alice>`, room, OPENER);
    await command(`role scribe <@${BOB}>`, room, OPENER);
    await waitFor(
      'the roles in the topic',
      () => /Lead: <@U0ALICE01> · Comms: — · Scribe: <@U0BOBBY01>/.test(slack.channelInfo(room)!.topic.value),
      10_000,
    );
    await slack.waitForCall('chat.update', (c) => c.args.ts === hubTs && text(c).includes(`Commander: <@${ALICE}>`), 10_000);
    expect((await timeline(incidentId, 'role_assigned')).map((e) => e.data)).toEqual([
      { role: 'commander', userId: ALICE },
      { role: 'scribe', userId: BOB },
    ]);
    await command('ack', room, ALICE);
    await waitFor('the acknowledgement', async () => (await incidentRow(incidentId)).acknowledged_by === ALICE, 10_000);
  }, 30_000);

  it('the P1 is promoted to P0 by the bot’s job 30 minutes after the alert started, in the room, the topic and the hub', async () => {
    // The scheduled-jobs tick (every 30 s) finds the promotion due: the incident started with its alert, 31 minutes ago.
    await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === room && c.args.thread_ts === notificationTs && text(c).includes('raised from P1 to *P0*'),
      45_000,
    );
    expect((await incidentRow(incidentId)).severity).toBe('P0');
    const [promotion] = await timeline(incidentId, 'severity_promoted');
    expect(promotion).toMatchObject({ actor: 'bot', data: expect.objectContaining({ from: 'P1', to: 'P0' }) });
    expect(promotion!.data.afterMinutes).toBeGreaterThanOrEqual(30);
    await waitFor('P0 in the topic', () => slack.channelInfo(room)!.topic.value.startsWith('P0 · acknowledged'), 10_000);
    await slack.waitForCall('chat.update', (c) => c.args.ts === hubTs && text(c).includes(`*${incidentId}* · P0 · *acknowledged*`), 10_000);
  }, 60_000);

  it('the Resolve button’s modal takes the root cause and the resolution; the resolution notification is complete', async () => {
    const trigger = newTriggerId();
    await click(ALICE, { channel: room, messageTs: notificationTs }, { actionId: 'incident_resolve', value: incidentId }, trigger);
    const opened = await slack.waitForCall('views.open', (c) => c.args.trigger_id === trigger, 10_000);
    const viewId = (opened.response as { view: { id: string } }).view.id;
    const submitted = {
      root_cause: 'An unindexed query saturated the connection pool',
      resolution: 'Added the index; raised the pool to 40',
    };
    expect((await h.submitView(viewId, submitted, ALICE)).status).toBe(200);
    const resolved = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === room && c.args.thread_ts === notificationTs && text(c).includes('RESOLVED: QueryLatencyP95High'),
      10_000,
    );
    const lines = text(resolved).split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        `*Incident ID:* ${incidentId}`,
        '*Root Cause:* An unindexed query saturated the connection pool',
        '*Resolution:* Added the index; raised the pool to 40',
        '*Post-Mortem:* to be written (P0, or down for more than 15 minutes)',
      ]),
    );
    expect(lines.find((l) => l.startsWith('*Duration:*'))).toMatch(/^\*Duration:\* 3\d min/);
    expect(lines.find((l) => l.startsWith('*Resolution Time:*'))).toMatch(/^\*Resolution Time:\* \d{4}-\d\d-\d\d \d\d:\d\d/);
    expect(text(resolved)).not.toMatch(/To be determined|Not recorded/);
    expect(await incidentRow(incidentId)).toMatchObject({
      status: 'resolved',
      root_cause: 'An unindexed query saturated the connection pool',
    });
    await slack.waitForCall('chat.update', (c) => c.args.ts === hubTs && text(c).includes('*resolved*'), 10_000);
  }, 30_000);

  let followUpId: number;

  it('an action item of the post-mortem, confirmed, becomes a tracked follow-up', async () => {
    slack.postAs(room, {
      user: ALICE,
      text: "I'll add an alert on connection pool saturation to the memory daemon dashboards. OPS-101",
      thread_ts: notificationTs,
    });
    await command('postmortem', room, BOB);
    await slack.waitForCall('files.completeUploadExternal', () => true, 20_000);
    const markdown = slack
      .uploadedFiles()
      .find((f) => f.name === `postmortem-${incidentId}-v1.md`)!
      .bytes.toString('utf8');
    expect(markdown).toMatch(/- \[ \] .*connection pool saturation.*\(owner: @alice\)/);

    const summary = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === room && blocksOf(c).includes('postmortem_item_confirm'),
      10_000,
    );
    // The click carries the summary message as Slack shows it: the answer replaces the item's buttons with the decision.
    const message = slack.thread(room, notificationTs).find((m) => m.ts === tsOf(summary))!;
    const item = (message.blocks as { block_id?: string; text?: { text: string } }[]).find(
      (b) => b.block_id?.startsWith('pm_item_text:') && b.text?.text.includes('connection pool saturation'),
    )!;
    const key = item.block_id!.slice('pm_item_text:'.length);
    const payload = blockActionsPayload({
      user: { id: ALICE, name: 'alice', real_name: 'alice' },
      channel: { id: room, name: slack.channelInfo(room)!.name },
      message,
      ephemeral: false,
      action: {
        actionId: 'postmortem_item_confirm',
        value: findButton(summary, 'postmortem_item_confirm', key).value,
        blockId: `pm_item:${key}`,
      },
      responseUrl: slack.responseUrl({ channel: room, messageTs: message.ts, userId: ALICE, threadTs: notificationTs }),
      nowMs: Date.now(),
    });
    await sendInteraction(h.events(), { signingSecret: h.signingSecret }, payload);
    const decided = await waitForAnswer(slack, (c) => c.args.replace_original === true && /follow-up #\d+/.test(blocksOf(c)), 10_000);
    expect(blocksOf(decided)).toContain(`Confirmed by <@${ALICE}>`);
    followUpId = Number(/follow-up #(\d+)/.exec(blocksOf(decided))![1]);
    expect((await pg.query('SELECT incident_id, source, status, text FROM follow_ups WHERE id = $1', [followUpId])).rows[0]).toMatchObject({
      incident_id: incidentId,
      source: 'postmortem',
      status: 'open',
      text: expect.stringMatching(/connection pool saturation/),
    });
  }, 40_000);

  it('the follow-up is exported to GitHub as one issue GitHub’s OpenAPI description accepts', async () => {
    await click(BOB, { channel: room, messageTs: notificationTs }, { actionId: 'followup_export', value: String(followUpId) });
    const posted = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === room && text(c).includes('exported to GitHub'),
      15_000,
    );
    expect(github.violations()).toEqual([]);
    const issues = github.issues('acme', 'ops');
    expect(issues).toHaveLength(1);
    expect(String(issues[0]!.title)).toMatch(new RegExp(`^${incidentId}: .*connection pool saturation`));
    expect(text(posted)).toContain(String(issues[0]!.html_url));
    expect(h.bot.output()).not.toContain(GITHUB_TOKEN);
  }, 30_000);

  it('/incident stats counts the incident: P0, in MTTA and MTTR, its alert, the open follow-up', async () => {
    await command('stats 7d', ALERTS, BOB);
    const stats = await waitForAnswer(slack, (c) => text(c).startsWith('Incident report, last 7 days'), 10_000);
    const shown = blocksOf(stats);
    expect(shown).toContain('*Incidents*\\n1 — P0 1 · P1 0 · P2 0 · P3 0');
    expect(shown).toContain('*MTTA* (1 acknowledged)');
    expect(shown).toContain('*MTTR* (1 resolved)');
    expect(shown).toContain('*Top alerts*\\nQueryLatencyP95High ×1');
    expect(shown).toContain('*Follow-ups*\\n1 open · 0 overdue');
    expect(slack.unknownMethods).toEqual([]);
  }, 20_000);
});
