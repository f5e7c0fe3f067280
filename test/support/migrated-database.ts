import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import pino from 'pino';
import { openDatabase, type Database } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';
import { MIGRATIONS } from '../../src/store/migrations';
import { POSTGRES_ADMIN_URL, START_SERVICES_HINT, createTestDatabase } from './services';

const silent = pino({ level: 'silent' });

/**
 * A fresh database per test file, cloned from a template that holds the current
 * migrations (Unleash's database-init pattern): migrating once, cloning many times.
 */
export async function createMigratedDatabase(prefix: string): Promise<{ db: Database; url: string; drop(): Promise<void> }> {
  if (process.env.INCIDENT_BOT_TEST_DATABASE === 'pglite') return createEmbeddedDatabase(prefix);
  const template = await ensureTemplate();
  const target = await createTestDatabase(prefix);
  const name = new URL(target.url).pathname.slice(1);
  const admin = await connectAdmin();
  try {
    await admin.query(`DROP DATABASE "${name}"`);
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  } finally {
    await admin.end();
  }
  const db = await openDatabase({ databaseUrl: target.url, dataDir: '/nonexistent', logger: silent, poolSize: 5 });
  return {
    db,
    url: target.url,
    drop: async () => {
      await db.close().catch(() => undefined);
      await target.drop();
    },
  };
}

/** The unit lane (jest.unit.config.js): the embedded PostgreSQL (PGlite) in a temporary directory, no server needed. */
async function createEmbeddedDatabase(prefix: string): Promise<{ db: Database; url: string; drop(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `ib-${prefix}-`));
  const db = await openDatabase({ dataDir: dir, logger: silent });
  await migrate(db, silent);
  return {
    db,
    url: String(db.pool.options.connectionString),
    drop: async () => {
      await db.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function ensureTemplate(): Promise<string> {
  const digest = createHash('sha256')
    .update(MIGRATIONS.map((m) => m.id + m.sql).join('\n'))
    .digest('hex')
    .slice(0, 12);
  const template = `incident_bot_template_${digest}`;
  const admin = await connectAdmin();
  try {
    // Several Jest workers may race here: the advisory lock makes one of them build it.
    await admin.query('SELECT pg_advisory_lock(7310043)');
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE DATABASE "${template}"`);
      const url = new URL(POSTGRES_ADMIN_URL);
      url.pathname = `/${template}`;
      const db = await openDatabase({ databaseUrl: url.toString(), dataDir: '/nonexistent', logger: silent, poolSize: 1 });
      try {
        await migrate(db, silent);
      } finally {
        await db.close();
      }
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock(7310043)').catch(() => undefined);
    await admin.end();
  }
  return template;
}

async function connectAdmin(): Promise<Client> {
  const client = new Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`PostgreSQL is not answering (${(err as Error).message}): ${START_SERVICES_HINT}`);
  }
  return client;
}
