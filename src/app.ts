import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { systemClock, type Clock } from './clock';
import { secretsOf, type Config } from './config';
import type { Coordination } from './coordination/coordination';
import { createMemoryCoordination } from './coordination/memory-coordination';
import { createRedisCoordination } from './coordination/redis-coordination';
import { createDeliveryDedup } from './dedup/delivery-dedup';
import { createHealth, type Health } from './http/health';
import { healthRoutes, metricsRoute } from './http/routes';
import { createHttpServer, sendJson, type Route } from './http/server';
import { createLogger, type Logger } from './logger';
import { createDiagnosisMetrics } from './diagnosis';
import { loadCatalog, type Catalog } from './runbooks';
import { diagnoseCommandHandler, registerDiagnoseActions, type DiagnoseDeps } from './slack/listeners/diagnose';
import { runbooksCommandHandler } from './slack/listeners/runbooks';
import { createSlackPoster } from './slack/slack-poster';
import { createBotMetrics, createRegistry, type BotMetrics } from './metrics';
import { attachReceipt, createSlackApp, type SlackApp } from './slack/create-slack-app';
import { registerIncidentCommand } from './slack/listeners/incident-command';
import { createSlackAuthMonitor, type SlackAuthMonitor } from './slack/slack-auth-monitor';
import { createAuditStore, type AuditStore } from './store/audit-store';
import { openDatabase, type Database } from './store/database';
import { migrate } from './store/migrate';
import { createProcessedEventStore } from './store/processed-event-store';

export interface BotApp {
  config: Config;
  logger: Logger;
  registry: Registry;
  metrics: BotMetrics;
  db: Database;
  catalog: Catalog;
  coordination: Coordination;
  audit: AuditStore;
  health: Health;
  slack?: SlackApp;
  /** Starts listening; resolves with the bound port. */
  start(): Promise<number>;
  /** Graceful stop: refuse new work, finish in-flight requests (bounded), close pools. */
  stop(): Promise<void>;
}

export interface CreateAppOptions {
  /** Where the catalog's `${ENV}` target references are resolved (main passes process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  logger?: Logger;
  host?: string;
}

/**
 * The composition root: the one place that creates pools, clients, the Registry and the
 * logger, then stores → services → Slack listeners → HTTP routes.
 */
export async function createApp(config: Config, opts: CreateAppOptions = {}): Promise<BotApp> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel, pretty: config.logPretty, secrets: secretsOf(config) });
  const clock = opts.clock ?? systemClock;
  const registry = createRegistry();
  const metrics = createBotMetrics(registry);

  // The catalog first: a broken runbook stops start-up before anything is opened.
  const catalog = await loadCatalog(config.commandsDir, opts.env ?? {});
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  try {
    await migrate(db, logger);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  const coordination = config.redisUrl ? createRedisCoordination({ url: config.redisUrl }) : createMemoryCoordination(() => clock.now().getTime());
  const processedEvents = createProcessedEventStore(db);
  const audit = createAuditStore(db);
  const dedup = createDeliveryDedup({ coordination, store: processedEvents, logger });

  let slack: SlackApp | undefined;
  let slackAuth: SlackAuthMonitor | undefined;
  if (config.slack) {
    slack = createSlackApp({ config: config.slack, logger, metrics, dedup });
    const poster = createSlackPoster({ client: slack.client, coordination, logger });
    const diagnoseDeps: DiagnoseDeps = { catalog, client: slack.client, poster, logger, metrics: createDiagnosisMetrics(registry) };
    registerIncidentCommand(
      slack.app,
      {
        diagnose: diagnoseCommandHandler(diagnoseDeps),
        runbooks: runbooksCommandHandler(catalog),
      },
      logger,
    );
    registerDiagnoseActions(slack.app, diagnoseDeps);
    slackAuth = createSlackAuthMonitor(slack.client, logger);
  }

  const health = createHealth({
    database: async () => {
      try {
        await db.ping();
        return { ok: true };
      } catch (err) {
        return { ok: false, reason: `${db.kind === 'embedded' ? 'embedded database' : 'PostgreSQL'} not answering: ${(err as Error).message}` };
      }
    },
    slack: async () =>
      slackAuth
        ? slackAuth.state()
        : { ok: false, reason: 'Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode)' },
  });

  const slackRoute: Route = {
    method: 'POST',
    path: '/slack/events',
    handler: (req, res) => {
      if (slack?.requestListener) slack.requestListener(req, res);
      else sendJson(res, 503, { error: slack ? 'this bot runs in Socket Mode; Slack does not post here' : 'Slack is not configured' });
    },
  };
  const routes: Route[] = [...healthRoutes(health), metricsRoute(registry), slackRoute];
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith('/slack/')) return;
    const receipt = attachReceipt(req);
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      metrics.ackSeconds.observe({ kind: receipt.kind ?? 'other' }, Number(process.hrtime.bigint() - started) / 1e9);
    });
  };
  const http = createHttpServer(routes, logger, onRequest);

  const pruneTimer = setInterval(() => {
    processedEvents.pruneOlderThan(new Date(clock.now().getTime() - 24 * 3600_000)).catch((err: Error) => logger.warn({ err: { message: err.message } }, 'pruning processed events failed'));
  }, 3600_000);
  pruneTimer.unref();

  return {
    config,
    logger,
    registry,
    metrics,
    db,
    catalog,
    coordination,
    audit,
    health,
    slack,
    start: async () => {
      const port = await http.listen(config.port, opts.host);
      await slack?.start();
      slackAuth?.start();
      health.markStarted();
      logger.info({ port, database: db.kind, coordination: coordination.kind, slack: slack?.mode ?? 'not configured' }, 'incident-bot started');
      return port;
    },
    stop: async () => {
      health.markStopping();
      clearInterval(pruneTimer);
      slackAuth?.stop();
      await http.close(config.shutdownTimeoutMs);
      await slack?.stop().catch((err: Error) => logger.warn({ err: { message: err.message } }, 'Socket Mode did not stop cleanly'));
      await coordination.close();
      await db.close();
      logger.info('incident-bot stopped');
    },
  };
}
