import type { Registry } from 'prom-client';
import type { Clock } from '../clock';
import type { Config } from '../config';
import type { Coordination } from '../coordination/coordination';
import type { IncidentNotifications } from '../incidents/templates';
import type { Logger } from '../logger';
import type { BotMetrics } from '../metrics';
import type { Catalog } from '../runbooks';
import type { Database } from '../domain/database';
import type { AppStores } from './stores';
import type { StartupFiles } from './startup-files';

/** What every part of the wiring shares: the process-wide clients, the files read at start-up, the stores. */
export interface AppCore {
  config: Config;
  logger: Logger;
  clock: Clock;
  registry: Registry;
  metrics: BotMetrics;
  db: Database;
  catalog: Catalog;
  notifications: IncidentNotifications;
  postmortemTemplate: StartupFiles['postmortemTemplate'];
  coordination: Coordination;
  stores: AppStores;
  /** This process among the replicas: the owner of its claims and leases. */
  replicaId: string;
}
