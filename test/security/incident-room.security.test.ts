import type { RecordedCall } from '../../src/emulator/slack-emulator';
import { isAnswer, isEphemeral } from '../support/answers';
import { startGithubEmulator, type GithubEmulator } from '../support/github-emulator';
import { waitFor } from '../support/wait-for';
import { startSecuredBot, type SecuredBot } from './harness';

const BOT = 'U0INCIDENTBOT';
const OPENER = 'U0OPENER01';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOBBY001';
const MALLORY = 'U0MALLORY1';
/** Public, everyone in it. */
const OPS = 'C0SECOPS01';
/** Private: the security team; Mallory is not in it. */
const SECURITY = 'G0SECTEAM1';
/** Public and private channels the bot was never invited to. */
const LOBBY = 'C0SECLOBBY';
const HIDEOUT = 'G0SECHIDE1';
/** The hub, public as hubs usually are: everyone reads it. */
const HUB = 'C0SECHUB01';
/** ALERTS_CHANNEL: P1 notifications are copied there, where everyone reads them. */
const ALERTS = 'C0SECALERT';
/** Words of the private incident that nobody outside it may read: its title and its follow-up. */
const SECRET_TITLE = 'Skimming suspected on card terminals';
const SECRET_FOLLOW_UP = 'Revoke the compromised terminal certificates';
const GITHUB_TOKEN = 'ghp_security_room_0123456789abcdef';
const ALERT_NAME = 'CardFraudRuleTripped';
const RUN = Date.now().toString(36).toUpperCase();

/**
 * The incident room against a hostile user, through the built bot, the Slack emulator (with channels declared public
 * or private, as Slack would know them), real PostgreSQL and Redis: each refusal is ephemeral and specific, and the
 * refused change is not in the database.
 */
describe('incident rooms: privacy, who may change what, and honest answers', () => {
  let s: SecuredBot;
  let github: GithubEmulator;
  let publicIncident: string;
  let publicRoom: string;
  let privateIncident: string;
  let privateRoom: string;
  let alertId: string;

  beforeAll(async () => {
    github = await startGithubEmulator({ token: GITHUB_TOKEN });
    s = await startSecuredBot(
      'incident_room',
      {
        INCIDENT_CHANNELS: 'on',
        INCIDENT_HUB_CHANNEL: HUB,
        ALERTS_CHANNEL: ALERTS,
        GITHUB_TOKEN,
        GITHUB_REPO: 'acme/ops',
        GITHUB_API_URL: github.url,
      },
      (slack) => {
        for (const [id, name] of [
          [OPENER, 'opener'],
          [ALICE, 'alice'],
          [BOB, 'bob'],
          [MALLORY, 'mallory'],
        ] as const)
          slack.addUser({ id, name });
        slack.addChannel({ id: OPS, name: 'ops', members: [BOT, OPENER, ALICE, BOB, MALLORY] });
        slack.addChannel({ id: SECURITY, name: 'security-team', is_private: true, members: [BOT, OPENER, ALICE] });
        slack.addChannel({ id: LOBBY, name: 'lobby', members: [ALICE, MALLORY] });
        slack.addChannel({ id: HIDEOUT, name: 'hideout', is_private: true, members: [ALICE] });
        slack.addChannel({ id: HUB, name: 'incidents-hub', members: [BOT, OPENER, ALICE, BOB, MALLORY] });
        slack.addChannel({ id: ALERTS, name: 'alerts', members: [BOT, OPENER, ALICE, BOB, MALLORY] });
      },
    );
  }, 90_000);

  afterAll(async () => {
    await s?.stop();
    await github?.close();
  });

  const command = (channel: string, user: string, text: string) => s.command(text, { channel, user });
  const click = (user: string, channel: string, actionId: string, value: string) =>
    s.click({ user, channel, messageTs: '1.000001', actionId, value, blockId: 'security' });
  /** The first ephemeral answer matching `pattern` among the calls from index `from` on. */
  async function answerAfter(from: number, pattern: RegExp): Promise<RecordedCall> {
    let hit: RecordedCall | undefined;
    await waitFor(
      `an ephemeral answer matching ${pattern}`,
      () => (hit = s.slack.calls.slice(from).find((c) => isEphemeral(c) && pattern.test(String(c.args.text)))) !== undefined,
      15_000,
    );
    return hit!;
  }
  /** Runs `act` and resolves with the ephemeral answer matching `pattern` that it got. */
  const answerTo = async (act: () => Promise<unknown>, pattern: RegExp) => {
    const from = s.slack.calls.length;
    await act();
    return answerAfter(from, pattern);
  };
  const count = (sql: string, params: unknown[]) => s.count(sql, params);

  /** `/incident open` in `channel`; resolves with the incident and the room the bot created for it. */
  async function openIn(channel: string, title: string): Promise<{ incidentId: string; room: string; isPrivate: boolean }> {
    await command(channel, OPENER, `open ${title} P2`);
    const created = await s.slack.waitForCall(
      'conversations.create',
      (c) => String(c.args.name).includes(title.toLowerCase().split(' ')[0]!) && (c.response as { ok: boolean }).ok,
      15_000,
    );
    const room = (created.response as { channel: { id: string } }).channel.id;
    let incidentId = '';
    await waitFor(
      'the room to be recorded',
      async () => {
        const r = await s.pg.query<{ incident_id: string }>('SELECT incident_id FROM incident_rooms WHERE channel_id = $1', [room]);
        incidentId = r.rows[0]?.incident_id ?? '';
        return incidentId !== '';
      },
      15_000,
    );
    return { incidentId, room, isPrivate: created.args.is_private === true || created.args.is_private === 'true' };
  }

  it('an incident opened in a private channel gets a private room; one opened in a public channel a public room', async () => {
    const priv = await openIn(SECURITY, SECRET_TITLE);
    expect(priv.isPrivate).toBe(true);
    expect(s.slack.channelInfo(priv.room)).toMatchObject({ is_private: true });
    expect(s.slack.channelInfo(priv.room)!.members).not.toContain(MALLORY);
    ({ incidentId: privateIncident, room: privateRoom } = priv);

    const pub = await openIn(OPS, 'Checkout latency high');
    expect(pub.isPrivate).toBe(false);
    expect(s.slack.channelInfo(pub.room)).toMatchObject({ is_private: false });
    ({ incidentId: publicIncident, room: publicRoom } = pub);
  }, 40_000);

  it('link-alert: a private channel’s alert is refused to a non-member and never goes into a public incident; its name is not shown', async () => {
    const attachments = [
      { title: `[FIRING:1] ${ALERT_NAME}`, text: `*Alert:* ${ALERT_NAME}\n*Details:*\n  • *alertname:* \`${ALERT_NAME}\`\n` },
    ];
    const postTs = s.slack.seedThread(SECURITY, [{ subtype: 'bot_message', bot_id: 'B0ALERTMGR', username: 'Alertmanager', attachments }]);
    await s.sendEvent({
      event_id: `Ev${RUN}FRAUD`,
      event: {
        type: 'message',
        subtype: 'bot_message',
        bot_id: 'B0ALERTMGR',
        username: 'Alertmanager',
        text: '',
        attachments,
        ts: postTs,
        channel: SECURITY,
        event_ts: postTs,
      },
    });
    await waitFor(
      'the alert to be recorded',
      async () => (await count('SELECT count(*) AS n FROM alerts WHERE name = $1', [ALERT_NAME])) === 1,
      15_000,
    );
    alertId = String((await s.pg.query<{ id: number }>('SELECT id FROM alerts WHERE name = $1', [ALERT_NAME])).rows[0]!.id);
    const linked = () => count(`SELECT count(*) AS n FROM timeline_events WHERE kind = 'alert_linked'`, []);
    const incidentOfAlert = async () => (await s.pg.query('SELECT incident_id FROM alerts WHERE id = $1', [alertId])).rows[0]!.incident_id;

    const refused = await answerTo(
      () => command(OPS, MALLORY, `link-alert ${alertId} ${publicIncident}`),
      /private channel you are not in/,
    );
    expect(String(refused.args.text)).toBe(
      `Alert #${alertId} was posted in a private channel you are not in, so you cannot link it. Nothing was linked; ask someone in that channel to link it.`,
    );

    // Alice can read the security channel, but linking into a public room would show the alert to everyone there.
    const privateToPublic = await answerTo(
      () => command(OPS, ALICE, `link-alert ${alertId} ${publicIncident}`),
      /lives in a public channel/,
    );
    expect(String(privateToPublic.args.text)).toContain('linking would show the alert and its thread to everyone there');

    for (const c of [refused, privateToPublic]) expect(JSON.stringify(c.args)).not.toContain(ALERT_NAME);
    expect(await linked()).toBe(0);
    expect(await incidentOfAlert()).toBeNull();
    expect(JSON.stringify(s.slack.messages(publicRoom))).not.toContain(ALERT_NAME);

    // Into the incident opened from that private channel (its room is private too), Alice may link it, from inside that
    // room: elsewhere she is not one of its members, and a private incident named by id is refused to outsiders.
    await command(privateRoom, ALICE, `link-alert ${alertId} ${privateIncident}`);
    await s.slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === privateRoom && String(c.args.text).includes('linked alert'),
      15_000,
    );
    expect(await incidentOfAlert()).toBe(privateIncident);
    expect(await linked()).toBe(1);
  }, 60_000);

  it('stats: an alert name from a private channel is shown only to its members', async () => {
    const outside = await answerTo(() => command(OPS, MALLORY, 'stats'), /^Incident report/);
    expect(JSON.stringify(outside.args)).not.toContain(ALERT_NAME);
    expect(JSON.stringify(outside.args)).toContain('an alert in a private channel ×1');
    const member = await answerTo(() => command(OPS, ALICE, 'stats'), /^Incident report/);
    expect(JSON.stringify(member.args)).toContain(`${ALERT_NAME} ×1`);
  }, 30_000);

  it('the chart button where the bot is not a member says to invite it, and shares nothing', async () => {
    const notMember = await answerTo(
      () => click(ALICE, LOBBY, 'stats_chart', '7'),
      /I cannot share the chart here: I am not a member of this channel/,
    );
    expect(String(notMember.args.text)).toContain('/invite @incident-bot');
    await answerTo(
      () => click(ALICE, HIDEOUT, 'stats_chart', '30'),
      /I cannot share the chart here: this is a private channel or a conversation I am not in/,
    );
    expect(s.slack.uploadedFiles().flatMap((f) => f.channels)).toEqual([]);
    expect(s.bot.logs().filter((l) => l.msg === 'the stats chart failed')).toEqual([]);
  }, 30_000);

  it('command is not taken from a commander by a bystander; the commander hands it over; a role nobody holds may be taken', async () => {
    const commander = async (incidentId: string) =>
      (await s.pg.query(`SELECT user_id FROM incident_roles WHERE incident_id = $1 AND role = 'commander'`, [incidentId])).rows[0]?.user_id;
    const handovers = (incidentId: string) =>
      count(`SELECT count(*) AS n FROM timeline_events WHERE incident_id = $1 AND kind = 'role_assigned'`, [incidentId]);

    await command(publicRoom, OPENER, `role commander <@${ALICE}>`);
    await waitFor('Alice in command', async () => (await commander(publicIncident)) === ALICE, 15_000);

    const refused = await answerTo(() => click(MALLORY, publicRoom, 'incident_take_command', publicIncident), /is the commander of/);
    expect(String(refused.args.text)).toBe(
      `<@${ALICE}> is the commander of ${publicIncident}: only they or <@${OPENER}>, who opened the incident, can hand command over. Nothing was changed; ask one of them.`,
    );
    await answerTo(() => command(publicRoom, MALLORY, `role commander <@${MALLORY}>`), /can hand command over/);
    await command(publicRoom, MALLORY, `role scribe <@${MALLORY}>`);
    await waitFor('Mallory as scribe (nobody held it)', async () => (await handovers(publicIncident)) === 2, 15_000);
    await answerTo(
      () => command(publicRoom, BOB, `role scribe <@${BOB}>`),
      /is the scribe of .*: only they, the commander <@U0ALICE001> or <@U0OPENER01>, who opened the incident/,
    );
    expect(await commander(publicIncident)).toBe(ALICE);
    expect(await handovers(publicIncident)).toBe(2);

    await command(publicRoom, ALICE, `role commander <@${BOB}>`);
    await waitFor('Bob in command, handed over by Alice', async () => (await commander(publicIncident)) === BOB, 15_000);

    // Nobody leads the private incident yet: whoever clicks Take command leads it.
    await click(ALICE, privateRoom, 'incident_take_command', privateIncident);
    await waitFor('Alice in command of the private incident', async () => (await commander(privateIncident)) === ALICE, 15_000);
  }, 60_000);

  it('a follow-up is closed only by its owner, the commander or the opener; a failed room notice is reported as such, the change stands', async () => {
    await command(publicRoom, OPENER, `followup Rotate the card-terminal keys <@${ALICE}>`);
    const note = await s.slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === publicRoom && String(c.args.text).includes('Rotate the card-terminal keys'),
      15_000,
    );
    const id = /#(\d+)/.exec(String(note.args.text))![1]!;
    const row = async () => (await s.pg.query('SELECT status, done_by, external_url FROM follow_ups WHERE id = $1', [id])).rows[0];

    const refused = await answerTo(() => click(MALLORY, publicRoom, 'followup_done', id), /can close follow-up/);
    expect(String(refused.args.text)).toBe(
      `Only its owner <@${ALICE}>, the commander <@${BOB}> or <@${OPENER}>, who opened ${publicIncident} can close follow-up #${id}. It stays open.`,
    );
    expect(await row()).toMatchObject({ status: 'open', done_by: null });

    // The room was archived under the bot: the export still happened, and the clicker is told both.
    s.slack.failNext('chat.postMessage', { error: 'is_archived' });
    const exported = await answerTo(() => click(ALICE, publicRoom, 'followup_export', id), /is exported to GitHub/);
    const [issue] = github.issues('acme', 'ops');
    expect(String(exported.args.text)).toBe(
      `:link: Follow-up #${id} is exported to GitHub: <${issue!.html_url}> The notice in ${publicIncident}'s channel could not be posted (Slack: is_archived); tell the room yourself.`,
    );
    expect((await row()).external_url).toBe(issue!.html_url);

    s.slack.failNext('chat.postMessage', { error: 'is_archived' });
    const done = await answerTo(() => click(ALICE, publicRoom, 'followup_done', id), /is done\./);
    expect(String(done.args.text)).toBe(
      `:white_check_mark: Follow-up #${id} is done. The notice in ${publicIncident}'s channel could not be posted (Slack: is_archived); tell the room yourself.`,
    );
    expect(await row()).toMatchObject({ status: 'done', done_by: ALICE });
    expect(s.slack.calls.filter((c) => isEphemeral(c) && /failed on our side/.test(String(c.args.text)))).toEqual([]);
  }, 60_000);

  /** What someone outside the private incident could read of the calls from `from` on: the hub, and every answer. */
  const readableOutside = (from: number) => s.slack.calls.slice(from).filter((c) => c.args.channel === HUB || isAnswer(c));
  /** Neither the private incident's title, its follow-up nor anyone's name. */
  const expectNothingPrivate = (calls: RecordedCall[]) => {
    expect(calls.length).toBeGreaterThan(0);
    const seen = JSON.stringify(calls.map((c) => c.args));
    expect(seen).not.toMatch(/skimming|compromised terminal/i);
    expect(seen).not.toContain(`<@${ALICE}>`);
    expect(seen).not.toContain(`<@${OPENER}>`);
  };
  /** Like answerTo, matching the whole answer (blocks included), not only its text. */
  const fullAnswerTo = async (act: () => Promise<unknown>, pattern: RegExp) => {
    const from = s.slack.calls.length;
    await act();
    let hit: RecordedCall | undefined;
    await waitFor(
      `an ephemeral answer matching ${pattern}`,
      () => (hit = s.slack.calls.slice(from).find((c) => isEphemeral(c) && pattern.test(JSON.stringify(c.args)))) !== undefined,
      15_000,
    );
    return JSON.stringify(hit!.args);
  };

  it('the hub shows the private incident as a redacted card (id, severity, status, how to join) through its changes', async () => {
    const card = await s.slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === HUB && String(c.args.text).includes(privateIncident),
      15_000,
    );
    const ts = (card.response as { ts: string }).ts;
    // Alice took command: the card was edited, and stays redacted.
    const edited = await s.slack.waitForCall('chat.update', (c) => c.args.channel === HUB && c.args.ts === ts, 15_000);
    for (const c of [card, edited]) {
      expect(String(c.args.text)).toBe(
        `:large_yellow_circle: :lock: *${privateIncident}* · P2 · *open* — private incident\n` +
          '_Its title and people are shown only in its private channel. To help, ask someone working on it to add you to the channel._',
      );
      expect(JSON.stringify(c.args)).not.toMatch(/<#|<!subteam|"actions"/);
    }
    expectNothingPrivate(s.slack.calls.filter((c) => c === card || (c.args.channel === HUB && c.args.ts === ts)));
    const publicCard = s.slack.calls.find((c) => c.args.channel === HUB && String(c.args.text).includes(publicIncident))!;
    expect(String(publicCard.args.text)).toContain('Checkout latency high');
    expect(String(publicCard.args.text)).toContain(`<#${publicRoom}>`);
  }, 30_000);

  it('list and status show a private incident only in its room or to its members; others, and a member Slack cannot vouch for, get a redacted line', async () => {
    const from = s.slack.calls.length;
    const list = await fullAnswerTo(() => command(OPS, MALLORY, 'list'), /active incident/);
    expect(list).toContain('Checkout latency high');
    expect(list).toContain(`:lock: *${privateIncident}* P2 · open · private incident`);
    const status = await fullAnswerTo(() => command(OPS, MALLORY, `status ${privateIncident}`), /private incident/);
    expect(status).toContain(
      `:lock: *${privateIncident}* P2 · open · private incident\\nIts details are shown only in its private channel`,
    );
    // Slack does not answer who is in the room: the opener, a member, is shown the redacted line too.
    s.slack.failNext('conversations.members', { error: 'internal_error' });
    const unsure = await fullAnswerTo(() => command(OPS, OPENER, `status ${privateIncident}`), /private incident/);
    expect(unsure).toContain(`:lock: *${privateIncident}* P2 · open · private incident`);
    expectNothingPrivate(readableOutside(from));

    expect(await fullAnswerTo(() => command(privateRoom, ALICE, 'list'), /active incident/)).toContain(SECRET_TITLE);
    expect(await fullAnswerTo(() => command(OPS, OPENER, `status ${privateIncident}`), /Title/)).toContain(SECRET_TITLE);
    expect(await fullAnswerTo(() => command(OPS, OPENER, 'list'), /active incident/)).toContain(SECRET_TITLE);
  }, 60_000);

  it('followups: a private incident’s are counted, never shown, outside it; outsiders cannot close or export them', async () => {
    await command(privateRoom, OPENER, `followup ${SECRET_FOLLOW_UP} <@${ALICE}>`);
    const note = await s.slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === privateRoom && String(c.args.text).includes(SECRET_FOLLOW_UP),
      15_000,
    );
    const id = /#(\d+)/.exec(String(note.args.text))![1]!;
    const row = async () => (await s.pg.query('SELECT status, done_by, external_url FROM follow_ups WHERE id = $1', [id])).rows[0];
    const issues = github.issues('acme', 'ops').length;

    const from = s.slack.calls.length;
    const withheld = `:lock: *${privateIncident}* P2 · open · private incident: 1 follow-up not shown`;
    expect(await fullAnswerTo(() => command(OPS, MALLORY, 'followups'), /Open follow-ups/)).toContain(withheld);
    expect(await fullAnswerTo(() => command(OPS, MALLORY, `followups ${privateIncident}`), /none open that you can see/)).toContain(
      withheld,
    );
    const close = await answerTo(() => click(MALLORY, OPS, 'followup_done', id), /belongs to a private incident/);
    expect(String(close.args.text)).toBe(
      `Follow-up #${id} belongs to a private incident you are not in, so you cannot close it. Nothing was changed; ask someone working on it.`,
    );
    await answerTo(() => click(MALLORY, OPS, 'followup_export', id), /so you cannot export it/);
    expectNothingPrivate(readableOutside(from));
    expect(await row()).toMatchObject({ status: 'open', done_by: null, external_url: null });
    expect(github.issues('acme', 'ops')).toHaveLength(issues);

    // Its owner was told of it by name: her own list shows it wherever she asks. A member of the room sees it too.
    expect(await fullAnswerTo(() => command(OPS, ALICE, 'followups mine'), /Your open follow-ups/)).toContain(SECRET_FOLLOW_UP);
    expect(await fullAnswerTo(() => command(OPS, OPENER, 'followups'), /Open follow-ups/)).toContain(SECRET_FOLLOW_UP);
  }, 60_000);

  it('a private incident’s roles are not taken or given from outside it, and the refusal names nobody', async () => {
    const roles = async () =>
      (await s.pg.query(`SELECT role, user_id FROM incident_roles WHERE incident_id = $1 ORDER BY role`, [privateIncident])).rows;
    const refusal = `${privateIncident} is a private incident and you are not in its channel: its roles are taken and given from inside it. Nothing was changed; to help, ask someone working on it to add you to the channel.`;
    const from = s.slack.calls.length;
    const byCommand = await answerTo(() => command(OPS, MALLORY, `role scribe <@${MALLORY}> ${privateIncident}`), /is a private incident/);
    expect(String(byCommand.args.text)).toBe(refusal);
    const byButton = await answerTo(() => click(MALLORY, HUB, 'incident_take_command', privateIncident), /is a private incident/);
    expect(String(byButton.args.text)).toBe(refusal);
    s.slack.failNext('conversations.members', { error: 'internal_error' });
    const unsure = await answerTo(() => command(OPS, OPENER, `role comms <@${OPENER}> ${privateIncident}`), /is a private incident/);
    expect(String(unsure.args.text)).toBe(refusal);
    expectNothingPrivate(readableOutside(from));
    expect(await roles()).toEqual([{ role: 'commander', user_id: ALICE }]);

    // A member of the room may, from anywhere.
    await command(OPS, OPENER, `role scribe <@${OPENER}> ${privateIncident}`);
    await waitFor('the opener as scribe', async () => (await roles()).length === 2, 15_000);
    // The room's topic and then the hub summary follow the recorded role: waited for, so that no later test's window
    // holds this test's Slack calls.
    const topic = await s.slack.waitForCall(
      'conversations.setTopic',
      (c) => c.args.channel === privateRoom && String(c.args.topic).includes(`Scribe: <@${OPENER}>`),
      15_000,
    );
    await s.slack.waitForCall(
      'chat.update',
      (c) => c.args.channel === HUB && s.slack.calls.indexOf(c) > s.slack.calls.indexOf(topic),
      15_000,
    );
    expect(await roles()).toEqual([
      { role: 'commander', user_id: ALICE },
      { role: 'scribe', user_id: OPENER },
    ]);
  }, 60_000);

  it.each([
    ['ack', (id: string) => `ack ${id}`],
    ['sev', (id: string) => `sev P0 ${id}`],
    ['resolve', (id: string) => `resolve ${id} root_cause="card reader firmware" resolution="terminals swapped"`],
    ['mitigate', (id: string) => `mitigate ${id} terminals offline`],
    ['postmortem', (id: string) => `postmortem ${id}`],
    ['remediate', (id: string) => `remediate restart-container ${id} container=terminals`],
    ['audit', (id: string) => `audit ${id}`],
    ['link-alert', (id: string) => `link-alert ${alertId} ${id}`],
  ])(
    '/incident %s naming a private incident from outside it is refused by its id alone, and changes nothing',
    async (name, text) => {
      const state = async () => ({
        incident: (await s.pg.query('SELECT * FROM incidents WHERE id = $1', [privateIncident])).rows[0],
        timeline: await count('SELECT count(*) AS n FROM timeline_events WHERE incident_id = $1', [privateIncident]),
        drafts: await count('SELECT count(*) AS n FROM postmortem_drafts WHERE incident_id = $1', [privateIncident]),
        remediations: await count('SELECT count(*) AS n FROM remediation_requests WHERE incident_id = $1', [privateIncident]),
        alerts: await count('SELECT count(*) AS n FROM alerts WHERE incident_id = $1', [privateIncident]),
      });
      const before = await state();
      const from = s.slack.calls.length;
      const refused = await answerTo(() => command(OPS, MALLORY, text(privateIncident)), /is a private incident/);
      expect(String(refused.args.text)).toBe(
        `${privateIncident} is a private incident and you are not in its channel: \`/incident ${name}\` works on it only from inside it. ` +
          'Nothing was changed; to help, ask someone working on it to add you to the channel.',
      );
      expect(await state()).toEqual(before);
      const calls = s.slack.calls.slice(from);
      expect(calls.filter((c) => c.method === 'views.open' || c.method === 'chat.postMessage')).toEqual([]);
      expect(JSON.stringify(calls.map((c) => c.args))).not.toContain(SECRET_TITLE);
    },
    30_000,
  );

  it('the Mitigated and Resolve buttons of a private incident, clicked from outside it, are refused; resolve’s form offers only readable incidents', async () => {
    const row = async () => (await s.pg.query('SELECT * FROM incidents WHERE id = $1', [privateIncident])).rows[0];
    const before = await row();
    const from = s.slack.calls.length;
    for (const button of ['incident_mitigated', 'incident_resolve']) {
      const refused = await answerTo(() => click(MALLORY, OPS, button, privateIncident), /is a private incident/);
      expect(String(refused.args.text)).toBe(
        `${privateIncident} is a private incident and you are not in its channel: it is mitigated and resolved from inside it. ` +
          'Nothing was changed; to help, ask someone working on it to add you to the channel.',
      );
    }
    expect(s.slack.calls.slice(from).filter((c) => c.method === 'views.open')).toEqual([]);
    expect(await row()).toEqual(before);

    const formFrom = s.slack.calls.length;
    await answerTo(() => command(OPS, MALLORY, 'resolve'), /Which incident\?/);
    const form = await s.slack.waitForCall('views.open', (c) => s.slack.calls.indexOf(c) >= formFrom, 15_000);
    expect(JSON.stringify(form.args)).toContain(publicIncident);
    expect(JSON.stringify(form.args)).not.toContain(privateIncident);
    // Only what reaches people outside the private room counts (its own topic, set by earlier role changes, names it).
    const outside = s.slack.calls.slice(from).filter((c) => c.args.channel !== privateRoom);
    expect(JSON.stringify(outside.map((c) => c.args))).not.toContain(SECRET_TITLE);
  }, 30_000);

  it('a private incident’s notifications are copied to its tier’s channel as the redacted line; a public one’s in full', async () => {
    await command(privateRoom, ALICE, 'sev P1');
    const copy = await s.slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === ALERTS && String(c.args.text).includes(privateIncident),
      15_000,
    );
    expect(String(copy.args.text)).toBe(
      `:large_orange_circle: :lock: *${privateIncident}* · P1 · *open* — private incident\n` +
        '_Its title and people are shown only in its private channel. To help, ask someone working on it to add you to the channel._',
    );
    // The room itself is told in full.
    await s.slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === privateRoom && String(c.args.text).includes('P1') && String(c.args.text).includes(`<@${ALICE}>`),
      15_000,
    );
    expectNothingPrivate(s.slack.calls.filter((c) => c.args.channel === ALERTS));

    await command(publicRoom, BOB, 'sev P1');
    const publicCopy = await s.slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === ALERTS && String(c.args.text).includes(publicIncident),
      15_000,
    );
    expect(String(publicCopy.args.text)).toContain(`<@${BOB}>`);
  }, 30_000);

  it('the post-mortem buttons of a private incident (draft, ✅ Confirm, ✖ Drop), clicked from outside it, are refused and change nothing', async () => {
    const threadTs = (await s.pg.query<{ thread_ts: string }>('SELECT thread_ts FROM incidents WHERE id = $1', [privateIncident])).rows[0]!
      .thread_ts;
    s.slack.postAs(privateRoom, {
      user: ALICE,
      text: "I'll rotate the terminals' signing keys on every reader, SEC-41",
      thread_ts: threadTs,
    });
    const draftFrom = s.slack.calls.length;
    await command(privateRoom, ALICE, 'postmortem');
    const summary = await s.slack.waitForCall(
      'chat.postMessage',
      (c) =>
        s.slack.calls.indexOf(c) >= draftFrom && c.args.channel === privateRoom && JSON.stringify(c.args.blocks ?? []).includes('SEC-41'),
      20_000,
    );
    await s.slack.waitForCall('files.completeUploadExternal', (c) => s.slack.calls.indexOf(c) >= draftFrom, 20_000);
    const buttons = (summary.args.blocks as Array<{ elements?: Array<{ action_id?: string; value?: string }> }>).flatMap(
      (b) => b.elements ?? [],
    );
    const value = buttons.find((e) => e.action_id === 'postmortem_item_confirm')!.value!;
    expect(value).toMatch(new RegExp(`^${privateIncident}:[0-9a-f]{16}$`));

    const state = async () => ({
      items: (
        await s.pg.query('SELECT item_key, decision, decided_by FROM postmortem_action_items WHERE incident_id = $1', [privateIncident])
      ).rows,
      followUps: await count('SELECT count(*) AS n FROM follow_ups WHERE incident_id = $1', [privateIncident]),
      drafts: await count('SELECT count(*) AS n FROM postmortem_drafts WHERE incident_id = $1', [privateIncident]),
    });
    const before = await state();
    const from = s.slack.calls.length;
    for (const [actionId, buttonValue, what] of [
      ['postmortem_item_confirm', value, 'its action items are confirmed and dropped from inside it'],
      ['postmortem_item_drop', value, 'its action items are confirmed and dropped from inside it'],
      ['postmortem_draft', privateIncident, 'its post-mortem is drafted from inside it'],
    ] as const) {
      const refused = await answerTo(() => click(MALLORY, OPS, actionId, buttonValue), /is a private incident/);
      expect(String(refused.args.text)).toBe(
        `${privateIncident} is a private incident and you are not in its channel: ${what}. ` +
          'Nothing was changed; to help, ask someone working on it to add you to the channel.',
      );
    }
    expect(await state()).toEqual(before);
    const calls = s.slack.calls.slice(from);
    expect(calls.filter((c) => c.method === 'chat.postMessage' || c.method.startsWith('files.'))).toEqual([]);
    expect(JSON.stringify(calls.map((c) => c.args))).not.toContain(SECRET_TITLE);

    // From inside, the same click confirms it, and the follow-up is owned by whoever committed to it.
    await click(ALICE, privateRoom, 'postmortem_item_confirm', value);
    await waitFor(
      'the follow-up of the confirmed item',
      async () => (await count('SELECT count(*) AS n FROM follow_ups WHERE incident_id = $1', [privateIncident])) === before.followUps + 1,
      15_000,
    );
    const followUp = (
      await s.pg.query("SELECT owner, text FROM follow_ups WHERE incident_id = $1 AND source = 'postmortem'", [privateIncident])
    ).rows[0] as { owner: string; text: string };
    expect(followUp.owner).toBe(ALICE);
    expect(followUp.text).toMatch(/signing keys on every reader/);
    expect(followUp.text).not.toMatch(/owner:/);
  }, 60_000);

  it('called only Slack methods the emulator knows', () => {
    expect(s.slack.unknownMethods).toEqual([]);
  });
});
