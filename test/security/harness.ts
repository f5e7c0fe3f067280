import { Client } from 'pg';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBot, type BotProcess } from '../support/bot-process';
import { createMigratedDatabase } from '../support/migrated-database';
import { REDIS_URL, requireRedis } from '../support/services';

export const BOT_TOKEN = 'xoxb-security-test';

export interface SecuredBot {
  slack: SlackEmulator;
  bot: BotProcess;
  /** A connection to the bot's database, for asserting what it recorded. */
  pg: Client;
  signingSecret: string;
  events: () => string;
  /** Waits until the bot logged a line matching `predicate` (work after the 200 is asynchronous). */
  waitForLog(predicate: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  count(sql: string, params?: unknown[]): Promise<number>;
  stop(): Promise<void>;
}

/** The built bot as an operator starts it, against the Slack emulator, a fresh PostgreSQL database and Redis. */
export async function startSecuredBot(
  name: string,
  env: Record<string, string>,
  setup?: (slack: SlackEmulator) => void,
): Promise<SecuredBot> {
  await requireRedis();
  const signingSecret = `security-${name}-secret`;
  const slack = await startSlackEmulator({ botToken: BOT_TOKEN });
  setup?.(slack);
  const database = await createMigratedDatabase(`security_${name}`);
  await database.db.close();
  const bot = await startBot({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: slack.url,
    DATABASE_URL: database.url,
    REDIS_URL,
    INCIDENT_CHANNELS: 'off',
    ...env,
  });
  await bot.waitForReady();
  const pg = new Client({ connectionString: database.url });
  await pg.connect();
  return {
    slack,
    bot,
    pg,
    signingSecret,
    events: () => `${bot.url}/slack/events`,
    waitForLog: async (predicate, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const hit = bot.logs().find(predicate);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${bot.output().slice(-2000)}`);
    },
    count: async (sql, params = []) => Number((await pg.query<{ n: string }>(sql, params)).rows[0]!.n),
    stop: async () => {
      await pg.end();
      await bot.stop();
      await slack.close();
      await database.drop();
    },
  };
}
