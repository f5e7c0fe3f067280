import type { Health } from '../http/health';
import type { HttpServer } from '../http/server';
import type { JobRunner } from '../jobs/job-runner';
import type { AppCore } from './core';
import type { SlackSide } from './slack-side';

/** What starts and stops with the bot, besides the core's database and coordination. */
export interface RunningParts {
  core: AppCore;
  slackSide: SlackSide | undefined;
  health: Health;
  http: HttpServer;
  jobs: JobRunner;
}

/** Listens, connects Slack, then starts the inbox, the token check and the jobs; resolves with the bound port. */
export async function startApp(parts: RunningParts, opts: { host?: string; embedded?: boolean }): Promise<number> {
  const { core, slackSide, health, http, jobs } = parts;
  const { config, logger, db, coordination } = core;
  const port = await http.listen(config.port, opts.host);
  await slackSide?.slack.start();
  slackSide?.inbox.start();
  slackSide?.auth.start();
  jobs.start();
  health.markStarted();
  logger[opts.embedded ? 'debug' : 'info'](
    { port, database: db.kind, coordination: coordination.kind, slack: slackSide?.slack.mode ?? 'not configured' },
    'incident-bot started',
  );
  return port;
}

/** Graceful stop: refuse new work, finish in-flight requests (bounded), close pools. */
export async function stopApp(parts: RunningParts): Promise<void> {
  const { core, slackSide, health, http, jobs } = parts;
  const { config, logger } = core;
  health.markStopping();
  slackSide?.auth.stop();
  await jobs.stop();
  await slackSide?.stormWatch.stop();
  // Refuse new deliveries first (503: Slack sends them elsewhere), then let running handlers finish
  // and hand the rest back, and only then close what they use.
  const inboxStopping = slackSide?.inbox.stop(config.shutdownTimeoutMs);
  await http.close(config.shutdownTimeoutMs);
  const inboxResult = await inboxStopping;
  await slackSide?.slack.stop().catch((err: Error) => logger.warn({ err: { message: err.message } }, 'Socket Mode did not stop cleanly'));
  await slackSide?.replayGuard.close();
  await core.coordination.close();
  await core.db.close();
  if (inboxResult?.unfinished)
    throw new Error(
      `${inboxResult.unfinished} event handlers did not finish within SHUTDOWN_TIMEOUT_MS; their deliveries were handed back`,
    );
  logger.info('incident-bot stopped');
}
