import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { Client } from 'pg';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { createTestDatabase, freePort, REDIS_URL, requirePostgres, requireRedis } from '../support/services';
import { sendSlashCommand } from '../support/slack-signing';
import { waitFor } from '../support/wait-for';

// The real Dockerfile, built by scripts/build-image.sh (on a base made from this machine's Node 20: no registry
// here), started the way an operator starts it, with the embedded database. The private engine has no bridge
// network, so the container shares the host's (it reaches the Slack emulator on 127.0.0.1 and publishes PORT).
const ROOT = path.resolve(__dirname, '../..');
const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///run/incident-bot/docker.sock';
const TAG = 'incident-bot:test';
const SIGNING_SECRET = 'container-signing-secret-8d1e';
const BOT_TOKEN = 'xoxb-container-test-token';
// Above the bot's own deadline (SHUTDOWN_TIMEOUT_MS, 10 s by default, plus its 5 s hard stop): a SIGKILL would
// show as exit code 137, so exit code 0 means the bot stopped itself.
const STOP_GRACE_S = 20;

const run = promisify(execFile);
async function docker(args: string[], timeoutMs = 60_000): Promise<string> {
  const { stdout } = await run('docker', args, { env: { ...process.env, DOCKER_HOST }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

/** What the bot wrote to stdout (its JSON log) and stderr, separately. */
async function containerOutput(name: string): Promise<{ stdout: string; stderr: string }> {
  return run('docker', ['logs', name], { env: { ...process.env, DOCKER_HOST }, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
}

let built: Promise<void> | undefined;
/** scripts/build-image.sh once per run (every layer is cached when .ci/run built it already). */
function buildImage(): Promise<void> {
  built ??= run('bash', ['scripts/build-image.sh', TAG], { cwd: ROOT, timeout: 20 * 60_000, maxBuffer: 256 * 1024 * 1024 }).then(
    () => undefined,
    (err: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(
        `scripts/build-image.sh failed: ${err.message}\n${(err.stdout ?? '').slice(-4000)}\n${(err.stderr ?? '').slice(-4000)}`,
      );
    },
  );
  return built;
}

/** `docker run` as an operator would, then wait for /health/ready 200. Returns the bot's URL. */
async function startContainer(name: string, slack: SlackEmulator, env: Record<string, string> = {}): Promise<string> {
  await buildImage();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  await docker(['rm', '-f', '-v', name]).catch(() => '');
  await docker([
    'run',
    '--detach',
    '--name',
    name,
    '--network',
    'host',
    // As deploy/kubernetes/base runs it: read-only root, writable /tmp and /data (the image's volume) only.
    '--read-only',
    '--tmpfs',
    '/tmp',
    '--env',
    `PORT=${port}`,
    '--env',
    `SLACK_BOT_TOKEN=${BOT_TOKEN}`,
    '--env',
    `SLACK_SIGNING_SECRET=${SIGNING_SECRET}`,
    '--env',
    `SLACK_API_URL=${slack.url}`,
    ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    // The catalog and templates are the operator's to replace: mount them as a ConfigMap would be.
    '--volume',
    `${path.join(ROOT, 'commands')}:/app/commands:ro`,
    '--volume',
    `${path.join(ROOT, 'templates')}:/app/templates:ro`,
    TAG,
  ]);
  const ready = async () => {
    try {
      return (await fetch(`${url}/health/ready`)).status === 200;
    } catch {
      return false;
    }
  };
  try {
    await waitFor(`container ${name} to report /health/ready 200`, ready, 180_000, 250);
  } catch (err) {
    throw new Error(`${(err as Error).message}\ncontainer log:\n${JSON.stringify(await containerOutput(name).catch(() => ''))}`);
  }
  return url;
}

describe('the container image (Dockerfile) with the embedded database', () => {
  let slack: SlackEmulator;
  let url: string;
  const name = `incident-bot-image-test-${process.pid}`;

  beforeAll(async () => {
    slack = await startSlackEmulator({ botToken: BOT_TOKEN });
    url = await startContainer(name, slack);
  }, 25 * 60_000);

  afterAll(async () => {
    await docker(['rm', '-f', '-v', name]).catch(() => '');
    await slack?.close();
  });

  it('runs as the unprivileged node user with production dependencies only', async () => {
    expect(await docker(['inspect', '--format', '{{.Config.User}}', name])).toBe('node');
    expect(await docker(['exec', name, 'node', '-e', 'process.stdout.write(String(process.getuid()))'])).toBe('1000');
    await expect(docker(['exec', name, 'node', '-e', "require.resolve('pg'); require.resolve('@slack/bolt')"])).resolves.toBe('');
    await expect(docker(['exec', name, 'node', '-e', "require.resolve('typescript')"])).rejects.toThrow(/Cannot find module 'typescript'/);
    await expect(docker(['exec', name, 'node', '-e', "require.resolve('jest')"])).rejects.toThrow(/Cannot find module 'jest'/);
  });

  it('is live and ready (database and Slack auth), and its HEALTHCHECK command passes', async () => {
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    expect(await (await fetch(`${url}/health/ready`)).json()).toMatchObject({
      ready: true,
      checks: { database: { ok: true }, slack: { ok: true } },
    });
    expect(slack.callsTo('auth.test').length).toBeGreaterThanOrEqual(1);
    const test = JSON.parse(await docker(['inspect', '--format', '{{json .Config.Healthcheck.Test}}', name])) as string[];
    expect(test[0]).toBe('CMD');
    await expect(docker(['exec', name, ...test.slice(1)])).resolves.toBe('');
  });

  it('logs JSON lines and no secret', async () => {
    const { stdout, stderr } = await containerOutput(name);
    const lines = stdout.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    for (const text of [stdout, stderr]) {
      expect(text).not.toContain(BOT_TOKEN);
      expect(text).not.toContain(SIGNING_SECRET);
    }
  });

  it('answers a signed /incident help', async () => {
    const res = await sendSlashCommand(
      `${url}/slack/events`,
      { signingSecret: SIGNING_SECRET },
      { text: 'help', response_url: slack.responseUrl() },
    );
    expect(res.status).toBe(200);
    expect(res.json.response_type).toBe('ephemeral');
    expect(res.json.text).toContain('/incident diagnose <AlertName> [label=value ...]');
  });

  it('stops cleanly on docker stop: SIGTERM reaches the bot, which exits 0 before the grace period ends', async () => {
    await docker(['stop', '--time', String(STOP_GRACE_S), name], (STOP_GRACE_S + 30) * 1000);
    expect(await docker(['inspect', '--format', '{{.State.ExitCode}} {{.State.OOMKilled}}', name])).toBe('0 false');
    const logs = (await containerOutput(name)).stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ signal: 'SIGTERM', msg: 'shutting down' }),
        expect.objectContaining({ msg: 'incident-bot stopped' }),
      ]),
    );
  });
});

describe('the container image against the host PostgreSQL and Redis (as the Kubernetes replicas run)', () => {
  let slack: SlackEmulator;
  let url: string;
  let database: { url: string; drop(): Promise<void> };
  const name = `incident-bot-image-pg-test-${process.pid}`;
  const channel = `C0IMG${process.pid}`;

  beforeAll(async () => {
    await requirePostgres();
    await requireRedis();
    database = await createTestDatabase('container_image');
    slack = await startSlackEmulator({ botToken: BOT_TOKEN });
    url = await startContainer(name, slack, { DATABASE_URL: database.url, REDIS_URL });
  }, 25 * 60_000);

  afterAll(async () => {
    await docker(['rm', '-f', '-v', name]).catch(() => '');
    await slack?.close();
    await database?.drop();
  });

  it('migrates the server database, records an incident there and paces its posts through Redis', async () => {
    const res = await sendSlashCommand(
      `${url}/slack/events`,
      { signingSecret: SIGNING_SECRET },
      { text: 'open Container check P2', channel_id: channel, user_id: 'U0IMAGE01', response_url: slack.responseUrl({ channel }) },
    );
    expect(res.status).toBe(200);
    const pg = new Client({ connectionString: database.url });
    await pg.connect();
    try {
      const migrations = await pg.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
      expect(Number(migrations.rows[0]!.n)).toBeGreaterThan(0);
      await waitFor(
        'the incident row in the host database',
        async () => {
          const r = await pg.query<{ title: string }>('SELECT title FROM incidents');
          return r.rows.some((row) => row.title === 'Container check');
        },
        30_000,
        200,
      );
    } finally {
      await pg.end();
    }
    await waitFor('the incident notification in the channel', async () => slack.messages(channel).length > 0, 30_000, 200);
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      // The per-channel post budget lives in Redis so that every replica shares it.
      expect(await redis.pttl(`incident-bot:rate:post:${channel}`)).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  });

  it('stops cleanly on docker stop with the server database', async () => {
    await docker(['stop', '--time', String(STOP_GRACE_S), name], (STOP_GRACE_S + 30) * 1000);
    expect(await docker(['inspect', '--format', '{{.State.ExitCode}} {{.State.OOMKilled}}', name])).toBe('0 false');
  });
});
