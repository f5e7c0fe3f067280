import fs from 'node:fs/promises';
import path from 'node:path';
import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import type { Logger } from '../logger';

/** What stores need from the database: the pg Pool's query surface and transactions. */
export interface Database {
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
  /** Cheap liveness query for /health/ready. */
  ping(timeoutMs?: number): Promise<void>;
  readonly kind: 'postgres' | 'embedded';
  readonly pool: Pool;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A postgres:// URL; undefined → embedded PGlite in dataDir. */
  databaseUrl?: string;
  dataDir: string;
  logger: Logger;
  poolSize?: number;
}

/**
 * Opens the database. With no URL the embedded PostgreSQL (PGlite) is served over
 * pglite-socket on a loopback port so that exactly the same `pg` code and SQL
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
    connectionTimeoutMillis: 5_000,
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
  return {
    kind,
    pool,
    query: async (text, params) => {
      const r = await pool.query(text, params as unknown[]);
      return { rows: r.rows, rowCount: r.rowCount };
    },
    transaction: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn(client);
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    ping: async (timeoutMs = 1_000) => {
      await withTimeout(pool.query('SELECT 1'), timeoutMs, 'database did not answer within ' + timeoutMs + ' ms');
    },
    close,
  };
}

async function startEmbedded(dataDir: string, logger: Logger): Promise<{ url: string; stop(): Promise<void> }> {
  // PGlite and pglite-socket ship as ES modules with CommonJS builds; loaded lazily so a real-PostgreSQL deployment never pays for the WASM.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const dir = path.join(dataDir, 'pglite');
  await fs.mkdir(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 8 });
  await server.start();
  const conn = server.getServerConn();
  logger.info({ dataDir: dir }, 'embedded PostgreSQL (PGlite) started');
  return {
    url: `postgres://postgres@${conn}/postgres?sslmode=disable`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
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
