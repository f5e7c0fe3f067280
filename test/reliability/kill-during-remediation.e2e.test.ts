import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { Client } from 'pg';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBot, type BotProcess } from '../support/bot-process';
import { removeTestContainers, runContainer, uniqueContainerName, waitForContainer } from '../support/docker-containers';
import { createMigratedDatabase } from '../support/migrated-database';
import { DOCKER_SOCKET, REDIS_URL, requireDocker, requireRedis } from '../support/services';
import { buttonClickPayload, sendInteraction, sendSlashCommand } from '../support/slack-signing';
import { waitFor } from '../support/wait-for';

const SECRET = 'e2e-kill9-secret';
const TOKEN = 'xoxb-test-token';
const CHANNEL = 'C0KILL9';
const LABEL = { 'incident-bot-e2e': 'kill9' };

/** `kill -9` of the bot in the middle of an approved restart: the next bot reports it interrupted and never re-runs it. */
describe('kill -9 during a remediation', () => {
  let slack: SlackEmulator;
  let docker: Docker;
  let dbUrl: string;
  let dropDb: () => Promise<void>;
  let shared: string;
  const bots: BotProcess[] = [];

  beforeAll(async () => {
    await requireRedis();
    docker = await requireDocker();
    shared = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-e2e-kill9-'));
    slack = await startSlackEmulator({ botToken: TOKEN });
    const database = await createMigratedDatabase('e2e_kill9');
    await database.db.close();
    dbUrl = database.url;
    dropDb = database.drop;
  }, 60_000);

  afterAll(async () => {
    for (const b of bots) await b.stop();
    await slack?.close();
    await dropDb?.();
    if (docker) await removeTestContainers(docker, LABEL);
    await fs.rm(shared, { recursive: true, force: true });
  });

  // the shipped catalog's worker allow-list (commands/worker-crashes.yaml) takes extra names from WORKER_NAMES
  const worker = uniqueContainerName('worker-stubborn');
  const env = () => ({
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.url,
    DATABASE_URL: dbUrl,
    REDIS_URL,
    DOCKER_HOST: `unix://${DOCKER_SOCKET}`,
    WORKERS_SHARED_DIR: shared,
    REMEDIATION_LEASE_MS: '2000',
    WORKER_NAMES: worker,
    // `/incident remediate` outside an incident posts its approval in the approvals channel.
    APPROVALS_CHANNEL: CHANNEL,
  });

  it('reports the run interrupted after the restart and does not run it again', async () => {
    // PID 1 ignores SIGTERM, so `docker restart` waits its 10 s stop timeout: a run long enough to be killed in.
    const container = await runContainer(docker, {
      name: worker,
      cmd: ['sh', '-c', 'trap "" TERM; while true; do sleep 1; done'],
      init: false,
      labels: LABEL,
    });
    await waitForContainer(container, (i) => i.State.Running, 20_000, 'running');

    const first = await startBot(env());
    bots.push(first);
    await first.waitForReady();
    await sendSlashCommand(
      `${first.url}/slack/events`,
      { signingSecret: SECRET },
      { text: `remediate restart-worker worker=${worker}`, channel_id: CHANNEL, user_id: 'U0ONCALL01', response_url: slack.responseUrl() },
    );
    const approval = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CHANNEL && String(c.args.text).startsWith('Approval needed'),
      15_000,
    );
    const approvalTs = (approval.response as { ts: string }).ts;
    const requestId = /"value":"(rem_[a-z0-9]+)"/.exec(JSON.stringify(approval.args.blocks))?.[1];
    expect(requestId).toBeDefined();
    await sendInteraction(
      `${first.url}/slack/events`,
      { signingSecret: SECRET },
      buttonClickPayload({
        userId: 'U0SECOND02',
        channel: CHANNEL,
        messageTs: approvalTs,
        actionId: 'remediation_approve',
        value: requestId!,
        blockId: 'remediation_decision',
        responseUrl: slack.responseUrl({ channel: CHANNEL, messageTs: approvalTs, userId: 'U0SECOND02' }),
      }),
    );

    const pg = new Client({ connectionString: dbUrl });
    await pg.connect();
    const auditActions = async () =>
      (
        await pg.query<{ action: string }>(`SELECT action FROM audit_log WHERE subject = $1 ORDER BY id`, [`remediation:${requestId}`])
      ).rows.map((r) => r.action);
    try {
      await waitFor('the run to start', async () => (await auditActions()).includes('remediation.started'), 15_000);
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));

      const second = await startBot(env());
      bots.push(second);
      await second.waitForReady();
      const updated = await slack.waitForCall(
        'chat.update',
        (c) => c.args.ts === approvalTs && JSON.stringify(c.args.blocks).includes('Interrupted'),
        20_000,
      );
      expect(JSON.stringify(updated.args.blocks)).toContain('will not be re-run by itself');
      await slack.waitForCall(
        'chat.postMessage',
        (c) => c.args.channel === CHANNEL && String(c.args.text).includes('was interrupted'),
        10_000,
      );

      const state = (await pg.query<{ state: string }>('SELECT state FROM remediation_requests WHERE id = $1', [requestId])).rows[0]?.state;
      expect(state).toBe('interrupted');
      const actions = await auditActions();
      expect(actions.filter((a) => a === 'remediation.started')).toHaveLength(1);
      expect(actions).toContain('remediation.interrupted');
      expect(actions).not.toContain('remediation.succeeded');
    } finally {
      await pg.end();
    }
  }, 90_000);
});
