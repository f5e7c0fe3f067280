import { Client } from 'pg';
import { startSlackEmulator, type RecordedCall, type SlackEmulator, type SlackEmulatorOptions } from '../../src/emulator/slack-emulator';
import { startBot, type BotProcess } from './bot-process';
import { createMigratedDatabase } from './migrated-database';
import { REDIS_URL, requireRedis } from './services';
import {
  buttonClickPayload,
  newTriggerId,
  sendEvent,
  sendInteraction,
  sendSlashCommand,
  SLACK_DEFAULTS,
  type EventEnvelope,
  type SignedResponse,
} from './slack-signing';

/** The bot token the emulator accepts unless the harness is given another. */
export const HARNESS_BOT_TOKEN = 'xoxb-test-token';

type SlackUser = Parameters<SlackEmulator['addUser']>[0];
type SlackChannel = Parameters<SlackEmulator['addChannel']>[0];

export interface BotHarnessOptions {
  /** Names the test's database (`<name>_<random>`) and, unless given, its signing secret. */
  name: string;
  /** The bot's environment on top of Slack, the database and the shared Redis; `undefined` leaves a variable unset. */
  env?: Record<string, string | undefined>;
  /** What the workspace holds before the bot starts (a channel people made, its members, users, user groups). */
  users?: SlackUser[];
  usergroups?: Record<string, string[]>;
  channels?: SlackChannel[];
  /** Anything else the emulator needs before the bot starts. */
  setup?: (slack: SlackEmulator) => void | Promise<void>;
  /** Where command() and click() happen, and who does it, when they do not say (else Slack's defaults, SLACK_DEFAULTS). */
  channel?: string;
  user?: string;
  signingSecret?: string;
  slack?: SlackEmulatorOptions;
  /** A connection to the bot's database for the test's own queries (`pg`). */
  pg?: boolean;
  /** The shared Redis is required and given as REDIS_URL (default); false: neither. */
  redis?: boolean;
  readyTimeoutMs?: number;
}

export interface CommandOptions {
  channel?: string;
  user?: string;
  triggerId?: string;
}

/** One button click, where it happened and by whom (channel and user default to the harness's). */
export interface Click {
  actionId: string;
  value?: string;
  blockId?: string;
  messageTs: string;
  /** The thread the clicked message is in: the payload says so, and an answer to the response_url lands there. */
  threadTs?: string;
  channel?: string;
  user?: string;
  triggerId?: string;
}

export interface BotHarness {
  slack: SlackEmulator;
  bot: BotProcess;
  databaseUrl: string;
  /** The bot's database, when asked for with `pg: true`. */
  pg: Client;
  signingSecret: string;
  /** The bot's Events API / interactivity URL. */
  events(): string;
  /** `/incident <text>` typed in a channel, signed as Slack signs it, with a response_url the emulator answers. */
  command(text: string, opts?: CommandOptions): Promise<SignedResponse>;
  click(click: Click): Promise<SignedResponse>;
  /** Submits the open view `viewId` with `inputs` (`{ block_id: value }`) as `user` (the emulator's default person without). */
  submitView(viewId: string, inputs: Record<string, string>, user?: string): Promise<SignedResponse>;
  sendEvent(envelope: EventEnvelope, retry?: { num: number; reason?: string }): Promise<SignedResponse>;
  /** POSTs `payload` to the bot's Alertmanager webhook as Alertmanager does, with `token` as its bearer token. */
  alertmanagerWebhook(payload: unknown, token: string): Promise<Response>;
  /** The first chat.postMessage (made or to come) that matches. */
  waitForMessage(predicate: (c: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  /** The first log line of the bot (printed or to come) that matches. */
  waitForLog(predicate: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Stops the bot (resolving with its exit code), then the emulator, the connection and the database. */
  stop(): Promise<number | null>;
}

/**
 * The built bot as an operator starts it, against the Slack emulator, a fresh migrated PostgreSQL database and the
 * shared Redis, with the signed-request helpers the end-to-end suites drive it with. On a failed start, what was
 * started is stopped again.
 */
export async function startBotHarness(opts: BotHarnessOptions): Promise<BotHarness> {
  const useRedis = opts.redis ?? true;
  if (useRedis) await requireRedis();
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanUp = async (): Promise<void> => {
    for (const step of cleanups.splice(0).reverse()) await step();
  };
  try {
    const slack = await startSlackEmulator({ botToken: HARNESS_BOT_TOKEN, ...opts.slack });
    cleanups.push(() => slack.close());
    await declareWorkspace(slack, opts);
    const database = await createMigratedDatabase(opts.name);
    cleanups.push(() => database.drop());
    await database.db.close();
    const pg = new Client({ connectionString: database.url });
    if (opts.pg) {
      await pg.connect();
      cleanups.push(() => pg.end());
    }
    const signingSecret = opts.signingSecret ?? `${opts.name}-secret`;
    const bot = await startBot({
      SLACK_BOT_TOKEN: opts.slack?.botToken ?? HARNESS_BOT_TOKEN,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.url,
      DATABASE_URL: database.url,
      ...(useRedis ? { REDIS_URL } : {}),
      ...opts.env,
    });
    const stopBot = bot.stop;
    cleanups.push(stopBot);
    await bot.waitForReady(opts.readyTimeoutMs);
    const harness = signedRequests(slack, bot, signingSecret, opts);
    return {
      ...harness,
      slack,
      bot,
      databaseUrl: database.url,
      pg,
      signingSecret,
      stop: async () => {
        const code = await stopBot();
        await cleanUp();
        return code;
      },
    };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

async function declareWorkspace(slack: SlackEmulator, opts: BotHarnessOptions): Promise<void> {
  for (const user of opts.users ?? []) slack.addUser(user);
  for (const [group, members] of Object.entries(opts.usergroups ?? {})) slack.addUsergroup(group, members);
  for (const channel of opts.channels ?? []) slack.addChannel(channel);
  await opts.setup?.(slack);
}

function signedRequests(
  slack: SlackEmulator,
  bot: BotProcess,
  signingSecret: string,
  opts: BotHarnessOptions,
): Omit<BotHarness, 'slack' | 'bot' | 'databaseUrl' | 'pg' | 'signingSecret' | 'stop'> {
  const events = (): string => `${bot.url}/slack/events`;
  const signed = { signingSecret };
  const where = (channel: string | undefined, user: string | undefined): { channel: string; userId: string } => ({
    channel: channel ?? opts.channel ?? SLACK_DEFAULTS.channelId,
    userId: user ?? opts.user ?? SLACK_DEFAULTS.userId,
  });
  return {
    events,
    command: (text, { channel, user, triggerId = newTriggerId() } = {}) => {
      const at = where(channel, user);
      return sendSlashCommand(events(), signed, {
        text,
        channel_id: at.channel,
        user_id: at.userId,
        trigger_id: triggerId,
        response_url: slack.responseUrl(at),
      });
    },
    click: (click) => {
      const at = where(click.channel, click.user);
      const thread = click.threadTs ? { threadTs: click.threadTs } : {};
      return sendInteraction(
        events(),
        signed,
        buttonClickPayload({
          ...at,
          ...thread,
          messageTs: click.messageTs,
          actionId: click.actionId,
          value: click.value ?? '',
          ...(click.blockId ? { blockId: click.blockId } : {}),
          triggerId: click.triggerId ?? newTriggerId(),
          responseUrl: slack.responseUrl({ ...at, messageTs: click.messageTs, ...thread }),
        }),
      );
    },
    submitView: (viewId, inputs, user) => sendInteraction(events(), signed, slack.viewSubmission(viewId, inputs, user)),
    sendEvent: (envelope, retry) => sendEvent(events(), signed, envelope, retry),
    alertmanagerWebhook: (payload, token) =>
      fetch(`${bot.url}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(payload),
      }),
    waitForMessage: (predicate, timeoutMs = 10_000) => slack.waitForCall('chat.postMessage', predicate, timeoutMs),
    waitForLog: async (predicate, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const hit = bot.logs().find(predicate);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${bot.output().slice(-2000)}`);
    },
  };
}
