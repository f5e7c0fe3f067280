import type { SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBotHarness, type BotHarness } from '../support/bot-harness';

export const BOT_TOKEN = 'xoxb-security-test';

/** The bot harness with a count query on the bot's database; `stop` resolves when everything is stopped. */
export interface SecuredBot extends Omit<BotHarness, 'stop'> {
  count(sql: string, params?: unknown[]): Promise<number>;
  stop(): Promise<void>;
}

/** The built bot as an operator starts it, against the Slack emulator, a fresh PostgreSQL database and Redis. */
export async function startSecuredBot(
  name: string,
  env: Record<string, string>,
  setup?: (slack: SlackEmulator) => void,
): Promise<SecuredBot> {
  const harness = await startBotHarness({
    name: `security_${name}`,
    signingSecret: `security-${name}-secret`,
    slack: { botToken: BOT_TOKEN },
    pg: true,
    env: { INCIDENT_CHANNELS: 'off', ...env },
    setup,
  });
  return {
    ...harness,
    count: async (sql, params = []) => Number((await harness.pg.query<{ n: string }>(sql, params)).rows[0]!.n),
    stop: async () => {
      await harness.stop();
    },
  };
}
