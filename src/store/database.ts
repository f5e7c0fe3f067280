import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Pool, type PoolClient } from 'pg';
import { lockDataDir } from '../data-dir-lock';
import type { Logger } from '../logger';
import type { Database } from '../domain/database';
import { startPGliteServer } from './pglite-server';

export type { Database };

export interface OpenDatabaseOptions {
  /** A postgres:// URL; undefined → embedded PGlite in dataDir. */
  databaseUrl?: string;
  dataDir: string;
  logger: Logger;
  poolSize?: number;
}

/**
 * Opens the database. With no URL the embedded PostgreSQL (PGlite) is served on a
 * loopback port (`startPGliteServer`) so that exactly the same `pg` code and SQL
 * migrations run against both.
 */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const pool = new Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: 2_000,
      idleTimeoutMillis: 30_000,
      application_name: 'incident-bot',
    });
    return wrapPool(pool, 'postgres', opts.logger, async () => pool.end());
  }
  const embedded = await startEmbedded(opts.dataDir, opts.logger);
  const pool = new Pool({
    connectionString: embedded.url,
    max: opts.poolSize ?? 4,
    // The one PGlite session is the queue: under a burst a query waits its turn for a pooled connection, and a short
    // wait limit would turn that wait into refused work. A wedged session still shows in /health/ready at once.
    connectionTimeoutMillis: 60_000,
    idleTimeoutMillis: 30_000,
  });
  return wrapPool(pool, 'embedded', opts.logger, async () => {
    await pool.end();
    await embedded.stop();
  });
}

function wrapPool(pool: Pool, kind: Database['kind'], logger: Logger, close: () => Promise<void>): Database {
  // A client losing its server (idle in the pool, or checked out between two queries) must not
  // crash the process: pg emits 'error' on it, and it surfaces as a failed query instead.
  pool.on('error', (err) => logger.warn({ err: { message: err.message } }, 'database connection lost'));
  pool.on('connect', (client) => {
    client.on('error', (err) => logger.warn({ err: { message: err.message } }, 'database connection lost (client in use)'));
  });
  // The transaction open in the current async context, if any. A query issued inside a transaction callback runs on
  // that transaction's connection: on the embedded database a second connection would wait for the session the
  // transaction holds, forever; on PostgreSQL it would miss the transaction's own writes and could wait on its locks.
  const current = new AsyncLocalStorage<{ client: PoolClient; open: boolean; savepoints: number }>();
  // An enabled AsyncLocalStorage runs a hook on every promise the process makes (every Slack ack included), so
  // it is switched on by the first open transaction and off again when none is open.
  let openTransactions = 0;
  const inOpenTransaction = () => {
    const tx = current.getStore();
    return tx?.open ? tx : undefined;
  };
  return {
    kind,
    pool,
    inTransaction: () => inOpenTransaction() !== undefined,
    query: async (text, params) => {
      const tx = inOpenTransaction();
      const r = await (tx ? tx.client.query(text, params as unknown[]) : pool.query(text, params as unknown[]));
      return { rows: r.rows, rowCount: r.rowCount };
    },
    transaction: async (fn) => {
      const outer = inOpenTransaction();
      if (outer) {
        // Nested: a savepoint in the open transaction, so the inner work commits or rolls back as one unit.
        const name = `nested_${++outer.savepoints}`;
        await outer.client.query(`SAVEPOINT ${name}`);
        try {
          const out = await fn(outer.client);
          await outer.client.query(`RELEASE SAVEPOINT ${name}`);
          return out;
        } catch (err) {
          await outer.client.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
          throw err;
        }
      }
      const client = await pool.connect();
      const tx = { client, open: true, savepoints: 0 };
      openTransactions++;
      try {
        await client.query('BEGIN');
        const out = await current.run(tx, () => fn(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        // Work the callback started without awaiting it goes back to the pool from here on.
        tx.open = false;
        client.release();
        if (--openTransactions === 0) current.disable();
      }
    },
    ping: async (timeoutMs = 1_000) => {
      await withTimeout(pool.query('SELECT 1'), timeoutMs, 'database did not answer within ' + timeoutMs + ' ms');
    },
    close,
  };
}

async function startEmbedded(dataDir: string, logger: Logger): Promise<{ url: string; stop(): Promise<void> }> {
  // PGlite ships as an ES module with a CommonJS build; loaded lazily so a real-PostgreSQL deployment never pays for the WASM.
  const { PGlite } = await import('@electric-sql/pglite');
  const dir = path.join(dataDir, 'pglite');
  // PGlite is one process's database: a second process opening the same files corrupts them.
  const lock = await lockDataDir(dataDir);
  let db: InstanceType<typeof PGlite> | undefined;
  try {
    await fs.mkdir(dir, { recursive: true });
    db = await PGlite.create(dir);
    const server = await startPGliteServer(db, { host: '127.0.0.1', port: 0 });
    logger.info({ dataDir: dir }, 'embedded PostgreSQL (PGlite) started');
    const opened = db;
    return {
      url: `postgres://postgres@${server.address}/postgres?sslmode=disable`,
      stop: async () => {
        try {
          await server.stop();
          await opened.close();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (err) {
    await db?.close().catch(() => undefined);
    await lock.release();
    throw err;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
