import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createApp, type BotApp } from '../app';
import { lockDataDir } from '../data-dir-lock';
import { loadConfig } from '../config';
import type { Logger } from '../logger';
import type { SlackEmulator } from '../emulator/slack-emulator';
import { PLAYGROUND_PID_FILE } from '../postmortem/postmortem-cli';
import { startDemoTargets, type DemoTargets } from './demo-targets';
import { dropEmbeddedTemplate, freshEmbeddedDatabase } from './empty-database';
import { createPageServer, findWebDir, listenPage } from './page-server';
import { createPageSession } from './page-session';
import { seedAlerts } from './seed-alerts';
import { PLAYGROUND_CHANNEL, PLAYGROUND_HUB, PLAYGROUND_RESPONDERS, startEmulatedWorkspace } from './workspace';

export { PLAYGROUND_CHANNEL, PLAYGROUND_HUB, PLAYGROUND_USERS } from './workspace';

/**
 * The local playground: the bot, wired to the in-process Slack emulator and the embedded database, plus a web page
 * that looks like one Slack channel. What people do on the page travels the way it does at Slack: a signed slash
 * command, a signed `message` event, a signed `block_actions` or `view_submission` payload, POSTed to the bot's
 * `/slack/events`. The page follows the emulator's state through server-sent events.
 *
 * @example
 *   const pg = await startPlayground({ port: 3000, dataDir: './data/playground', logger });
 *   // open pg.url; later:
 *   await pg.stop();
 */
export interface PlaygroundOptions {
  /** The web page's port (default 3000; 0 picks a free one). */
  port?: number;
  /** Where the embedded database and the demo targets' files live; both are recreated at each start. */
  dataDir: string;
  logger: Logger;
  /** Interface to listen on (default 127.0.0.1). Requests must name a loopback Host whatever the interface. */
  host?: string;
  /**
   * The environment the catalog's `${ENV}` references are resolved in, under the demo targets' values (default
   * none: only the demo targets). main passes the shell's environment only with PLAYGROUND_USE_SHELL_ENV=1.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** NODE_ENV of the process: the playground refuses to start in production. */
  nodeEnv?: string;
  /** Catalog and templates (default ./commands, ./templates). */
  commandsDir?: string;
  templatesDir?: string;
  /** Minutes the demo targets take to drift from healthy into alert states (default 4). */
  driftMinutes?: number;
  /** Told each start-up step as it begins (main prints them on a terminal). */
  onProgress?: (step: string) => void;
}

export interface Playground {
  /** The page, e.g. http://127.0.0.1:3000/ */
  url: string;
  port: number;
  bot: BotApp;
  /** The bot's own HTTP endpoint (where the signed requests go). */
  botUrl: string;
  slack: SlackEmulator;
  demo: DemoTargets;
  stop(): Promise<void>;
}

export async function startPlayground(opts: PlaygroundOptions): Promise<Playground> {
  if (opts.nodeEnv === 'production') {
    throw new Error(
      'the playground does not start with NODE_ENV=production: it is a local demo without logins. Configure Slack (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET) to run the bot.',
    );
  }
  // Every start empties <dataDir>/db: a second playground on the same directory would delete the first one's database.
  const lock = await lockDataDir(path.resolve(opts.dataDir));
  try {
    const playground = await startUnlocked(opts);
    return {
      ...playground,
      stop: async () => {
        try {
          await playground.stop();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function startUnlocked(opts: PlaygroundOptions): Promise<Playground> {
  const logger = opts.logger;
  // Carried in the page and required on every API call: another web page in the same browser cannot read it.
  const pageToken = randomBytes(24).toString('hex');
  const dataDir = path.resolve(opts.dataDir);
  const signingSecret = randomBytes(24).toString('hex');

  opts.onProgress?.('starting the Slack emulator and the demo targets');
  const slack = await startEmulatedWorkspace(BOT_TOKEN);
  const demo = await startDemoTargets({ dir: path.join(dataDir, 'demo'), driftMinutes: opts.driftMinutes });
  let bot: BotApp;
  try {
    bot = await startBotOnFreshDatabase(opts, { dataDir, slack, demo, signingSecret });
  } catch (err) {
    await demo.stop();
    await slack.close();
    throw err;
  }
  const botPort = await bot.start();
  // `incident-bot postmortem` reads this to tell a running playground (which holds the database) from a stopped one.
  const pidFile = path.join(dataDir, PLAYGROUND_PID_FILE);
  await writeFile(pidFile, `${process.pid}\n`).catch(() => undefined);
  const botUrl = `http://127.0.0.1:${botPort}`;
  const alerts = seedAlerts(bot.catalog);
  const webDir = await findWebDir();
  const session = createPageSession({ slack, demo, alerts, eventsUrl: `${botUrl}/slack/events`, signingSecret });
  slack.on('call', session.onCall);
  const { web, heartbeat } = createPageServer({ session, pageToken, botUrl, webDir, logger });
  let listening: { port: number; url: string };
  try {
    listening = await listenPage(web, opts.port ?? 3000, opts.host);
  } catch (err) {
    await bot.stop();
    await demo.stop();
    await slack.close();
    throw err;
  }
  const { port, url } = listening;
  logger.debug({ url, bot: botUrl, slackEmulator: slack.url, demoTargets: demo.url, notConfigured: demo.unset }, 'playground ready');

  return {
    url,
    port,
    bot,
    botUrl,
    slack,
    demo,
    async stop() {
      clearInterval(heartbeat);
      slack.off('call', session.onCall);
      for (const res of session.sse) res.end();
      session.sse.clear();
      await new Promise<void>((resolve) => {
        web.close(() => resolve());
        web.closeAllConnections();
      });
      await bot.stop();
      await demo.stop();
      await slack.close();
      await rm(pidFile, { force: true });
    },
  };
}

const BOT_TOKEN = 'xoxb-playground';

/** A fresh database each time: the channel lives in memory, so incidents from an earlier run would point nowhere. */
async function startBotOnFreshDatabase(
  opts: PlaygroundOptions,
  w: { dataDir: string; slack: SlackEmulator; demo: DemoTargets; signingSecret: string },
): Promise<BotApp> {
  const { logger } = opts;
  let dbDir = await freshEmbeddedDatabase(w.dataDir, logger, opts.onProgress);
  const base = opts.env ?? {};
  const botEnv = { ...withoutDemoUnset(base, w.demo), ...w.demo.env };
  const appOpts = { env: botEnv, logger, host: '127.0.0.1', embedded: true };
  opts.onProgress?.('starting the bot on its embedded database');
  try {
    return await createApp(playgroundConfig(opts, w, dbDir), appOpts);
  } catch (err) {
    // A template the embedded PostgreSQL can no longer read (after an upgrade): make a new one, once.
    if (!/PGlite|pglite|database/i.test((err as Error).message)) throw err;
    logger.warn({ err: { message: (err as Error).message } }, 'the copied embedded database did not open: creating a new one');
    await dropEmbeddedTemplate(w.dataDir);
    dbDir = await freshEmbeddedDatabase(w.dataDir, logger, opts.onProgress);
    return await createApp(playgroundConfig(opts, w, dbDir), appOpts);
  }
}

/** The bot's configuration: the emulated Slack, the demo workspace's channels and responders, the database in `dbDir`. */
function playgroundConfig(opts: PlaygroundOptions, w: { slack: SlackEmulator; signingSecret: string }, dbDir: string) {
  const base = opts.env ?? {};
  return loadConfig({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: w.signingSecret,
    SLACK_API_URL: w.slack.url,
    PORT: '0',
    DATA_DIR: dbDir,
    COMMANDS_DIR: opts.commandsDir ?? base.COMMANDS_DIR,
    TEMPLATES_DIR: opts.templatesDir ?? base.TEMPLATES_DIR,
    LOG_LEVEL: base.LOG_LEVEL,
    SHUTDOWN_TIMEOUT_MS: '2000',
    REMEDIATION_APPROVERS_HIGH: PLAYGROUND_RESPONDERS,
    INCIDENT_HUB_CHANNEL: PLAYGROUND_HUB.id,
    // The on-call group is invited to every incident channel.
    ESCALATION_L1: base.ESCALATION_L1 ?? PLAYGROUND_RESPONDERS,
    APPROVALS_CHANNEL: PLAYGROUND_CHANNEL.id,
    // Only with PLAYGROUND_USE_SHELL_ENV does `base` hold the shell's variables.
    ALERTMANAGER_URL: base.ALERTMANAGER_URL,
    ALERTMANAGER_ROUTES: base.ALERTMANAGER_ROUTES,
    ESCALATION_L2: base.ESCALATION_L2,
    ESCALATION_L3: base.ESCALATION_L3,
  });
}

/** The variables the demo leaves unset are taken from `env` when the user set them; the demo's own always win. */
function withoutDemoUnset(env: Readonly<Record<string, string | undefined>>, demo: DemoTargets): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) if (!(k in demo.env)) out[k] = v;
  return out;
}
