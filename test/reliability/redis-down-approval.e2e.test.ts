import type { SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBotHarness, type BotHarness } from '../support/bot-harness';
import { startCrashedWorker, type CrashedWorker } from '../support/crashed-worker';
import { startPrivateRedis, type PrivateRedis } from '../support/private-services';
import { findButton } from '../support/find-button';
import { waitForAnswer, isEphemeral } from '../support/answers';

const CHANNEL = 'C0REDISAPPROVE';
const REQUESTER = 'U0ONCALL01';
const APPROVER = 'U0SECOND02';
const LABEL = { 'incident-bot-e2e': 'redis-down-approval' };

/** Approve while Redis is down: nothing runs (approvals fail closed) and the person who clicked is told why. */
describe('an approval click while Redis is down', () => {
  let h: BotHarness;
  let slack: SlackEmulator;
  let crashed: CrashedWorker;
  let redis: PrivateRedis;

  beforeAll(async () => {
    crashed = await startCrashedWorker('worker-redis-down', LABEL);
    redis = await startPrivateRedis();
    h = await startBotHarness({
      name: 'reliability_redis_down_approval',
      channel: CHANNEL,
      user: REQUESTER,
      redis: false,
      readyTimeoutMs: 60_000,
      env: {
        REDIS_URL: redis.url,
        ...crashed.env,
        // a top-level diagnosis belongs to no incident or alert: approvals go to the configured channel
        APPROVALS_CHANNEL: CHANNEL,
      },
    });
    slack = h.slack;
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
    await redis?.destroy();
    await crashed?.remove();
  });

  it('answers "approvals are paused: coordination is unavailable" and runs nothing', async () => {
    await h.command(`diagnose WorkerDown worker=${crashed.worker}`);
    const diagnosis = await slack.waitForCall(
      'chat.update',
      (c) => c.args.channel === CHANNEL && JSON.stringify(c.args.blocks).includes('Diagnosis: WorkerDown'),
      30_000,
    );
    await h.click({
      messageTs: String(diagnosis.args.ts),
      actionId: 'remediation_request',
      value: findButton(diagnosis, 'remediation_request', 'restart-worker').value,
      blockId: 'remediation:restart-worker',
    });
    const approval = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CHANNEL && String(c.args.text).startsWith('Approval needed'),
      15_000,
    );
    const approvalTs = (approval.response as { ts: string }).ts;

    await redis.kill();
    const res = await h.click({
      user: APPROVER,
      messageTs: approvalTs,
      threadTs: String(diagnosis.args.ts),
      actionId: 'remediation_approve',
      value: findButton(approval, 'remediation_approve').value,
    });
    expect(res.status).toBe(200);
    const answer = await waitForAnswer(
      slack,
      (c) => /approvals are paused: coordination \(Redis\) is unavailable/i.test(String(c.args.text)),
      20_000,
    );
    expect(isEphemeral(answer)).toBe(true);
    expect((await crashed.docker.getContainer(crashed.worker).inspect()).State.Status).toBe('exited');

    // SIGTERM with Redis still down: a clean stop all the same.
    const t0 = Date.now();
    const code = await h.bot.stop();
    process.stdout.write(
      `approve with Redis down: answered "approvals are paused", nothing ran; SIGTERM with Redis down: exit ${code} after ${Date.now() - t0} ms\n`,
    );
    expect(code).toBe(0);
  }, 120_000);
});
