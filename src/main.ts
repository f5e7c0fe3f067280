import { createApp } from './app';
import { ConfigError, loadConfig } from './config';

const HOW_TO_GET_SLACK = `Slack is not configured, so the bot serves health, metrics and webhooks but no Slack traffic.
To connect it to a workspace:
  1. https://api.slack.com/apps → Create New App → From a manifest → paste manifest.yml (set your public URL in it).
  2. Install the app to the workspace.
  3. export SLACK_BOT_TOKEN=xoxb-…        (OAuth & Permissions → Bot User OAuth Token)
     export SLACK_SIGNING_SECRET=…        (Basic Information → App Credentials → Signing Secret)
     or, for Socket Mode, SLACK_APP_TOKEN=xapp-… (Basic Information → App-Level Tokens, scope connections:write)
  4. npm start`;

// Last resort: say what broke before exiting, in the same JSON log, instead of a bare stack on stderr.
process.on('uncaughtException', (err) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'uncaught exception', err: { message: err.message, stack: err.stack } })}\n`);
  process.exit(1);
});

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nFix the variables above and start again.\n`);
      process.exit(78);
    }
    throw err;
  }
  const app = await createApp(config, { env: process.env });
  if (!config.slack) app.logger.warn(HOW_TO_GET_SLACK);
  if (!config.databaseUrl) app.logger.info({ dataDir: config.dataDir }, 'DATABASE_URL is not set: using the embedded PostgreSQL in DATA_DIR');
  await app.start();

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    const hardStop = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 5_000);
    hardStop.unref();
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        app.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`incident-bot failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
