import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { RecordedCall, SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBotHarness, type BotHarness } from '../support/bot-harness';
import { startGithubEmulator, type GithubEmulator } from '../support/github-emulator';
import { waitFor } from '../support/wait-for';

const TOKEN = 'xoxb-test-token';
const GITHUB_TOKEN = 'ghp_e2e_room_0123456789abcdef';
const ALERTS = 'C0ROOMALERTS';
const HUB = 'C0INCHUB';
const ONCALL_GROUP = 'S0ONCALL';
const OPENER = 'U0OPENER1';
const ONCALL = 'U0ONCALL2';
const ALICE = 'U0ALICE01';
const BOB = 'U0BOBBY01';
const RUN = `EvROOM${Date.now()}`;
const FIXTURES = path.join(__dirname, '..', 'fixtures');

/**
 * The incident room end to end, through the built bot against the Slack emulator, real PostgreSQL and Redis and a
 * GitHub emulator that checks every request against GitHub's OpenAPI description: an alert → Open incident → its
 * own channel (members, topic, bookmarks, name_taken handled) → the hub summary → roles and a hand-over →
 * follow-ups → one exported to GitHub → resolved → /incident stats counts it.
 */
describe('the incident room end to end', () => {
  let h: BotHarness;
  let slack: SlackEmulator;
  let github: GithubEmulator;
  let db: Client;

  beforeAll(async () => {
    github = await startGithubEmulator({ token: GITHUB_TOKEN });
    const people = { opener: OPENER, oncall: ONCALL, alice: ALICE, bob: BOB };
    h = await startBotHarness({
      name: 'e2e_incident_room',
      pg: true,
      users: Object.entries(people).map(([name, id]) => ({ id, name })),
      usergroups: { [ONCALL_GROUP]: [ONCALL] },
      // Public channels (an incident opened in a private one gets a private room: test/security/incident-room).
      channels: [
        { id: ALERTS, name: 'room-alerts', members: ['U0INCIDENTBOT', OPENER, ONCALL, ALICE, BOB] },
        { id: HUB, name: 'incident-hub', members: ['U0INCIDENTBOT', OPENER, ONCALL, ALICE, BOB] },
      ],
      env: {
        // INCIDENT_CHANNELS is left unset: a channel per incident is the default.
        INCIDENT_HUB_CHANNEL: HUB,
        ESCALATION_L1: ONCALL_GROUP,
        RUNBOOKS_BASE_URL: 'https://wiki.corp.internal/runbooks',
        GRAFANA_URL: 'https://grafana.corp.internal',
        GITHUB_TOKEN,
        GITHUB_REPO: 'acme/ops',
        GITHUB_API_URL: github.url,
      },
    });
    ({ slack, pg: db } = h);
  }, 90_000);

  afterAll(async () => {
    expect(await h?.stop()).toBe(0);
    await github?.close();
  });

  const command = (text: string, channel: string, user: string) => h.command(text, { channel, user });
  const click = (actionId: string, value: string, where: { channel: string; messageTs: string; threadTs?: string }, user: string) =>
    h.click({ ...where, user, actionId, value });
  const buttons = (blocks: unknown) =>
    ((blocks as { type: string; elements?: { action_id: string; value: string }[] }[] | undefined) ?? [])
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements ?? []);
  const ephemeralAnswer = (predicate: (c: RecordedCall) => boolean) =>
    slack.waitForCall('response_url', (c) => c.args.response_type === 'ephemeral' && predicate(c), 10_000);
  const timeline = async (incidentId: string, kind: string) =>
    (
      await db.query<{ actor: string; text: string; data: Record<string, unknown> }>(
        'SELECT actor, text, data FROM timeline_events WHERE incident_id = $1 AND kind = $2 ORDER BY id',
        [incidentId, kind],
      )
    ).rows;

  let postTs: string;
  let alertId: string;
  let incidentId: string;
  let room: string;
  let hubTs: string;
  const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');

  it('Open incident on an alert creates its channel, suffixing a taken name, with the opener and the on-call invited', async () => {
    const envelope = JSON.parse(readFileSync(path.join(FIXTURES, 'slack/event-alertmanager-bot-message.json'), 'utf8'));
    const posted = slack.postAs(ALERTS, { ...envelope.event, channel: ALERTS, ts: undefined });
    postTs = posted.ts;
    await h.sendEvent({ event_id: `${RUN}1`, event: { ...envelope.event, channel: ALERTS, ts: postTs, event_ts: postTs } });
    const reply = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === ALERTS && c.args.thread_ts === postTs && Array.isArray(c.args.blocks),
      15_000,
    );
    alertId = buttons(reply.args.blocks).find((b) => b.action_id === 'alert_open_incident')!.value;

    // Someone already has the channel name the bot will want: Slack answers name_taken and the bot takes `-2`.
    const taken = await fetch(`${slack.url}conversations.create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `inc-${today}-stuckdetected-agent-worker-7-has-made-no-progress-for-15-min` }),
    });
    expect(((await taken.json()) as { ok: boolean }).ok).toBe(true);

    await click(
      'alert_open_incident',
      alertId,
      { channel: ALERTS, messageTs: (reply.response as { ts: string }).ts, threadTs: postTs },
      OPENER,
    );
    const created = await slack.waitForCall(
      'conversations.create',
      (c) => (c.response as { ok: boolean }).ok && String(c.args.name).endsWith('-2'),
      15_000,
    );
    expect(slack.callsTo('conversations.create').filter((c) => (c.response as { error?: string }).error === 'name_taken')).toHaveLength(1);
    room = (created.response as { channel: { id: string } }).channel.id;
    const info = slack.channelInfo(room)!;
    expect(info.name).toBe(`inc-${today}-stuckdetected-agent-worker-7-has-made-no-progress-for-15-min-2`);
    expect(info.name.length).toBeLessThanOrEqual(80);
    await waitFor('the opener and the on-call group to be invited', () => slack.channelInfo(room)!.members.length === 3, 10_000);
    expect(slack.channelInfo(room)!.members.sort()).toEqual(['U0INCIDENTBOT', ONCALL, OPENER].sort());
  }, 40_000);

  it('posts the notification in the room, sets its topic, bookmarks only the configured links and links the alert thread', async () => {
    const note = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === room && String(c.args.text).includes('Incident ID:'),
      10_000,
    );
    incidentId = /INC-\d{14}/.exec(String(note.args.text))![0];
    await waitFor('the topic', () => slack.channelInfo(room)!.topic.value !== '', 10_000);
    expect(slack.channelInfo(room)!.topic.value).toMatch(new RegExp(`^P1 · open · Lead: — · Comms: — · Scribe: — · ${incidentId} · `));
    await waitFor('the bookmarks', () => slack.channelInfo(room)!.bookmarks.length === 4, 10_000);
    // The runbook and the three Grafana boards; Prometheus targets is not bookmarked because PROMETHEUS_URL is unset.
    expect(slack.channelInfo(room)!.bookmarks.map((b) => b.link)).toEqual([
      'https://wiki.corp.internal/runbooks/continuous-claude/monitoring-runbooks',
      'https://grafana.corp.internal/d/continuous-claude-overview',
      'https://grafana.corp.internal/d/continuous-claude-memory',
      'https://grafana.corp.internal/alerting/list',
    ]);
    const link = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === ALERTS && c.args.thread_ts === postTs && String(c.args.text).includes(`<#${room}>`),
      10_000,
    );
    expect(String(link.args.text)).toContain(incidentId);
    expect((await db.query('SELECT channel_id FROM incidents WHERE id = $1', [incidentId])).rows[0]).toEqual({ channel_id: room });
    expect(await timeline(incidentId, 'room_opened')).toEqual([
      expect.objectContaining({ actor: OPENER, data: { channelId: room, name: slack.channelInfo(room)!.name } }),
    ]);
  }, 30_000);

  it('posts one hub summary with a Take command button', async () => {
    const hub = await slack.waitForCall('chat.postMessage', (c) => c.args.channel === HUB, 10_000);
    hubTs = (hub.response as { ts: string }).ts;
    expect(String(hub.args.text)).toContain(`*${incidentId}* · P1 · *open*`);
    expect(String(hub.args.text)).toContain(`<#${room}>`);
    expect(buttons(hub.args.blocks).map((b) => b.action_id)).toEqual(['incident_take_command']);
    expect(slack.messages(HUB)).toHaveLength(1);
  }, 20_000);

  it('/incident role commander @alice in the room: the topic, the hub and the timeline name her', async () => {
    expect((await command(`role commander <@${ALICE}|alice>`, room, OPENER)).status).toBe(200);
    await slack.waitForCall(
      'chat.update',
      (c) => c.args.channel === HUB && c.args.ts === hubTs && String(c.args.text).includes(`Commander: <@${ALICE}>`),
      10_000,
    );
    expect(slack.channelInfo(room)!.topic.value).toContain(`Lead: <@${ALICE}>`);
    expect(await timeline(incidentId, 'role_assigned')).toEqual([
      expect.objectContaining({ actor: OPENER, data: { role: 'commander', userId: ALICE } }),
    ]);
    const told = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === room && String(c.args.text).startsWith('Commander of'),
      10_000,
    );
    expect(String(told.args.text)).toBe(`Commander of *${incidentId}*: <@${ALICE}> — assigned by <@${OPENER}>.`);
    await command(`role scribe <@${BOB}>`, room, OPENER);
    await waitFor('the scribe in the topic', () => slack.channelInfo(room)!.topic.value.includes(`Scribe: <@${BOB}>`), 10_000);
  }, 20_000);

  it('refuses a role command without a mention, ephemerally', async () => {
    const res = await command('role commander alice', room, OPENER);
    expect(res.json).toMatchObject({ response_type: 'ephemeral' });
    expect(res.json.text).toContain('`alice` is not a mention');
    expect(res.json.text).toContain('Usage: `/incident role &lt;commander|comms|scribe&gt; &lt;@user&gt; [INC-ID]`');
  }, 20_000);

  it('Take command on the hub does not take command from Alice; she hands it over: a timeline event with who had it, topic and hub updated', async () => {
    await click('incident_take_command', incidentId, { channel: HUB, messageTs: hubTs }, BOB);
    const refused = await ephemeralAnswer((c) => String(c.args.text).includes('can hand command over'));
    expect(String(refused.args.text)).toContain(`<@${ALICE}> is the commander of ${incidentId}`);
    expect((await timeline(incidentId, 'role_assigned')).at(-1)).toMatchObject({ data: { role: 'scribe', userId: BOB } });

    await command(`role commander <@${BOB}>`, room, ALICE);
    await slack.waitForCall('chat.update', (c) => c.args.ts === hubTs && String(c.args.text).includes(`Commander: <@${BOB}>`), 10_000);
    const handover = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === room && String(c.args.text).startsWith(`Commander of *${incidentId}*: <@${BOB}>`),
      10_000,
    );
    expect(String(handover.args.text)).toBe(`Commander of *${incidentId}*: <@${BOB}> (was <@${ALICE}>) — assigned by <@${ALICE}>.`);
    expect((await timeline(incidentId, 'role_assigned')).at(-1)).toMatchObject({
      actor: ALICE,
      data: { role: 'commander', userId: BOB, previous: ALICE },
    });
    expect(slack.channelInfo(room)!.topic.value).toContain(`Lead: <@${BOB}>`);
    expect(slack.messages(HUB)).toHaveLength(1);
    await waitFor(
      'the room intro to name the new commander',
      () =>
        slack
          .messages(room)
          .some((m) => m.text.startsWith('Incident room for') && m.text.includes(`Commander: <@${BOB}> · Comms: — · Scribe: <@${BOB}>`)),
      10_000,
    );
  }, 20_000);

  let followUpId: number;

  it('/incident followup records a tracked follow-up with its owner and due date; followups lists it with Done and Export', async () => {
    await command(`followup Alert on the age of the oldest stuck agent <@${ALICE}>`, room, BOB);
    const note = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === room && String(c.args.text).includes('Follow-up *#'),
      10_000,
    );
    followUpId = Number(/#(\d+)/.exec(String(note.args.text))![1]);
    const row = (
      await db.query('SELECT incident_id, text, owner, status, source, created_by, due_at FROM follow_ups WHERE id = $1', [followUpId])
    ).rows[0];
    expect(row).toMatchObject({
      incident_id: incidentId,
      text: 'Alert on the age of the oldest stuck agent',
      owner: ALICE,
      status: 'open',
      source: 'command',
      created_by: BOB,
    });
    expect((row.due_at as Date).getTime()).toBeGreaterThan(Date.now() + 13 * 24 * 3600_000);
    expect(await timeline(incidentId, 'follow_up_added')).toEqual([expect.objectContaining({ data: { followUpId, owner: ALICE } })]);

    await command('followups', room, BOB);
    const list = await ephemeralAnswer((c) => String(c.args.text).startsWith(`Open follow-ups of ${incidentId}`));
    expect(buttons(list.args.blocks).map((b) => `${b.action_id}:${b.value}`)).toEqual([
      `followup_done:${followUpId}`,
      `followup_export:${followUpId}`,
    ]);
    await command('followups mine', ALERTS, ALICE);
    const mine = await ephemeralAnswer((c) => String(c.args.text).startsWith('Your open follow-ups'));
    expect(JSON.stringify(mine.args.blocks)).toContain('Alert on the age of the oldest stuck agent');
  }, 30_000);

  it('Export to GitHub creates one issue through a request GitHub’s OpenAPI description accepts; a second click does not create another', async () => {
    await click('followup_export', String(followUpId), { channel: room, messageTs: '1.000001' }, ALICE);
    const posted = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === room && String(c.args.text).includes('exported to GitHub'),
      15_000,
    );
    expect(github.violations()).toEqual([]);
    const [issue] = github.issues('acme', 'ops');
    expect(issue).toMatchObject({ number: 1, title: `${incidentId}: Alert on the age of the oldest stuck agent` });
    expect(String(posted.args.text)).toContain(String(issue!.html_url));
    expect((await db.query('SELECT external_url FROM follow_ups WHERE id = $1', [followUpId])).rows[0]).toEqual({
      external_url: issue!.html_url,
    });
    await click('followup_export', String(followUpId), { channel: room, messageTs: '1.000001' }, BOB);
    await ephemeralAnswer((c) => String(c.args.text).includes('already has its issue'));
    expect(github.issues('acme', 'ops')).toHaveLength(1);
    expect(JSON.stringify(github.calls.map((c) => c.body))).not.toContain(GITHUB_TOKEN);
    expect(h.bot.output()).not.toContain(GITHUB_TOKEN);
  }, 30_000);

  it('ack and resolve in the room keep the hub summary and the topic current; /incident stats counts the incident in MTTA and MTTR', async () => {
    await command('ack', room, BOB);
    await slack.waitForCall('chat.update', (c) => c.args.ts === hubTs && String(c.args.text).includes('*acknowledged*'), 10_000);
    await command(`resolve ${incidentId} root_cause="Agent stuck on a lock" resolution="Restarted the stuck agent"`, room, BOB);
    await slack.waitForCall('chat.update', (c) => c.args.ts === hubTs && String(c.args.text).includes('*resolved*'), 10_000);
    await waitFor('the resolved topic', () => slack.channelInfo(room)!.topic.value.startsWith('P1 · resolved'), 10_000);
    const last = slack
      .callsTo('chat.update')
      .filter((c) => c.args.ts === hubTs)
      .at(-1)!;
    expect(buttons(last.args.blocks)).toEqual([]);
    expect(slack.messages(HUB)).toHaveLength(1);

    await command('stats 7d', ALERTS, ALICE);
    const stats = await ephemeralAnswer((c) => String(c.args.text).startsWith('Incident report, last 7 days'));
    const text = JSON.stringify(stats.args.blocks);
    expect(text).toContain('*Incidents*\\n1 — P0 0 · P1 1 · P2 0 · P3 0');
    expect(text).toContain('*MTTA* (1 acknowledged)');
    expect(text).toContain('*MTTR* (1 resolved)');
    expect(text).toContain('*Top alerts*\\nStuckDetected ×1');
    expect(text).toContain('*Follow-ups*\\n1 open · 0 overdue');

    // The report's chart button uploads the weekly MTTA/MTTR medians as a PNG where the report was asked for.
    const chartButton = buttons(stats.args.blocks).find((b) => b.action_id === 'stats_chart')!;
    expect(chartButton.value).toBe('7');
    await click('stats_chart', chartButton.value, { channel: ALERTS, messageTs: '1.000003' }, ALICE);
    await slack.waitForCall('files.completeUploadExternal', (c) => (c.response as { ok: boolean }).ok, 15_000);
    const [chart] = slack.uploadedFiles().filter((f) => f.name === 'incident-mtta-mttr-7d.png');
    expect([...chart!.bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(chart!.channels).toEqual([ALERTS]);
    expect(chart!.alt_text).toMatch(
      /^Weekly median time to acknowledge and to resolve, in minutes: \d\d-\d\d: MTTA [\d.]+ min, MTTR [\d.]+ min$/,
    );
  }, 30_000);

  it('a follow-up after the resolution still lands on the room’s incident; Done closes it', async () => {
    await command(`followup Write down the restart procedure <@${ALICE}>`, room, ALICE);
    const note = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === room && String(c.args.text).includes('Write down the restart procedure'),
      10_000,
    );
    const id = Number(/#(\d+)/.exec(String(note.args.text))![1]);
    await click('followup_done', String(id), { channel: room, messageTs: '1.000002' }, ALICE);
    await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === room && String(c.args.text).includes(`Follow-up *#${id}* done`),
      10_000,
    );
    expect((await db.query('SELECT status, done_by FROM follow_ups WHERE id = $1', [id])).rows[0]).toEqual({
      status: 'done',
      done_by: ALICE,
    });
  }, 20_000);

  it('called only Slack methods the emulator knows', () => {
    expect(slack.unknownMethods).toEqual([]);
  });
});
