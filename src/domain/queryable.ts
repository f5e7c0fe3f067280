import type { QueryResultRow } from 'pg';

/** The query surface shared by `Database` and a transaction's `PoolClient`: store methods take either. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}
