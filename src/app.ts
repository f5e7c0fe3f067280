import type { Server as HttpNodeServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { createBackgroundJobs } from './app/background';
import type { AppCore } from './app/core';
import { createAppHttp } from './app/http';
import { startApp, stopApp } from './app/lifecycle';
import { createServices } from './app/services';
import { createSlackSide } from './app/slack-side';
import { openDatabaseWhileLoadingCatalog } from './app/startup-files';
import { createStores } from './app/stores';
import { systemClock, type Clock } from './clock';
import { secretsOf, type Config } from './config';
import type { Coordination } from './coordination/coordination';
import { createMemoryCoordination } from './coordination/memory-coordination';
import { createRedisCoordination } from './coordination/redis-coordination';
import type { AuditStore } from './domain/audit';
import type { Health } from './http/health';
import { createLogger, type Logger } from './logger';
import { createBotMetrics, createRegistry, type BotMetrics } from './metrics';
import type { Catalog } from './runbooks';
import type { SlackApp } from './slack/create-slack-app';
import type { Database } from './domain/database';

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
  /** Behind the playground the bot's own port is internal: its start line is debug, and the playground announces itself. */
  embedded?: boolean;
  /** A server already listening on the port (main's `listenWhileStarting`); `start()` takes it over. */
  server?: HttpNodeServer;
}

/**
 * The composition root: the one place that creates pools, clients, the Registry and the logger, then
 * stores → services → Slack listeners → HTTP routes → background jobs. Each step lives in src/app/.
 */
export async function createApp(config: Config, opts: CreateAppOptions = {}): Promise<BotApp> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel, pretty: config.logPretty, secrets: secretsOf(config) });
  const clock = opts.clock ?? systemClock;
  const registry = createRegistry();
  const metrics = createBotMetrics(registry);
  const { db, catalog, notifications, postmortemTemplate } = await openDatabaseWhileLoadingCatalog(config, opts.env ?? {}, logger);
  const coordination = config.redisUrl
    ? createRedisCoordination({ url: config.redisUrl })
    : createMemoryCoordination(() => clock.now().getTime());
  const stores = createStores(db);
  const replicaId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const core: AppCore = {
    config,
    logger,
    clock,
    registry,
    metrics,
    db,
    catalog,
    notifications,
    postmortemTemplate,
    coordination,
    stores,
    replicaId,
  };
  const app = { ...core, services: createServices(core) };
  const slackSide = config.slack ? createSlackSide(app, config.slack) : undefined;
  const { health, http } = createAppHttp(core, slackSide, opts.server);
  const parts = { core, slackSide, health, http, jobs: createBackgroundJobs(app, slackSide) };
  return {
    config,
    logger,
    registry,
    metrics,
    db,
    catalog,
    coordination,
    audit: stores.audit,
    health,
    slack: slackSide?.slack,
    start: () => startApp(parts, opts),
    stop: () => stopApp(parts),
  };
}
