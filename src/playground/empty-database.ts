import { existsSync } from 'node:fs';
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger';
import { openDatabase } from '../store/database';
import { migrate } from '../store/migrate';

/**
 * A composition root for the playground's database (the only playground file that opens one).
 * Makes `<dataDir>/db` a fresh, empty embedded database. Creating one (PGlite's initdb) is most of a playground's
 * start-up, so it is done once into `<dataDir>/db-template` (migrated, no rows, closed) and copied at every start;
 * the bot then applies any migration newer than the template. Returns the database's DATA_DIR.
 */
export async function freshEmbeddedDatabase(dataDir: string, logger: Logger, onProgress?: (step: string) => void): Promise<string> {
  const dbDir = path.join(dataDir, 'db');
  const templateDir = path.join(dataDir, 'db-template');
  await rm(dbDir, { recursive: true, force: true });
  if (!existsSync(path.join(templateDir, 'pglite', 'PG_VERSION'))) {
    onProgress?.('creating the embedded database (once; later starts copy it)');
    await rm(templateDir, { recursive: true, force: true });
    const db = await openDatabase({ dataDir: templateDir, logger });
    try {
      await migrate(db, logger);
    } finally {
      await db.close();
    }
  }
  await cp(templateDir, dbDir, { recursive: true });
  return dbDir;
}

/** Forgets the template (e.g. after an upgrade of the embedded PostgreSQL made it unreadable). */
export async function dropEmbeddedTemplate(dataDir: string): Promise<void> {
  await rm(path.join(dataDir, 'db-template'), { recursive: true, force: true });
}
