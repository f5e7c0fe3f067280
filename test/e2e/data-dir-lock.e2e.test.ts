import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LOCK_FILE } from '../../src/data-dir-lock';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBot, type BotProcess } from '../support/bot-process';

const BOT_TOKEN = 'xoxb-test-token';

function withoutDatabaseUrl(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { DATABASE_URL: _ignored, ...rest } = env;
  return rest;
}

/**
 * Two built bots pointed at one DATA_DIR with the embedded database: the second refuses to start, naming the first,
 * instead of opening the same database files; the directory is free again once the first stops, and a lock left by a
 * killed process does not block the next start.
 */
describe('one process per DATA_DIR (embedded database)', () => {
  let slack: SlackEmulator;
  let dataDir: string;
  const running: BotProcess[] = [];

  const start = async () => {
    const bot = await startBot({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: 'lock-test',
      SLACK_API_URL: slack.url,
      DATA_DIR: dataDir,
    });
    running.push(bot);
    return bot;
  };
  const exitOf = (bot: BotProcess) =>
    bot.child.exitCode !== null ? Promise.resolve(bot.child.exitCode) : new Promise<number | null>((r) => bot.child.once('exit', r));

  beforeAll(async () => {
    slack = await startSlackEmulator({ botToken: BOT_TOKEN });
    dataDir = await mkdtemp(path.join(tmpdir(), 'ib-data-dir-lock-'));
  });

  afterAll(async () => {
    for (const bot of running) await bot.stop();
    await slack.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a second process on the same DATA_DIR, and starts once the first has stopped', async () => {
    const first = await start();
    await first.waitForReady(60_000);
    const lockFile = path.join(dataDir, LOCK_FILE);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: first.child.pid });

    const second = await start();
    const code = await exitOf(second);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(second.output()).toContain(`DATA_DIR ${dataDir} is in use by another incident-bot process (pid ${first.child.pid} on `);
    expect(second.output()).toContain('Stop that process first, or give this one its own DATA_DIR');
    // The CLI on the same DATA_DIR says the same, as a message rather than a stack trace.
    const cli = spawnSync(process.execPath, ['dist/cli.js', 'postmortem', 'INC-20260101000000'], {
      env: { ...withoutDatabaseUrl(process.env), DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain(`incident-bot: DATA_DIR ${dataDir} is in use by another incident-bot process (pid ${first.child.pid} on `);
    expect(cli.stderr).not.toMatch(/\n\s+at /);
    // The first is untouched: still ready, its lock still its own.
    await first.waitForReady(10_000);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: first.child.pid });

    expect(await first.stop()).toBe(0);
    expect(existsSync(lockFile)).toBe(false);

    const third = await start();
    await third.waitForReady(60_000);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: third.child.pid });
    expect(await third.stop()).toBe(0);
  }, 240_000);

  it('takes over the lock of a process that was killed', async () => {
    const killed = await start();
    await killed.waitForReady(60_000);
    killed.child.kill('SIGKILL');
    await exitOf(killed);
    const lockFile = path.join(dataDir, LOCK_FILE);
    // kill -9 runs no exit handler: the lock file stays behind, naming a pid that no longer runs.
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: killed.child.pid });

    const next = await start();
    await next.waitForReady(60_000);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: next.child.pid });
    expect(await next.stop()).toBe(0);
  }, 180_000);
});
