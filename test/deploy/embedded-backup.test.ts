import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBot, type BotProcess } from '../support/bot-process';
import { sendSlashCommand } from '../support/slack-signing';
import { waitFor } from '../support/wait-for';

// The README's backup procedure for the embedded database, done as written: stop the bot, archive DATA_DIR, restore
// the archive into an empty directory, start a bot on it: what was recorded is there.
const ROOT = path.resolve(__dirname, '../..');
const TOKEN = 'xoxb-backup-test-token';
const SECRET = 'backup-signing-secret-77a1';
const run = promisify(execFile);

describe('backing up and restoring the embedded database (DATA_DIR)', () => {
  let slack: SlackEmulator;
  let bot: BotProcess | undefined;
  const work = mkdtempSync(path.join(tmpdir(), 'incident-bot-backup-'));
  const channel = `C0BAK${process.pid}`;

  const start = async (dataDir: string) => {
    const b = await startBot({
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      DATA_DIR: dataDir,
      COMMANDS_DIR: path.join(ROOT, 'commands'),
      TEMPLATES_DIR: path.join(ROOT, 'templates'),
    });
    await b.waitForReady(120_000);
    return b;
  };
  const command = (b: BotProcess, text: string) =>
    sendSlashCommand(
      `${b.url}/slack/events`,
      { signingSecret: SECRET },
      { text, channel_id: channel, user_id: 'U0BACKUP01', response_url: slack.responseUrl({ channel }) },
    );

  beforeAll(async () => {
    slack = await startSlackEmulator({ botToken: TOKEN });
  });

  afterAll(async () => {
    await bot?.stop();
    await slack?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("an archive of a stopped bot's DATA_DIR, restored elsewhere, holds its incidents", async () => {
    const original = path.join(work, 'data');
    bot = await start(original);
    expect((await command(bot, 'open Kept across a restore P2')).status).toBe(200);
    const note = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === channel && /Kept across a restore/.test(String(c.args.text)),
      30_000,
    );
    const id = /INC-\d{14}/.exec(String(note.args.text))![0];
    expect(await bot.stop()).toBe(0);
    bot = undefined;

    // README: "stop the bot, then tar -C "$DATA_DIR" -czf backup.tgz ."
    const archive = path.join(work, 'backup.tgz');
    await run('tar', ['-C', original, '-czf', archive, '.']);
    const restored = path.join(work, 'restored');
    await run('mkdir', ['-p', restored]);
    await run('tar', ['-C', restored, '-xzf', archive]);
    rmSync(original, { recursive: true, force: true });

    bot = await start(restored);
    const before = slack.calls.length;
    expect((await command(bot, 'list')).status).toBe(200);
    await waitFor(
      `the restored bot to list ${id}`,
      async () => slack.calls.slice(before).some((c) => JSON.stringify(c.args).includes(id)),
      30_000,
      200,
    );
  }, 300_000);
});
