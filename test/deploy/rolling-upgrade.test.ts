import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { MIGRATIONS } from '../../src/store/migrations';
import { startBot, type BotProcess } from '../support/bot-process';
import { createTestDatabase, REDIS_URL, requirePostgres, requireRedis } from '../support/services';
import { sendSlashCommand } from '../support/slack-signing';
import { waitFor } from '../support/wait-for';

// A rolling update (deploy/kubernetes: maxSurge 1, maxUnavailable 0) runs the previous release's replicas and the
// new one's against one database at the same time: the new replica migrates while old ones keep serving. This runs
// both versions for real: the previous release is built from its commit in this repository's history.
const ROOT = path.resolve(__dirname, '../..');
/** The last release that landed before this one. Move it forward when a release lands. */
const PREVIOUS_RELEASE = '9914eff3b0891873a718f5c289f9314ea46f3565';
const TOKEN = 'xoxb-upgrade-test-token';
const SECRET = 'upgrade-signing-secret-51c2';
const RUN = String(process.pid);

const run = promisify(execFile);

/** Statements that break the previous release while it still runs beside the new one. */
const BREAKS_PREVIOUS_RELEASE: [RegExp, string][] = [
  [/\bDROP\s+(TABLE|COLUMN|VIEW)\b/i, 'drops what the previous release reads'],
  [/\bRENAME\b/i, 'renames what the previous release uses'],
  [/\bALTER\s+COLUMN\b[^;]*\bTYPE\b/i, 'changes a column type under the previous release'],
  [/\bSET\s+NOT\s+NULL\b/i, 'makes a column the previous release does not write required'],
  [/\bADD\s+COLUMN\b(?:(?!,\s*ADD\b)[^;])*\bNOT\s+NULL\b(?![^,;]*\bDEFAULT\b)/i, 'adds a required column without a default'],
];

async function buildPreviousRelease(dir: string): Promise<string> {
  try {
    await run('git', ['-C', ROOT, 'cat-file', '-e', `${PREVIOUS_RELEASE}^{commit}`]);
  } catch {
    throw new Error(
      `the previous release ${PREVIOUS_RELEASE} is not in this clone's history (a shallow clone?): run \`git fetch --unshallow\``,
    );
  }
  await run('bash', ['-c', `git -C "${ROOT}" archive ${PREVIOUS_RELEASE} | tar -x -C "${dir}"`], { maxBuffer: 64 * 1024 * 1024 });
  // Its dependencies are a subset of today's at compatible versions; the lock file check keeps that honest.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  await run(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: dir,
    timeout: 10 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return path.join(dir, 'dist', 'main.js');
}

describe('a rolling update: the previous release and this one against one PostgreSQL', () => {
  let slack: SlackEmulator;
  let database: { url: string; drop(): Promise<void> };
  let pg: Client;
  let previous: BotProcess | undefined;
  let current: BotProcess | undefined;
  let previousMain: string;
  const dir = mkdtempSync(path.join(tmpdir(), 'incident-bot-previous-'));
  const channel = `C0UPG${RUN}`;

  // Each release with the catalog and templates it shipped with: a catalog using a new release's fields is rolled out
  // after that release (README, "Upgrading").
  const env = (release: string) => ({
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.url,
    DATABASE_URL: database.url,
    REDIS_URL,
    COMMANDS_DIR: path.join(release, 'commands'),
    TEMPLATES_DIR: path.join(release, 'templates'),
  });
  const command = (bot: BotProcess, text: string) =>
    sendSlashCommand(
      `${bot.url}/slack/events`,
      { signingSecret: SECRET },
      { text, channel_id: channel, user_id: 'U0UPGRADE1', response_url: slack.responseUrl({ channel }) },
    );
  const incident = async (title: string) =>
    (await pg.query<{ id: string; status: string }>('SELECT id, status FROM incidents WHERE title = $1', [title])).rows[0];

  beforeAll(async () => {
    await requirePostgres();
    await requireRedis();
    previousMain = await buildPreviousRelease(dir);
    database = await createTestDatabase('rolling_upgrade');
    pg = new Client({ connectionString: database.url });
    await pg.connect();
    slack = await startSlackEmulator({ botToken: TOKEN });
  }, 15 * 60_000);

  afterAll(async () => {
    await previous?.stop();
    await current?.stop();
    await pg?.end();
    await slack?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  let previousMigrations: string[] = [];

  it('the previous release starts on an empty database and records an incident', async () => {
    previous = await startBot(env(dir), { main: previousMain });
    await previous.waitForReady(120_000);
    previousMigrations = (await pg.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id')).rows.map((r) => r.id);
    expect(previousMigrations.length).toBeGreaterThan(0);
    expect((await command(previous, 'open Before the upgrade P2')).status).toBe(200);
    await waitFor('the first incident', async () => (await incident('Before the upgrade')) !== undefined, 30_000, 200);
  }, 180_000);

  it("this release's new migrations only add: nothing the previous release reads or writes changes under it", () => {
    const added = MIGRATIONS.filter((m) => !previousMigrations.includes(m.id));
    const findings = added.flatMap((m) => BREAKS_PREVIOUS_RELEASE.filter(([re]) => re.test(m.sql)).map(([, why]) => `${m.id} ${why}`));
    expect(findings).toEqual([]);
    // The check has teeth.
    expect(BREAKS_PREVIOUS_RELEASE.some(([re]) => re.test('ALTER TABLE incidents ADD COLUMN lead text NOT NULL;'))).toBe(true);
    expect(BREAKS_PREVIOUS_RELEASE.some(([re]) => re.test("ALTER TABLE incidents ADD COLUMN lead text NOT NULL DEFAULT '';"))).toBe(false);
  });

  it('this release starts beside it, migrates, and both serve the same incidents', async () => {
    current = await startBot(env(ROOT));
    await current.waitForReady(120_000);
    const now = (await pg.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id);
    expect(now.sort()).toEqual(MIGRATIONS.map((m) => m.id).sort());
    expect((await fetch(`${previous!.url}/health/ready`)).status).toBe(200);

    // The previous release keeps writing under the new schema: it acknowledges and opens incidents.
    const first = (await incident('Before the upgrade'))!;
    expect((await command(previous!, `ack ${first.id}`)).status).toBe(200);
    await waitFor(
      'the ack written by the previous release',
      async () => (await incident('Before the upgrade'))?.status === 'acknowledged',
      30_000,
      200,
    );
    expect((await command(previous!, 'open During the upgrade P3')).status).toBe(200);
    await waitFor(
      'an incident opened by the previous release after the migration',
      async () => (await incident('During the upgrade')) !== undefined,
      30_000,
      200,
    );

    // This release reads and resolves what the previous one wrote.
    const second = (await incident('During the upgrade'))!;
    const before = slack.calls.length;
    const status = await command(current, `status ${second.id}`);
    expect(status.status).toBe(200);
    await slack.waitForCall('response_url', (c) => slack.calls.indexOf(c) >= before && JSON.stringify(c.args).includes(second.id), 30_000);
    expect((await command(current, `resolve ${first.id} root_cause="A bad deploy" resolution="Rolled out the fix"`)).status).toBe(200);
    await waitFor(
      'the resolve written by this release',
      async () => (await incident('Before the upgrade'))?.status === 'resolved',
      30_000,
      200,
    );
  }, 240_000);

  it('the previous release drains and exits 0 while this one stays ready', async () => {
    expect(await previous!.stop()).toBe(0);
    previous = undefined;
    expect((await fetch(`${current!.url}/health/ready`)).status).toBe(200);
    expect(await current!.stop()).toBe(0);
    current = undefined;
  }, 60_000);
});
