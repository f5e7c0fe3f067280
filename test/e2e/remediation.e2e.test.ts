import { Client } from 'pg';
import type { SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBotHarness, type BotHarness } from '../support/bot-harness';
import { startCrashedWorker, type CrashedWorker } from '../support/crashed-worker';
import { requireRedis } from '../support/services';
import { findButton } from '../support/find-button';
import { waitForAnswer, isEphemeral } from '../support/answers';

const CHANNEL = 'C0REMEDIATE';
const APPROVALS = 'C0APPROVALS';
const REQUESTER = 'U0ONCALL01';
const APPROVER = 'U0SECOND02';
const LATE = 'U0THIRD003';
const LABEL = { 'incident-bot-e2e': 'remediation' };

/** From a diagnosis of a crashed worker: Restart → preview → another person's Approve → one real restart, verified, audited. */
describe('remediation behind approval, end to end on the real Docker engine', () => {
  let h: BotHarness;
  let slack: SlackEmulator;
  let crashed: CrashedWorker;

  beforeAll(async () => {
    await requireRedis();
    crashed = await startCrashedWorker('worker-marie', LABEL);
    h = await startBotHarness({
      name: 'e2e_remediation',
      channel: CHANNEL,
      user: REQUESTER,
      env: {
        ...crashed.env,
        // A diagnosis run in an ordinary channel has no incident or alert thread: approvals go to this channel.
        APPROVALS_CHANNEL: APPROVALS,
      },
    });
    slack = h.slack;
  }, 90_000);

  afterAll(async () => {
    expect(await h?.stop()).toBe(0);
    await crashed?.remove();
  });

  it('restarts the crashed worker once, after another person approves, and shows the verified result', async () => {
    const before = await crashed.docker.getContainer(crashed.worker).inspect();
    expect(before.State.Status).toBe('exited');

    // 1. Diagnose: the container probe sees the crash and the runbook offers the restart.
    await h.command(`diagnose WorkerDown worker=${crashed.worker}`);
    const diagnosis = await slack.waitForCall(
      'chat.update',
      (c) => c.args.channel === CHANNEL && JSON.stringify(c.args.blocks).includes('Diagnosis: WorkerDown'),
      20_000,
    );
    expect(JSON.stringify(diagnosis.args.blocks)).toMatch(/exited|137/);
    const button = findButton(diagnosis, 'remediation_request', 'restart-worker');

    // 2. Request: a preview and an approval message in the approvals channel (not only where the requester asked), nothing run yet.
    await h.click({
      messageTs: String(diagnosis.args.ts),
      actionId: 'remediation_request',
      value: button.value,
      blockId: 'remediation:restart-worker',
    });
    const approval = await slack.waitForCall('chat.postMessage', (c) => String(c.args.text).startsWith('Approval needed'), 10_000);
    expect(approval.args.channel).toBe(APPROVALS);
    expect(approval.args.thread_ts).toBeUndefined();
    const pointer = await waitForAnswer(slack, (c) => String(c.args.text).includes(`the approval request is in <#${APPROVALS}>`), 10_000);
    expect(isEphemeral(pointer)).toBe(true);
    const approvalText = JSON.stringify(approval.args.blocks);
    expect(approvalText).toContain(crashed.worker);
    expect(approvalText).toContain(`<@${REQUESTER}> asks to run`);
    expect(approvalText).toMatch(/Risk:.*medium/);
    expect((await crashed.docker.getContainer(crashed.worker).inspect()).State.Status).toBe('exited');
    const approvalTs = (approval.response as { ts: string }).ts;
    const approve = findButton(approval, 'remediation_approve');
    const clickApprove = (user: string) =>
      h.click({ user, channel: APPROVALS, messageTs: approvalTs, actionId: 'remediation_approve', value: approve.value });

    // 3. The requester cannot approve their own medium-risk action.
    await clickApprove(REQUESTER);
    const refused = await waitForAnswer(slack, (c) => String(c.args.text).includes('You are not an approver'), 10_000);
    expect(isEphemeral(refused)).toBe(true);
    expect((await crashed.docker.getContainer(crashed.worker).inspect()).State.Status).toBe('exited');

    // 4. Someone else approves, twice (a double click): it runs once.
    await Promise.all([clickApprove(APPROVER), clickApprove(APPROVER)]);
    const outcome = await slack.waitForCall(
      'chat.update',
      (c) => c.args.ts === approvalTs && JSON.stringify(c.args.blocks).includes('succeeded'),
      30_000,
    );
    expect(JSON.stringify(outcome.args.blocks)).toContain(`Approved by <@${APPROVER}>`);
    expect(JSON.stringify(outcome.args.blocks)).not.toContain('remediation_approve');
    const after = await crashed.docker.getContainer(crashed.worker).inspect();
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(before.State.StartedAt);
    const result = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === APPROVALS && c.args.thread_ts === approvalTs && String(c.args.text).includes('succeeded (approved by'),
      10_000,
    );
    expect(String(result.args.text)).toMatch(/Verification passed/);

    // 5. A late click changes nothing.
    await clickApprove(LATE);
    await waitForAnswer(slack, (c) => String(c.args.text).includes('was already succeeded'), 10_000);
    expect((await crashed.docker.getContainer(crashed.worker).inspect()).State.StartedAt).toBe(after.State.StartedAt);

    // 6. Every step is in the append-only audit log, the run exactly once.
    const pg = new Client({ connectionString: h.databaseUrl });
    await pg.connect();
    try {
      const rows = (
        await pg.query<{ action: string; actor: string }>(
          `SELECT action, actor FROM audit_log WHERE subject LIKE 'remediation:%' ORDER BY id`,
        )
      ).rows;
      const actions = rows.map((r) => r.action);
      expect(actions).toEqual(
        expect.arrayContaining([
          'remediation.requested',
          'remediation.previewed',
          'remediation.approval_refused',
          'remediation.approved',
          'remediation.started',
          'remediation.succeeded',
        ]),
      );
      expect(actions.filter((a) => a === 'remediation.started')).toHaveLength(1);
      expect(rows.find((r) => r.action === 'remediation.approved')?.actor).toBe(APPROVER);
    } finally {
      await pg.end();
    }
    expect(slack.unknownMethods).toEqual([]);
  }, 90_000);
});
