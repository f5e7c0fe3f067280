import type { Logger } from '../logger';
import type { Database } from './database';
import { MIGRATIONS, type Migration } from './migrations';

// Any fixed number: every replica takes the same session lock, so only one migrates at a time.
const MIGRATION_LOCK_KEY = 7_310_042;

/**
 * Applies pending migrations in order, each in its own transaction, under an advisory
 * lock so two replicas starting together do not race. Safe to run on every start.
 */
export async function migrate(db: Database, logger: Logger, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  // Most starts have nothing to apply: one read without the lock tells, and only a start with work to do takes it.
  if (await allApplied(db, migrations)) return [];
  const client = await db.pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
    for (const m of migrations) {
      if (done.has(m.id)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new Error(`migration ${m.id} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.id);
      logger.info({ migration: m.id }, 'migration applied');
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
  return applied;
}

async function allApplied(db: Database, migrations: readonly Migration[]): Promise<boolean> {
  try {
    const done = new Set((await db.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
    return migrations.every((m) => done.has(m.id));
  } catch (err) {
    // A database never migrated has no schema_migrations table yet (undefined_table).
    if ((err as { code?: string }).code === '42P01') return false;
    throw err;
  }
}
