import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RecordedCall, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { startDemoTargets, type DemoTargets } from '../../src/playground/demo-targets';
import { messageEvent } from '../../src/playground/slack-payloads';
import { alertmanagerPost, seedAlerts } from '../../src/playground/seed-alerts';
import { loadCatalog } from '../../src/runbooks';
import { BUTTON_ACTION_IDS, buttonOf, isKnownButton } from '../../src/slack/button-ids';
import { UNHANDLED_BUTTON_TEXT } from '../../src/slack/button-router';
import { answers, waitForAnswer } from '../support/answers';
import { startBotHarness, type BotHarness } from '../support/bot-harness';
import { buttonsOf, uploadedText, type RenderedButton } from '../support/recorded-calls';
import { buttonClickPayload, sendInteraction } from '../support/slack-signing';

const CHANNEL = 'C0EVERYBTN';
const REQUESTER = 'U0ONCALL01';
const OTHER = 'U0ONCALL02';
const RESPONDERS = 'S0EVERYONE';
const ROOT = path.join(__dirname, '..', '..');

type Where = { ts: string; thread_ts?: string };

/**
 * Every button the bot renders, clicked against the built bot with the playground's demo targets and nothing else
 * configured (no DOCKER_HOST, ALERTMANAGER_URL, PROMETHEUS_URL, GRAFANA_URL): each click is answered specifically,
 * in the thread it was made in, and every id in BUTTON_ACTION_IDS is clicked at least once (a new button fails here
 * until this walk covers it). A button whose target is not configured is not offered; a stale one (rendered before
 * the configuration changed) is still answered with what it needs.
 */
describe('every button answers the person who clicked, in the thread, with its target unconfigured', () => {
  let h: BotHarness;
  let slack: SlackEmulator;
  let demo: DemoTargets;
  let demoDir: string;
  const clicked = new Set<string>();

  beforeAll(async () => {
    demoDir = await mkdtemp(path.join(tmpdir(), 'ib-every-button-'));
    demo = await startDemoTargets({ dir: demoDir });
    h = await startBotHarness({
      name: 'e2e_every_button',
      channel: CHANNEL,
      user: REQUESTER,
      usergroups: { [RESPONDERS]: [REQUESTER, OTHER] },
      env: {
        ...demo.env,
        REMEDIATION_APPROVERS_HIGH: RESPONDERS,
        // Thread mode: every answer is checked in the thread it was made in (test/e2e/incident-room.e2e covers rooms).
        INCIDENT_CHANNELS: 'off',
      },
    });
    slack = h.slack;
  }, 90_000);

  afterAll(async () => {
    await h?.stop();
    await demo?.stop();
    if (demoDir) await rm(demoDir, { recursive: true, force: true });
  });

  const click = async (user: string, where: Where, button: RenderedButton): Promise<void> => {
    clicked.add(button.action_id);
    const res = await h.click({ user, messageTs: where.ts, threadTs: where.thread_ts, actionId: button.action_id, value: button.value });
    expect(res.status).toBe(200);
  };
  /** An answer only `user` sees, posted in the thread `threadTs`, whose text matches. */
  const answerInThread = async (user: string, threadTs: string, text: RegExp): Promise<RecordedCall> => {
    const answer = await waitForAnswer(slack, (c) => text.test(String(c.args.text)), 15_000);
    expect(answer.method).toBe('chat.postEphemeral');
    expect(answer.args).toMatchObject({ channel: CHANNEL, user, thread_ts: threadTs });
    return answer;
  };
  const lastBlocks = (ts: string): unknown => {
    const edits = slack.calls.filter(
      (c) =>
        (c.method === 'chat.update' && c.args.ts === ts) || (c.method === 'chat.postMessage' && (c.response as { ts?: string }).ts === ts),
    );
    return edits[edits.length - 1]?.args.blocks;
  };

  let postTs: string;
  let cardTs: string;
  let diagnosisTs: string;
  let incidentId: string;

  it('an alert gets its card without Silence (ALERTMANAGER_URL unset) and its diagnosis without the Docker restart (DOCKER_HOST unset)', async () => {
    const catalog = await loadCatalog(path.join(ROOT, 'commands'), demo.env);
    const workerDown = seedAlerts(catalog).find((a) => a.name === 'WorkerDown')!;
    const post = slack.postAs(CHANNEL, alertmanagerPost(workerDown));
    postTs = post.ts;
    expect((await h.sendEvent(messageEvent(post))).status).toBe(200);

    const card = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.thread_ts === postTs && JSON.stringify(c.args.blocks).includes('alert_acknowledge'),
      15_000,
    );
    cardTs = (card.response as { ts: string }).ts;
    expect(buttonsOf(card.args.blocks).map((b) => b.action_id)).toEqual(['alert_acknowledge', 'alert_diagnose', 'alert_open_incident']);

    // WorkerDown diagnoses itself (autoDiagnose): the restart is named with what it needs, without a button.
    const diagnosis = await slack.waitForCall(
      'chat.update',
      (c) => c.args.channel === CHANNEL && JSON.stringify(c.args.blocks).includes('Diagnosis: WorkerDown'),
      30_000,
    );
    diagnosisTs = String(diagnosis.args.ts);
    const text = JSON.stringify(diagnosis.args.blocks);
    expect(text).toContain('Restart the worker container');
    expect(text).toMatch(/not available here: needs `DOCKER_HOST`/);
    const requests = buttonsOf(diagnosis.args.blocks).filter((b) => b.action_id === 'remediation_request');
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.map((b) => JSON.parse(b.value!).action)).not.toContain('restart-worker');
  }, 60_000);

  it("Acknowledge edits the card; a second person's stale click is told who acknowledged, in the thread", async () => {
    await click(REQUESTER, { ts: cardTs, thread_ts: postTs }, { action_id: 'alert_acknowledge', value: alertIdOf(lastBlocks(cardTs)) });
    await slack.waitForCall('chat.update', (c) => c.args.ts === cardTs && JSON.stringify(c.args.blocks).includes('Acknowledged'), 15_000);
    await click(OTHER, { ts: cardTs, thread_ts: postTs }, { action_id: 'alert_acknowledge', value: alertIdOf(lastBlocks(cardTs)) });
    await answerInThread(OTHER, postTs, new RegExp(`already acknowledged by <@${REQUESTER}>`));
  });

  it('a stale Silence button says what it needs', async () => {
    await click(REQUESTER, { ts: cardTs, thread_ts: postTs }, { action_id: 'alert_silence', value: alertIdOf(lastBlocks(cardTs)) });
    await answerInThread(REQUESTER, postTs, /Silencing from Slack needs ALERTMANAGER_URL, which is not set; ask your operator/);
  });

  it('a stale request for the Docker restart says it needs DOCKER_HOST', async () => {
    const offered = buttonsOf(lastBlocks(diagnosisTs)).find((b) => b.action_id === 'remediation_request')!;
    const stale = { ...JSON.parse(offered.value!), action: 'restart-worker' };
    await click(REQUESTER, { ts: diagnosisTs, thread_ts: postTs }, { action_id: 'remediation_request', value: JSON.stringify(stale) });
    await answerInThread(REQUESTER, postTs, /“Restart the worker container” needs DOCKER_HOST .*ask your operator/);
  });

  it('a request is posted for approval in the thread; the requester\'s own approval is refused there; another person approves; again is "already"', async () => {
    const offered = buttonsOf(lastBlocks(diagnosisTs)).find(
      (b) => b.action_id === 'remediation_request' && JSON.parse(b.value!).action === 'remove-worker-locks',
    )!;
    expect(offered).toBeDefined();
    await click(REQUESTER, { ts: diagnosisTs, thread_ts: postTs }, offered);
    const approval = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.thread_ts === postTs && String(c.args.text).startsWith('Approval needed'),
      15_000,
    );
    const approvalTs = (approval.response as { ts: string }).ts;
    const approve = buttonsOf(approval.args.blocks).find((b) => b.action_id === 'remediation_approve')!;

    await click(REQUESTER, { ts: approvalTs, thread_ts: postTs }, approve);
    await answerInThread(REQUESTER, postTs, /You are not an approver/);

    await click(OTHER, { ts: approvalTs, thread_ts: postTs }, approve);
    await slack.waitForCall(
      'chat.update',
      (c) => c.args.ts === approvalTs && new RegExp(`Approved by <@${OTHER}>`).test(JSON.stringify(c.args.blocks)),
      30_000,
    );

    await click(OTHER, { ts: approvalTs, thread_ts: postTs }, approve);
    await answerInThread(OTHER, postTs, /was already (succeeded|failed)/);
  }, 60_000);

  it('Deny edits the approval message; denying it again is "already denied"', async () => {
    const offered = buttonsOf(lastBlocks(diagnosisTs)).find(
      (b) => b.action_id === 'remediation_request' && JSON.parse(b.value!).action === 'requeue-all-active-tasks',
    )!;
    expect(offered).toBeDefined();
    await click(REQUESTER, { ts: diagnosisTs, thread_ts: postTs }, offered);
    const approval = await slack.waitForCall(
      'chat.postMessage',
      (c) =>
        c.args.thread_ts === postTs &&
        String(c.args.text).startsWith('Approval needed') &&
        String(c.args.text).includes('Move all active tasks'),
      15_000,
    );
    const approvalTs = (approval.response as { ts: string }).ts;
    const deny = buttonsOf(approval.args.blocks).find((b) => b.action_id === 'remediation_deny')!;
    await click(OTHER, { ts: approvalTs, thread_ts: postTs }, deny);
    await slack.waitForCall(
      'chat.update',
      (c) => c.args.ts === approvalTs && JSON.stringify(c.args.blocks).includes(`Denied by <@${OTHER}>`),
      15_000,
    );
    await click(REQUESTER, { ts: approvalTs, thread_ts: postTs }, deny);
    await answerInThread(REQUESTER, postTs, new RegExp(`was already denied by <@${OTHER}>`));
  }, 30_000);

  it('Run again and Diagnose post a new diagnosis in the thread', async () => {
    const again = buttonsOf(lastBlocks(diagnosisTs)).find((b) => b.action_id === 'diagnose_again')!;
    const before = slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.thread_ts === postTs && String(c.args.text).includes('WorkerDown')).length;
    await click(REQUESTER, { ts: diagnosisTs, thread_ts: postTs }, again);
    await click(REQUESTER, { ts: cardTs, thread_ts: postTs }, { action_id: 'alert_diagnose', value: alertIdOf(lastBlocks(cardTs)) });
    await waitUntil(
      () =>
        slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === postTs && String(c.args.text).includes('WorkerDown')).length >=
        before + 2,
      30_000,
    );
  }, 45_000);

  it('Open incident links the alert; a second click says which incident it is part of', async () => {
    await click(REQUESTER, { ts: cardTs, thread_ts: postTs }, { action_id: 'alert_open_incident', value: alertIdOf(lastBlocks(cardTs)) });
    const linked = await slack.waitForCall(
      'chat.update',
      (c) => c.args.ts === cardTs && /incident INC-\d+/.test(JSON.stringify(c.args.blocks)),
      15_000,
    );
    incidentId = /INC-\d+/.exec(JSON.stringify(linked.args.blocks))![0];
    await click(OTHER, { ts: cardTs, thread_ts: postTs }, { action_id: 'alert_open_incident', value: alertIdOf(lastBlocks(cardTs)) });
    await answerInThread(OTHER, postTs, new RegExp(`already part of ${incidentId}`));

    // What was approved from the alert's diagnosis before the incident existed is now in the incident's audit log.
    await h.command(`audit ${incidentId}`);
    const audit = String(
      (await waitForAnswer(slack, (c) => String(c.args.text).startsWith(`*Audit log of ${incidentId}*`), 15_000)).args.text,
    );
    expect(audit).toMatch(/remediation\.requested by <@U0ONCALL01>/);
    expect(audit).toMatch(/remediation\.approved by <@U0ONCALL02>/);
    expect(audit).toMatch(/remediation\.linked by <@U0ONCALL01>/);
  });

  it('Mitigated marks the incident and leaves its notification; clicked again it says why not; Resolve opens the form for that incident', async () => {
    const note = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CHANNEL && String(c.args.text).includes(`*Incident ID:* ${incidentId}`),
      15_000,
    );
    const noteTs = (note.response as { ts: string }).ts;
    const mitigated = buttonsOf(note.args.blocks).find((b) => b.action_id === 'incident_mitigated')!;
    await click(REQUESTER, { ts: noteTs }, mitigated);
    await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.thread_ts === noteTs && String(c.args.text).includes('mitigated by <@U0ONCALL01>'),
      15_000,
    );
    await click(OTHER, { ts: noteTs }, mitigated);
    expect(
      String((await waitForAnswer(slack, (c) => String(c.args.text).includes(`${incidentId} is already mitigated`), 15_000)).args.text),
    ).toContain('resolve it when the fix is confirmed');
    const resolve = buttonsOf(note.args.blocks).find((b) => b.action_id === 'incident_resolve')!;
    await click(REQUESTER, { ts: noteTs }, resolve);
    const form = await slack.waitForCall('views.open', (c) => JSON.stringify(c.args.view).includes(`Resolve *${incidentId}*`), 15_000);
    expect(form.status).toBe(200);
  });

  it('Take command, follow-up Done and a stale Export (GitHub not configured) answer; a value naming nothing is told so', async () => {
    const where = { ts: cardTs, thread_ts: postTs };
    const said = (text: RegExp) => waitForAnswer(slack, (c) => text.test(String(c.args.text)), 15_000);
    // Owned by the one who closes it below (a follow-up is closed by its owner, the commander or the opener).
    await h.command(`followup Reap stale lock files on worker start <@${OTHER}>`);
    const added = await slack.waitForCall('chat.postMessage', (c) => /Follow-up \*#\d+\* recorded/.test(String(c.args.text)), 15_000);
    const followUpId = /#(\d+)/.exec(String(added.args.text))![1]!;

    // Export is not offered without GITHUB_TOKEN / GITHUB_REPO; a stale Export button says what it needs.
    await click(OTHER, where, { action_id: 'followup_export', value: followUpId });
    await answerInThread(OTHER, postTs, /set GITHUB_TOKEN and GITHUB_REPO/);
    await click(OTHER, where, { action_id: 'followup_done', value: followUpId });
    await slack.waitForCall('chat.postMessage', (c) => String(c.args.text).includes(`Follow-up *#${followUpId}* done`), 15_000);
    for (const action_id of ['followup_done', 'followup_export']) {
      await click(OTHER, where, { action_id, value: 'x' });
      await said(/does not belong to a follow-up this bot knows/);
    }

    await click(OTHER, where, { action_id: 'incident_take_command', value: incidentId });
    await waitUntil(
      () =>
        slack.calls.some(
          (c) => c.method === 'chat.postMessage' && String(c.args.text).includes(`<@${OTHER}> took command of *${incidentId}*`),
        ),
      15_000,
    );
    await click(OTHER, where, { action_id: 'incident_take_command', value: 'not-an-incident' });
    await answerInThread(OTHER, postTs, /does not belong to an incident this bot knows/);
  }, 45_000);

  it('Draft post-mortem on the resolution delivers the draft; on an unknown incident it says so, in the thread', async () => {
    await h.command(`resolve ${incidentId} root_cause="a stale lock file" resolution="Cleared the stale lock"`);
    const resolved = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CHANNEL && JSON.stringify(c.args.blocks ?? []).includes('postmortem_draft'),
      15_000,
    );
    const where = { ts: (resolved.response as { ts: string }).ts, thread_ts: resolved.args.thread_ts as string | undefined };
    const button = buttonsOf(resolved.args.blocks).find((b) => b.action_id === 'postmortem_draft')!;
    await click(REQUESTER, where, button);
    const uploaded = await slack.waitForCall('files.completeUploadExternal', () => true, 30_000);
    // The draft's timeline has the remediation approved from the alert's diagnosis before the incident was opened.
    const markdown = uploadedText(slack, uploaded);
    expect(markdown).toContain(incidentId);
    expect(markdown).toMatch(/Remove all the worker's lock files \(clean recovery\)/);
    expect(markdown).toMatch(/approved/);

    const thread = where.thread_ts ?? where.ts;
    await click(REQUESTER, { ts: where.ts, thread_ts: thread }, { ...button, value: 'INC-20990101000000' });
    await answerInThread(REQUESTER, thread, /no incident INC-20990101000000/i);

    // ✅ / ✖ on the summary's action items: a value that names no item of a draft is answered, in the thread.
    for (const action_id of ['postmortem_item_confirm', 'postmortem_item_drop']) {
      const before = answers(slack).length;
      await click(REQUESTER, { ts: where.ts, thread_ts: thread }, { action_id, value: 'not-an-item' });
      await waitUntil(() => answers(slack).length > before, 15_000);
      const answer = answers(slack)[before]!;
      expect(String(answer.args.text)).toMatch(/does not name an action item/);
      expect(answer.method).toBe('chat.postEphemeral');
      expect(answer.args).toMatchObject({ channel: CHANNEL, user: REQUESTER, thread_ts: thread });
    }
  }, 45_000);

  it('a dashboard link opens its URL (the click is only acknowledged); a button no handler knows is answered', async () => {
    // Dashboard links carry a URL the client opens; the bot only acknowledges the click. With GRAFANA_URL unset none is rendered.
    expect(slack.calls.flatMap((c) => buttonsOf(c.args.blocks)).filter((b) => /^dashboard_link_/.test(b.action_id))).toEqual([]);
    const before = answers(slack).length;
    await click(REQUESTER, { ts: diagnosisTs, thread_ts: postTs }, { action_id: 'dashboard_link_0', url: 'http://127.0.0.1:1/' });
    await click(REQUESTER, { ts: diagnosisTs, thread_ts: postTs }, { action_id: 'no_such_button', value: 'x' });
    await answerInThread(REQUESTER, postTs, new RegExp(escapeRegExp(UNHANDLED_BUTTON_TEXT)));
    expect(answers(slack).length).toBe(before + 1);
  });

  it('an alert menu option that names no alert is answered, in the thread', async () => {
    clicked.add('alert_menu');
    const before = answers(slack).length;
    const payload = buttonClickPayload({
      userId: REQUESTER,
      channel: CHANNEL,
      messageTs: cardTs,
      threadTs: postTs,
      actionId: 'alert_menu',
      value: '',
      responseUrl: slack.responseUrl({ channel: CHANNEL, messageTs: cardTs, userId: REQUESTER, threadTs: postTs }),
    });
    payload.actions = [
      {
        action_id: 'alert_menu',
        block_id: 'alert:0',
        type: 'overflow',
        selected_option: { text: { type: 'plain_text', text: 'Acknowledge' }, value: 'not-an-alert' },
        action_ts: `${Date.now() / 1000}`,
      },
    ];
    expect((await sendInteraction(h.events(), { signingSecret: h.signingSecret }, payload)).status).toBe(200);
    await waitUntil(() => answers(slack).length > before, 15_000);
    const answer = answers(slack)[before]!;
    expect(String(answer.args.text)).toMatch(/does not belong to an alert this bot knows/);
    expect(answer.args).toMatchObject({ channel: CHANNEL, user: REQUESTER, thread_ts: postTs });
  });

  it('the weekly chart button shares a PNG in the channel; a chart button for no report is told so', async () => {
    const where = { ts: cardTs, thread_ts: postTs };
    await click(REQUESTER, where, { action_id: 'stats_chart', value: '30' });
    const upload = await slack.waitForCall(
      'files.completeUploadExternal',
      (c) => String(c.args.initial_comment ?? '').includes('weekly MTTA / MTTR'),
      30_000,
    );
    expect(upload.args.channel_id).toBe(CHANNEL);
    await click(REQUESTER, where, { action_id: 'stats_chart', value: 'forever' });
    await answerInThread(REQUESTER, postTs, /does not belong to a report this bot made/);
  }, 45_000);

  it('every listed button was clicked, and every button rendered is listed', () => {
    const listed = BUTTON_ACTION_IDS.map((b) => (typeof b === 'string' ? b : b.source));
    const covered = new Set([...clicked].map((id) => buttonOf(id)).filter(Boolean));
    expect(listed.filter((id) => !covered.has(id))).toEqual([]);
    const rendered = new Set(slack.calls.flatMap((c) => buttonsOf(c.args.blocks)).map((b) => b.action_id));
    expect([...rendered].filter((id) => !isKnownButton(id))).toEqual([]);
  });
});

function alertIdOf(blocks: unknown): string {
  const m = /"value":"(\d+)"/.exec(JSON.stringify(blocks));
  if (!m) throw new Error(`no alert button in ${JSON.stringify(blocks).slice(0, 500)}`);
  return m[1]!;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
