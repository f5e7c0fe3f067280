import type { Pool, PoolClient, QueryResultRow } from 'pg';

/** What stores need from the database: the pg Pool's query surface and transactions. */
export interface Database {
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
  /** True inside a `transaction` callback (where `query` runs on that transaction). */
  inTransaction(): boolean;
  /** Cheap liveness query for /health/ready. */
  ping(timeoutMs?: number): Promise<void>;
  readonly kind: 'postgres' | 'embedded';
  readonly pool: Pool;
  close(): Promise<void>;
}
