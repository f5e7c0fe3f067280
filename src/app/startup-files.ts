import type { Config } from '../config';
import type { IncidentNotifications } from '../incidents/templates';
import { loadTemplates } from '../incidents/templates';
import { addLogSecrets, type Logger } from '../logger';
import { loadPostmortemTemplate } from '../postmortem';
import { catalogSecrets, loadCatalog, type Catalog } from '../runbooks';
import { escapeMrkdwn } from '../slack/blocks/mrkdwn';
import type { Database } from '../domain/database';
import { openDatabase } from '../store/database';
import { migrate } from '../store/migrate';

/** What start-up reads before anything is wired: the migrated database, the runbook catalog and the templates. */
export interface StartupFiles {
  db: Database;
  catalog: Catalog;
  notifications: IncidentNotifications;
  postmortemTemplate: Awaited<ReturnType<typeof loadPostmortemTemplate>>;
}

/**
 * The database opens and migrates while the catalog and templates are read and validated: the network round trips
 * (or the embedded database's WebAssembly compilation) overlap the parsing. A broken runbook still stops start-up,
 * and the database is closed again.
 */
export async function openDatabaseWhileLoadingCatalog(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
  logger: Logger,
): Promise<StartupFiles> {
  const opening = openMigratedDatabase(config, logger);
  // Its failure is reported once the catalog has loaded (a catalog problem is named first), not as an unhandled rejection.
  opening.catch(() => undefined);
  let files: Omit<StartupFiles, 'db'>;
  try {
    const catalog = await loadCatalog(config.commandsDir, env, {
      overlayDir: config.commandsOverlayDir,
      runbooksBaseUrl: config.runbooksBaseUrl,
    });
    addLogSecrets(logger, catalogSecrets(catalog));
    const notifications = await loadTemplates(config.templatesDir, escapeMrkdwn);
    const postmortemTemplate = await loadPostmortemTemplate(config.templatesDir);
    files = { catalog, notifications, postmortemTemplate };
  } catch (err) {
    await opening.then(
      (db) => db.close(),
      () => undefined,
    );
    throw err;
  }
  return { db: await opening, ...files };
}

async function openMigratedDatabase(config: Config, logger: Logger): Promise<Database> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  try {
    await migrate(db, logger);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}
