import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBot, type BotProcess } from '../support/bot-process';
import { makeExitedContainer, removeTestContainers, uniqueContainerName } from '../support/docker-containers';
import { createMigratedDatabase } from '../support/migrated-database';
import { startPrivateRedis, type PrivateRedis } from '../support/private-services';
import { DOCKER_SOCKET, requireDocker } from '../support/services';
import { buttonClickPayload, sendInteraction, sendSlashCommand } from '../support/slack-signing';
import { findButton } from '../support/find-button';
import { waitForAnswer, isEphemeral } from '../support/answers';

const SECRET = 'redis-down-approval-secret';
const TOKEN = 'xoxb-test-token';
const CHANNEL = 'C0REDISAPPROVE';
const REQUESTER = 'U0ONCALL01';
const APPROVER = 'U0SECOND02';
const LABEL = { 'incident-bot-e2e': 'redis-down-approval' };

/** Approve while Redis is down: nothing runs (approvals fail closed) and the person who clicked is told why. */
describe('an approval click while Redis is down', () => {
  let slack: SlackEmulator;
  let bot: BotProcess;
  let docker: Docker;
  let redis: PrivateRedis;
  let worker: string;
  let dropDb: () => Promise<void>;
  let shared: string;

  beforeAll(async () => {
    docker = await requireDocker();
    worker = uniqueContainerName('worker-redis-down');
    await makeExitedContainer(docker, worker, { labels: LABEL });
    shared = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-redis-down-'));
    slack = await startSlackEmulator({ botToken: TOKEN });
    redis = await startPrivateRedis();
    const database = await createMigratedDatabase('reliability_redis_down_approval');
    await database.db.close();
    dropDb = database.drop;
    bot = await startBot({
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      DOCKER_HOST: `unix://${DOCKER_SOCKET}`,
      WORKERS_SHARED_DIR: shared,
      // the shipped catalog's worker allow-list takes extra names from WORKER_NAMES
      WORKER_NAMES: worker,
      // a top-level diagnosis belongs to no incident or alert: approvals go to the configured channel
      APPROVALS_CHANNEL: CHANNEL,
    });
    await bot.waitForReady(60_000);
  }, 120_000);

  afterAll(async () => {
    await bot?.stop();
    await slack?.close();
    await redis?.destroy();
    await dropDb?.();
    if (docker) await removeTestContainers(docker, LABEL);
    if (shared) await fs.rm(shared, { recursive: true, force: true });
  });

  const events = () => `${bot.url}/slack/events`;
  const click = (
    user: string,
    message: { ts: string; thread_ts?: string },
    action: { action_id: string; value: string; block_id?: string },
  ) =>
    sendInteraction(
      events(),
      { signingSecret: SECRET },
      buttonClickPayload({
        userId: user,
        channel: CHANNEL,
        messageTs: message.ts,
        threadTs: message.thread_ts,
        actionId: action.action_id,
        value: action.value,
        blockId: action.block_id,
        responseUrl: slack.responseUrl({ channel: CHANNEL, messageTs: message.ts, userId: user }),
      }),
    );

  it('answers "approvals are paused: coordination is unavailable" and runs nothing', async () => {
    await sendSlashCommand(
      events(),
      { signingSecret: SECRET },
      { text: `diagnose WorkerDown worker=${worker}`, channel_id: CHANNEL, user_id: REQUESTER, response_url: slack.responseUrl() },
    );
    const diagnosis = await slack.waitForCall(
      'chat.update',
      (c) => c.args.channel === CHANNEL && JSON.stringify(c.args.blocks).includes('Diagnosis: WorkerDown'),
      30_000,
    );
    await click(
      REQUESTER,
      { ts: String(diagnosis.args.ts) },
      {
        action_id: 'remediation_request',
        value: findButton(diagnosis, 'remediation_request', 'restart-worker').value,
        block_id: 'remediation:restart-worker',
      },
    );
    const approval = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CHANNEL && String(c.args.text).startsWith('Approval needed'),
      15_000,
    );
    const approvalTs = (approval.response as { ts: string }).ts;

    await redis.kill();
    const res = await click(
      APPROVER,
      { ts: approvalTs, thread_ts: String(diagnosis.args.ts) },
      { action_id: 'remediation_approve', value: findButton(approval, 'remediation_approve').value },
    );
    expect(res.status).toBe(200);
    const answer = await waitForAnswer(
      slack,
      (c) => /approvals are paused: coordination \(Redis\) is unavailable/i.test(String(c.args.text)),
      20_000,
    );
    expect(isEphemeral(answer)).toBe(true);
    expect((await docker.getContainer(worker).inspect()).State.Status).toBe('exited');

    // SIGTERM with Redis still down: a clean stop all the same.
    const t0 = Date.now();
    const code = await bot.stop();
    process.stdout.write(
      `approve with Redis down: answered "approvals are paused", nothing ran; SIGTERM with Redis down: exit ${code} after ${Date.now() - t0} ms\n`,
    );
    expect(code).toBe(0);
  }, 120_000);
});
