import path from 'node:path';
import v8 from 'node:v8';
import { ConfigError, loadConfig, secretsOf, type Config } from './config';
import { listenWhileStarting } from './http/early-listener';
import { createLogger, type Logger } from './logger';

const HOW_TO_GET_SLACK = `Slack is not configured: starting the local playground instead (one channel in your browser, the real bot behind it).
To connect the bot to a workspace:
  1. https://api.slack.com/apps → Create New App → From a manifest → paste manifest.yml (set your public URL in it).
  2. Install the app to the workspace.
  3. export SLACK_BOT_TOKEN=xoxb-…        (OAuth & Permissions → Bot User OAuth Token)
     export SLACK_SIGNING_SECRET=…        (Basic Information → App Credentials → Signing Secret)
     or, for Socket Mode, SLACK_APP_TOKEN=xapp-… (Basic Information → App-Level Tokens, scope connections:write)
  4. npm start`;

// Under the 128 MB heap cap (`--max-old-space-size=128`, as `npm start` and the image run the bot) V8 lets the old
// space grow only 1.3× past the live heap before a full mark-compact, one every few seconds under a burst of Slack
// requests; 2× halves that work. The cap itself still bounds the heap.
v8.setFlagsFromString('--heap-growing-percent=100');

// Last resort: say what broke before exiting, in the same JSON log, instead of a bare stack on stderr.
process.on('uncaughtException', (err) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', msg: 'uncaught exception', err: { message: err.message, stack: err.stack } })}\n`,
  );
  process.exit(1);
});

interface Running {
  stop(): Promise<void>;
}

async function startBot(config: Config, logger: Logger): Promise<Running> {
  // The port answers at once (live; ready: 503 "still starting") while the bot's modules load and it starts.
  const server = await listenWhileStarting(config.port);
  const { createApp } = await import('./app');
  const app = await createApp(config, { env: process.env, logger, server });
  if (!config.databaseUrl) logger.info({ dataDir: config.dataDir }, 'DATABASE_URL is not set: using the embedded PostgreSQL in DATA_DIR');
  await app.start();
  return app;
}

/** No Slack credentials: the playground (emulated Slack + the real bot + demo targets), see src/playground/. */
async function startPlaygroundInstead(config: Config, logger: Logger): Promise<Running> {
  logger.warn(HOW_TO_GET_SLACK);
  const started = Date.now();
  const progress = (step: string) => process.stderr.write(`incident-bot: ${step}…\n`);
  // Loaded only here: a production bot never needs the playground's code.
  const { startPlayground } = await import('./playground');
  const playground = await startPlayground({
    port: config.port,
    dataDir: path.join(config.dataDir, 'playground'),
    logger,
    // The shell's target variables could point at production: only on request.
    ...(config.playgroundUseShellEnv ? { env: process.env } : {}),
    nodeEnv: config.nodeEnv,
    commandsDir: config.commandsDir,
    templatesDir: config.templatesDir,
    onProgress: progress,
  });
  logger.debug({ ms: Date.now() - started }, 'playground started');
  process.stdout.write(`\nPlayground ready → ${playground.url} (Ctrl-C to stop)\n\n`);
  return playground;
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nFix the variables above and start again.\n`);
      process.exit(78);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel, pretty: config.logPretty, secrets: secretsOf(config) });
  // Signals are handled from here on, start-up included: as a container's PID 1, Node ignores a SIGTERM nobody
  // handles, and `docker stop` would then wait for the SIGKILL.
  let running: Running | undefined = undefined;
  let stopping = false;
  const stop = (bot: Running) =>
    bot.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, running ? 'shutting down' : 'shutting down once start-up finishes');
    const hardStop = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 5_000);
    hardStop.unref();
    if (running) void stop(running);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  running = config.slack ? await startBot(config, logger) : await startPlaygroundInstead(config, logger);
  if (stopping) void stop(running);
}

main().catch((err: unknown) => {
  process.stderr.write(`incident-bot failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
