import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type SlackEmulator } from '../../src/emulator/slack-emulator';
import { startDemoTargets, type DemoTargets } from '../../src/playground/demo-targets';
import { messageEvent } from '../../src/playground/slack-payloads';
import { alertmanagerPost, seedAlerts } from '../../src/playground/seed-alerts';
import { loadCatalog } from '../../src/runbooks';
import { waitForAnswer } from '../support/answers';
import { startBotHarness, type BotHarness } from '../support/bot-harness';
import { buttonsOf, uploadedText, textOf, tsOf, type RenderedButton } from '../support/recorded-calls';

const CHANNEL = 'C0LINKREMED';
const REQUESTER = 'U0ONCALL01';
const APPROVER = 'U0ONCALL02';
const LINKER = 'U0ONCALL03';
const RESPONDERS = 'S0RESPONDERS';
const ROOT = path.join(__dirname, '..', '..');
const LOCKS = "Remove all the worker's lock files (clean recovery)";

/**
 * A remediation asked for and approved from an alert's diagnosis, before any incident existed, joins the incident
 * the alert is linked to later: here an incident opened with `/incident open`, the alert attached with
 * `/incident link-alert`. Its steps are in the incident's audit log (with who linked it) and in the post-mortem
 * draft, as when the incident is opened from the alert's own "Open incident" button (test/e2e/every-button).
 * Through the built bot, the playground's demo targets, the Slack emulator and real PostgreSQL and Redis.
 */
describe("an alert's remediations follow it into an incident it is linked to later", () => {
  let h: BotHarness;
  let slack: SlackEmulator;
  let demo: DemoTargets;
  let demoDir: string;

  beforeAll(async () => {
    demoDir = await mkdtemp(path.join(tmpdir(), 'ib-linked-alert-'));
    demo = await startDemoTargets({ dir: demoDir });
    h = await startBotHarness({
      name: 'e2e_linked_alert_remediations',
      channel: CHANNEL,
      usergroups: { [RESPONDERS]: [REQUESTER, APPROVER, LINKER] },
      env: { ...demo.env, REMEDIATION_APPROVERS_HIGH: RESPONDERS, INCIDENT_CHANNELS: 'off' },
    });
    slack = h.slack;
  }, 90_000);

  afterAll(async () => {
    await h?.stop();
    await demo?.stop();
    if (demoDir) await rm(demoDir, { recursive: true, force: true });
  });

  const text = textOf;
  const command = (t: string, user: string) => h.command(t, { user });
  const click = (user: string, where: { ts: string; threadTs: string }, button: RenderedButton) =>
    h.click({ user, messageTs: where.ts, threadTs: where.threadTs, actionId: button.action_id, value: button.value });

  it('requested and approved from the diagnosis, then linked with /incident link-alert: in the audit log and the post-mortem', async () => {
    // WorkerDown arrives from Alertmanager and diagnoses itself in its thread, offering the lock-file clean-up.
    const catalog = await loadCatalog(path.join(ROOT, 'commands'), demo.env);
    const workerDown = seedAlerts(catalog).find((a) => a.name === 'WorkerDown')!;
    const post = slack.postAs(CHANNEL, alertmanagerPost(workerDown));
    expect((await h.sendEvent(messageEvent(post))).status).toBe(200);
    const card = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.thread_ts === post.ts && JSON.stringify(c.args.blocks).includes('alert_acknowledge'),
      15_000,
    );
    const alertId = /alert #(\d+)/.exec(JSON.stringify(card.args.blocks))![1]!;
    const diagnosis = await slack.waitForCall(
      'chat.update',
      (c) => c.args.channel === CHANNEL && JSON.stringify(c.args.blocks).includes('Diagnosis: WorkerDown'),
      30_000,
    );
    const request = buttonsOf(diagnosis.args.blocks).find(
      (b) => b.action_id === 'remediation_request' && JSON.parse(b.value!).action === 'remove-worker-locks',
    )!;
    expect(request).toBeDefined();

    // Asked for and approved by another responder while the alert belongs to no incident.
    await click(REQUESTER, { ts: String(diagnosis.args.ts), threadTs: post.ts }, request);
    const approval = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.thread_ts === post.ts && text(c).startsWith('Approval needed') && text(c).includes('lock files'),
      15_000,
    );
    const approve = buttonsOf(approval.args.blocks).find((b) => b.action_id === 'remediation_approve')!;
    await click(APPROVER, { ts: tsOf(approval), threadTs: post.ts }, approve);
    await slack.waitForCall(
      'chat.update',
      (c) => c.args.ts === tsOf(approval) && JSON.stringify(c.args.blocks).includes(`Approved by <@${APPROVER}>`),
      30_000,
    );

    // The incident is opened by command, not from the alert; the alert is linked to it afterwards.
    await command('open Workers stop picking up tasks P1', LINKER);
    const note = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CHANNEL && !c.args.thread_ts && /\*Incident ID:\* INC-\d{14}/.test(text(c)),
      15_000,
    );
    const incidentId = /INC-\d{14}/.exec(text(note))![0];
    await command(`link-alert ${alertId} ${incidentId}`, LINKER);
    await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.thread_ts === tsOf(note) && text(c).includes(`linked alert WorkerDown (#${alertId}`),
      15_000,
    );

    // What the responders see: the incident's audit log has the request, its approval and who linked it.
    await command(`audit ${incidentId}`, LINKER);
    const audit = text(await waitForAnswer(slack, (c) => text(c).startsWith(`*Audit log of ${incidentId}*`), 15_000));
    expect(audit).toMatch(new RegExp(`remediation\\.requested by <@${REQUESTER}>`));
    expect(audit).toMatch(new RegExp(`remediation\\.approved by <@${APPROVER}>`));
    expect(audit).toMatch(new RegExp(`remediation\\.linked by <@${LINKER}>`));

    // And the post-mortem draft's timeline has the remediation, approved before the incident was opened.
    await command(`postmortem ${incidentId}`, LINKER);
    const uploaded = await slack.waitForCall('files.completeUploadExternal', () => true, 30_000);
    const markdown = uploadedText(slack, uploaded);
    expect(markdown).toContain(incidentId);
    const lines = markdown.split('\n').filter((l) => l.includes(LOCKS));
    expect(lines.some((l) => /approved/i.test(l))).toBe(true);
  }, 120_000);
});
