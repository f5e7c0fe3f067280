import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { openDatabase, type Database } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';
import { createMigratedDatabase } from './migrated-database';

const silent = pino({ level: 'silent' });

export interface OpenedBackend {
  db: Database;
  /**
   * The database as a second replica sees it. On PostgreSQL: another pool on the same database. The embedded
   * database is one process only, so its "replica" is a second set of services on the same connection pool.
   */
  replica(): Promise<Database>;
  close(): Promise<void>;
}

export interface Backend {
  name: string;
  open(prefix: string): Promise<OpenedBackend>;
}

/** The two databases the bot runs on: `describe.each(BACKENDS)` runs a suite against both. */
export const BACKENDS: Backend[] = [
  {
    name: 'real PostgreSQL',
    open: async (prefix) => {
      const { db, url, drop } = await createMigratedDatabase(prefix);
      const replicas: Database[] = [];
      return {
        db,
        replica: async () => {
          const r = await openDatabase({ databaseUrl: url, dataDir: '/nonexistent', logger: silent, poolSize: 5 });
          replicas.push(r);
          return r;
        },
        close: async () => {
          for (const r of replicas) await r.close();
          await drop();
        },
      };
    },
  },
  {
    name: 'embedded PGlite',
    open: async (prefix) => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), `ib-${prefix}-`));
      const db = await openDatabase({ dataDir: dir, logger: silent });
      await migrate(db, silent);
      return {
        db,
        replica: async () => db,
        close: async () => {
          await db.close();
          await fs.rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
];
