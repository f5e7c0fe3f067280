import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBotHarness, type BotHarness } from '../support/bot-harness';
import { newTriggerId } from '../support/slack-signing';
import { findButton } from '../support/find-button';
import { markdownSection } from '../support/recorded-calls';

const CHANNEL = 'C0PMORTEM1';
const ONCALL = 'U0ONCALL01';
const APPROVER = 'U0SECOND02';
const WORKER = 'anga';

/**
 * The post-mortem's peak values come from what the probes really saw: an incident is opened, the runbook's checks
 * run against real heartbeat, task and lock files, a remediation runs after another person approves it, the
 * incident is resolved, and the draft's Metrics section lists the probes' values.
 */
describe('post-mortem of a diagnosed and remediated incident, end to end through the bot process', () => {
  let h: BotHarness;
  let slack: SlackEmulator;
  let shared: string;

  beforeAll(async () => {
    shared = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-e2e-postmortem-'));
    const old = new Date(Date.now() - 30 * 60_000);
    await fs.mkdir(path.join(shared, 'workers', WORKER), { recursive: true });
    await fs.writeFile(
      path.join(shared, 'workers', WORKER, 'heartbeat.json'),
      JSON.stringify({ timestamp: new Date(Date.now() - 20 * 60_000).toISOString() }),
    );
    for (const state of ['pending', 'active', 'completed', 'failed'])
      await fs.mkdir(path.join(shared, 'tasks', WORKER, state), { recursive: true });
    for (let i = 0; i < 4; i++) {
      const file = path.join(shared, 'tasks', WORKER, 'active', `task-${i}.json`);
      await fs.writeFile(file, JSON.stringify({ id: `task-${i}`, retry_count: 0 }));
      await fs.utimes(file, old, old);
    }
    h = await startBotHarness({
      name: 'e2e_postmortem',
      channel: CHANNEL,
      user: ONCALL,
      redis: false,
      env: {
        // This suite follows an incident in the thread it was opened in (test/e2e/incident-room.e2e covers rooms).
        INCIDENT_CHANNELS: 'off',
        WORKERS_SHARED_DIR: shared,
      },
    });
    slack = h.slack;
  }, 90_000);

  afterAll(async () => {
    expect(await h?.stop()).toBe(0);
    await fs.rm(shared, { recursive: true, force: true });
  });

  const command = (text: string) => h.command(text);

  it('reports the peak values the probes saw, and the remediation that ran, in the draft', async () => {
    // 1. An incident lives in the channel.
    await command('open Anga stopped heartbeating P1');
    const note = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CHANNEL && String(c.args.text).includes('INCIDENT: Anga stopped heartbeating'),
      10_000,
    );
    const incidentId = /INC-\d{14}/.exec(String(note.args.text))![0];

    // 2. The runbook's checks run against the real files: a 20-minute-old heartbeat, four tasks stuck in active.
    await command(`diagnose WatcherHeartbeatMissing worker=${WORKER}`);
    const diagnosis = await slack.waitForCall(
      'chat.update',
      (c) => c.args.channel === CHANNEL && JSON.stringify(c.args.blocks).includes('Diagnosis: WatcherHeartbeatMissing'),
      20_000,
    );
    const shown = JSON.stringify(diagnosis.args.blocks);
    expect(shown).toContain('stuck &gt; 10 min');

    // 3. Another person approves moving the stuck tasks back to pending; it runs once.
    const button = findButton(diagnosis, 'remediation_request', 'requeue-stuck-tasks');
    await h.click({
      messageTs: String(diagnosis.args.ts),
      actionId: 'remediation_request',
      value: button.value,
      blockId: 'remediation:requeue-stuck-tasks',
    });
    const approval = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CHANNEL && String(c.args.text).startsWith('Approval needed'),
      10_000,
    );
    const approvalTs = (approval.response as { ts: string }).ts;
    await h.click({
      user: APPROVER,
      messageTs: approvalTs,
      threadTs: String(diagnosis.args.ts),
      actionId: 'remediation_approve',
      value: findButton(approval, 'remediation_approve').value,
    });
    await slack.waitForCall('chat.update', (c) => c.args.ts === approvalTs && JSON.stringify(c.args.blocks).includes('succeeded'), 30_000);
    expect(await fs.readdir(path.join(shared, 'tasks', WORKER, 'pending'))).toHaveLength(4);

    // 4. Resolved, then drafted: the Markdown file lands in the incident thread.
    await command(`resolve ${incidentId} root_cause="watcher died with tasks in flight" resolution="tasks requeued, watcher restarted"`);
    await slack.waitForCall(
      'chat.update',
      (c) => c.args.ts === (note.response as { ts: string }).ts && String(c.args.text).includes('Resolved'),
      10_000,
    );
    await command(`postmortem ${incidentId}`);
    await slack.waitForCall('files.completeUploadExternal', () => true, 20_000);
    const markdown = slack
      .uploadedFiles()
      .find((f) => f.name === `postmortem-${incidentId}-v1.md`)!
      .bytes.toString('utf8');

    const metrics = markdown.slice(markdown.indexOf('## Metrics'));
    expect(metrics).toContain('Peak values seen by the diagnostic checks:');
    const age = /- Watcher heartbeat: age: (\d+) s \(/.exec(metrics);
    expect(age).not.toBeNull();
    expect(Number(age![1])).toBeGreaterThanOrEqual(20 * 60);
    expect(metrics).toContain('- Tasks and locks (deadlock check): active: 4 (');
    expect(metrics).toContain('- Tasks and locks (deadlock check): stuck > 10 min: 4 (');
    expect(metrics).not.toContain('Peak latency: [FILL IN]');
    expect(markdown).toMatch(/Diagnosis of WatcherHeartbeatMissing: crit \(age \d+ s, pending 0, active 4/);
    expect(markdown).toMatch(/Remediation “Move stuck active tasks back to pending” approved/);
    expect(markdownSection(markdown, 'Resolution')).toMatch(
      /Remediation “Move stuck active tasks back to pending” succeeded: moved 4 of 4 tasks/,
    );
    expect(slack.unknownMethods).toEqual([]);
  }, 90_000);

  it("the open modal's start of impact is the incident's start, and the draft measures the impact from it", async () => {
    const trigger = newTriggerId();
    await h.command('open', { triggerId: trigger });
    const opened = await slack.waitForCall('views.open', (c) => c.args.trigger_id === trigger, 10_000);
    const viewId = (opened.response as { view: { id: string } }).view.id;
    // A time of day a few minutes ago (UTC): the latest such time not in the future is today's, or yesterday's.
    const began = new Date(Date.now() - 7 * 60_000);
    const hhmm = began.toISOString().slice(11, 16);
    const submitted = { title: 'Checkout errors after the CDN change', severity: 'P2', started: hhmm };
    expect((await h.submitView(viewId, submitted, ONCALL)).status).toBe(200);
    const note = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CHANNEL && String(c.args.text).includes('INCIDENT: Checkout errors after the CDN change'),
      10_000,
    );
    const incidentId = /INC-\d{14}/.exec(String(note.args.text))![0];
    await command(`postmortem ${incidentId}`);
    await slack.waitForCall('files.completeUploadExternal', (c) => JSON.stringify(c.args).includes(incidentId), 20_000);
    const markdown = slack
      .uploadedFiles()
      .find((f) => f.name === `postmortem-${incidentId}-v1.md`)!
      .bytes.toString('utf8');
    expect(markdownSection(markdown, 'Metrics')).toContain(
      `- Start of impact: ${began.toISOString().slice(0, 10)} ${hhmm}:00 UTC (stated by a responder)`,
    );
  }, 60_000);
});
