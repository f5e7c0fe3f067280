import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { openDatabase } from '../../src/store/database';
import { startBot, type BotProcess } from '../support/bot-process';
import { sendSlashCommand } from '../support/slack-signing';
import { waitFor } from '../support/wait-for';

const SIGNING_SECRET = 'e2e-embedded-burst-secret';
const BOT_TOKEN = 'xoxb-test-token';
// One channel each, so that the bot's pacing of posts per channel (1 a second) does not stretch the test.
const channel = (i: number) => `C0BURST${i}`;
const OPENS = 40;

/**
 * The README's first command, under a burst: the built bot on the embedded database (no DATABASE_URL, no REDIS_URL),
 * forty people running `/incident open` at the same moment.
 */
describe('the embedded default under a burst', () => {
  let slack: SlackEmulator;
  let bot: BotProcess;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-burst-'));
    slack = await startSlackEmulator({ botToken: BOT_TOKEN });
    bot = await startBot({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.url,
      DATA_DIR: dataDir,
      INCIDENT_CHANNELS: 'off',
    });
    // A fresh embedded database runs initdb in WebAssembly first: tens of seconds on a busy machine.
    await bot.waitForReady(120_000);
  }, 150_000);

  afterAll(async () => {
    await bot?.stop();
    await slack?.close();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it(`${OPENS} concurrent /incident open give ${OPENS} incidents, ${OPENS} notifications and no error`, async () => {
    const answers = await Promise.all(
      Array.from({ length: OPENS }, (_, i) =>
        sendSlashCommand(
          `${bot.url}/slack/events`,
          { signingSecret: SIGNING_SECRET },
          {
            text: `open burst ${i} P2`,
            channel_id: channel(i),
            user_id: `U0BURST${String(i).padStart(3, '0')}`,
            response_url: slack.responseUrl({ channel: channel(i) }),
          },
        ),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));

    const notifications = () =>
      slack
        .callsTo('chat.postMessage')
        .filter((c) => String(c.args.channel).startsWith('C0BURST') && /INCIDENT: burst \d+/.test(String(c.args.text)));
    const failures = () => slack.callsTo('response_url').filter((c) => /failed on our side/.test(String(c.args.text)));
    // On a timeout the assertions below say what went missing and what the bot logged.
    await waitFor(`${OPENS} answers`, () => notifications().length + failures().length >= OPENS, 60_000).catch(() => undefined);

    const errors = bot.logs().filter((l) => l.level === 'error' || l.level === 'fatal');
    expect(errors).toEqual([]);
    expect(failures().map((c) => c.args.text)).toEqual([]);
    const ids = notifications().map((c) => /INC-\d{14}/.exec(String(c.args.text))?.[0]);
    expect(new Set(ids).size).toBe(OPENS);
    const titles = notifications()
      .map((c) => /INCIDENT: (burst \d+)/.exec(String(c.args.text))![1])
      .sort();
    expect(titles).toEqual(Array.from({ length: OPENS }, (_, i) => `burst ${i}`).sort());

    // What was recorded, read from the embedded database once the bot has let go of it.
    expect(await bot.stop()).toBe(0);
    const db = await openDatabase({ dataDir, logger: pino({ level: 'silent' }) });
    try {
      const rows = await db.query<{ id: string }>(`SELECT id FROM incidents WHERE title LIKE 'burst %' ORDER BY id`);
      expect(rows.rows.map((r) => r.id)).toEqual([...ids].sort());
    } finally {
      await db.close();
    }
  }, 120_000);
});
