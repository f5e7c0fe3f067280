import type { Client } from 'pg';
import { z } from 'zod';
import { TargetUnreachable } from '../targets/http-connector';
import { renderPlain } from '../targets/params-template';
import { describePostgresError, isConnectionError, isSqlStateError, withPostgres } from '../targets/postgres-connector';
import { round } from './prometheus';
import { maskSqlLiterals } from '../targets/secret-scrubber';
import { statusFor, thresholdString, worst } from './threshold';
import type { Figure, Probe, ProbeContext, ProbeOutcome, ProbeStatus } from './types';

const CHECKS = ['connectivity', 'connections', 'top-statements', 'blocked-locks', 'long-transactions', 'table-sizes'] as const;
type Check = (typeof CHECKS)[number];

export const postgresParams = z
  .object({
    checks: z.array(z.enum(CHECKS)).min(1).default(['connectivity']),
    /** connections: thresholds on used / max_connections (0–1). */
    connectionsWarn: thresholdString.default('>= 0.8'),
    connectionsCrit: thresholdString.default('>= 0.95'),
    /** top-statements: thresholds on the worst mean time in ms. */
    statementMeanMsWarn: thresholdString.default('> 500'),
    statementMeanMsCrit: thresholdString.default('> 1000'),
    /** blocked-locks: thresholds on the number of blocked sessions. */
    blockedWarn: thresholdString.default('> 0'),
    blockedCrit: thresholdString.optional(),
    /** long-transactions: transactions open longer than this many minutes. */
    longTransactionMinutes: z.number().positive().default(5),
    longTransactionsWarn: thresholdString.default('> 0'),
    longTransactionsCrit: thresholdString.optional(),
    /** table-sizes: restrict to these tables (bind parameters; `{{label}}` allowed) and threshold in bytes. */
    tables: z.array(z.string()).optional(),
    tableBytesWarn: thresholdString.optional(),
    tableBytesCrit: thresholdString.optional(),
    /** Only count sessions of this application_name (bind parameter; `{{label}}` allowed). */
    applicationName: z.string().optional(),
    limit: z.number().int().min(1).max(20).default(5),
  })
  .strict();

export type PostgresParams = z.output<typeof postgresParams>;

interface CheckOutcome {
  status: ProbeStatus;
  note?: string;
  figures: Figure[];
  raw?: unknown;
  sql: string;
  excerpt?: string;
}

type Q = <R>(sql: string, values?: unknown[]) => Promise<R[]>;

const SQL = {
  connections: `SELECT count(*)::int AS total,
       count(*) FILTER (WHERE state = 'active')::int AS active,
       count(*) FILTER (WHERE state = 'idle in transaction')::int AS idle_in_tx,
       current_setting('max_connections')::int AS max
  FROM pg_stat_activity
 WHERE backend_type = 'client backend' AND ($1::text IS NULL OR application_name = $1)`,
  hasStatements: `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS present,
       current_setting('server_version_num')::int AS version`,
  topStatements: (col: string) => `SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 200) AS query, calls::bigint AS calls,
       round(${col}::numeric, 1)::float8 AS mean_ms, round(${col.replace('mean', 'max')}::numeric, 1)::float8 AS max_ms
  FROM pg_stat_statements
 WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
 ORDER BY ${col} DESC
 LIMIT $1`,
  blocked: `SELECT a.pid, left(a.query, 200) AS query, extract(epoch FROM now() - a.query_start)::int AS waiting_s,
       b.pid AS blocking_pid, b.state AS blocking_state, left(b.query, 200) AS blocking_query
  FROM pg_stat_activity a
  JOIN LATERAL unnest(pg_blocking_pids(a.pid)) AS bp(pid) ON true
  JOIN pg_stat_activity b ON b.pid = bp.pid
 WHERE a.datname = current_database()
 ORDER BY a.query_start
 LIMIT $1`,
  longTx: `SELECT pid, usename::text AS usename, state, extract(epoch FROM now() - xact_start)::int AS seconds, left(query, 200) AS query
  FROM pg_stat_activity
 WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid()
   AND now() - xact_start > make_interval(secs => $1::float8 * 60)
   AND ($3::text IS NULL OR application_name = $3)
 ORDER BY xact_start
 LIMIT $2`,
  tableSizes: `SELECT n.nspname || '.' || c.relname AS table, pg_total_relation_size(c.oid)::bigint AS bytes
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
   AND ($2::text[] IS NULL OR c.relname = ANY($2::text[]) OR n.nspname || '.' || c.relname = ANY($2::text[]))
 ORDER BY 2 DESC
 LIMIT $1`,
};

/** `applicationName` rendered with the alert's labels, or null (every application). */
function applicationOf(p: PostgresParams, labels: Readonly<Record<string, string>>): string | null {
  return p.applicationName === undefined ? null : renderPlain(p.applicationName, labels);
}

async function checkConnectivity(_p: PostgresParams, q: Q): Promise<CheckOutcome> {
  const [row] = await q<{ version: string }>(`SELECT current_setting('server_version') AS version`);
  return {
    status: 'ok',
    figures: [{ label: 'server', value: `PostgreSQL ${row?.version ?? '?'}` }],
    sql: 'SELECT current_setting(server_version)',
  };
}

async function checkConnections(p: PostgresParams, q: Q, labels: Readonly<Record<string, string>>): Promise<CheckOutcome> {
  const [r] = await q<{ total: number; active: number; idle_in_tx: number; max: number }>(SQL.connections, [applicationOf(p, labels)]);
  const row = r ?? { total: 0, active: 0, idle_in_tx: 0, max: 0 };
  const ratio = row.max > 0 ? row.total / row.max : NaN;
  const status = statusFor(ratio, p.connectionsWarn, p.connectionsCrit);
  return {
    status,
    note: status === 'ok' ? undefined : `${row.total}/${row.max} connections in use`,
    figures: [
      { label: 'connections', value: `${row.total}/${row.max}` },
      { label: 'active', value: row.active },
      { label: 'idle in transaction', value: row.idle_in_tx },
    ],
    raw: row,
    sql: SQL.connections,
  };
}

async function checkTopStatements(p: PostgresParams, q: Q): Promise<CheckOutcome> {
  const [info] = await q<{ present: boolean; version: number }>(SQL.hasStatements);
  if (!info?.present) {
    return {
      status: 'unknown',
      note: 'pg_stat_statements is not installed: add it to shared_preload_libraries and CREATE EXTENSION pg_stat_statements to see slow statements',
      figures: [{ label: 'pg_stat_statements', value: 'absent' }],
      sql: SQL.hasStatements,
    };
  }
  const sql = SQL.topStatements(info.version >= 130000 ? 'mean_exec_time' : 'mean_time');
  let rows: { query: string; calls: string; mean_ms: number; max_ms: number }[];
  try {
    rows = await q(sql, [p.limit]);
  } catch (err) {
    if (/pg_stat_statements/.test((err as Error).message)) {
      return {
        status: 'unknown',
        note: `pg_stat_statements is installed but not loaded: ${(err as Error).message}`,
        figures: [{ label: 'pg_stat_statements', value: 'not loaded' }],
        sql,
      };
    }
    throw err;
  }
  const worstMean = rows[0]?.mean_ms ?? 0;
  const status = statusFor(worstMean, p.statementMeanMsWarn, p.statementMeanMsCrit);
  return {
    status,
    note: status === 'ok' ? undefined : `slowest statement averages ${worstMean} ms`,
    figures: [{ label: 'slowest mean', value: worstMean, unit: 'ms' }],
    raw: rows.map((r) => ({ ...r, query: maskSqlLiterals(r.query) })),
    sql,
    excerpt: rows.map((r) => `${r.mean_ms} ms × ${r.calls}: ${maskSqlLiterals(r.query)}`).join('\n'),
  };
}

async function checkBlockedLocks(p: PostgresParams, q: Q): Promise<CheckOutcome> {
  const rows = await q<{
    pid: number;
    query: string;
    waiting_s: number;
    blocking_pid: number;
    blocking_state: string;
    blocking_query: string;
  }>(SQL.blocked, [p.limit]);
  const status = statusFor(rows.length, p.blockedWarn, p.blockedCrit);
  return {
    status,
    note: rows.length
      ? `${rows.length} blocked session${rows.length === 1 ? '' : 's'}, blocked by pid ${[...new Set(rows.map((r) => r.blocking_pid))].join(', ')}`
      : undefined,
    figures: [{ label: 'blocked', value: rows.length }],
    raw: rows.map((r) => ({ ...r, query: maskSqlLiterals(r.query ?? ''), blocking_query: maskSqlLiterals(r.blocking_query ?? '') })),
    sql: SQL.blocked,
    excerpt: rows
      .map(
        (r) =>
          `pid ${r.pid} waits ${r.waiting_s} s on pid ${r.blocking_pid} (${r.blocking_state}: ${maskSqlLiterals(r.blocking_query ?? '')})`,
      )
      .join('\n'),
  };
}

async function checkLongTransactions(p: PostgresParams, q: Q, labels: Readonly<Record<string, string>>): Promise<CheckOutcome> {
  const rows = await q<{ pid: number; usename: string; state: string; seconds: number; query: string }>(SQL.longTx, [
    p.longTransactionMinutes,
    p.limit,
    applicationOf(p, labels),
  ]);
  const status = statusFor(rows.length, p.longTransactionsWarn, p.longTransactionsCrit);
  return {
    status,
    note: rows.length
      ? `${rows.length} transaction${rows.length === 1 ? '' : 's'} open > ${p.longTransactionMinutes} min (longest ${rows[0]?.seconds} s, pid ${rows[0]?.pid})`
      : undefined,
    figures: [{ label: `transactions > ${p.longTransactionMinutes} min`, value: rows.length }],
    raw: rows.map((r) => ({ ...r, query: maskSqlLiterals(r.query ?? '') })),
    sql: SQL.longTx,
    excerpt: rows.map((r) => `pid ${r.pid} ${r.state} for ${r.seconds} s: ${maskSqlLiterals(r.query ?? '')}`).join('\n'),
  };
}

async function checkTableSizes(p: PostgresParams, q: Q, labels: Readonly<Record<string, string>>): Promise<CheckOutcome> {
  const tables = p.tables ? p.tables.map((t) => renderPlain(t, labels)) : null;
  const rows = await q<{ table: string; bytes: string }>(SQL.tableSizes, [p.limit, tables]);
  const biggest = Number(rows[0]?.bytes ?? 0);
  const status = statusFor(biggest, p.tableBytesWarn, p.tableBytesCrit);
  return {
    status,
    note: status === 'ok' ? undefined : `${rows[0]?.table} is ${mb(biggest)}`,
    figures: rows.slice(0, 3).map((r) => ({ label: r.table, value: mb(Number(r.bytes)) })),
    raw: rows,
    sql: SQL.tableSizes,
  };
}

const CHECK_RUNNERS: Record<Check, (p: PostgresParams, q: Q, labels: Readonly<Record<string, string>>) => Promise<CheckOutcome>> = {
  connectivity: checkConnectivity,
  connections: checkConnections,
  'top-statements': checkTopStatements,
  'blocked-locks': checkBlockedLocks,
  'long-transactions': checkLongTransactions,
  'table-sizes': checkTableSizes,
};

function mb(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${round(bytes / 1024 / 1024)} MiB` : `${round(bytes / 1024)} KiB`;
}

export const postgresProbe: Probe<PostgresParams> = {
  kind: 'postgres',
  targetKind: 'postgres',
  params: postgresParams,
  async run(params, ctx): Promise<ProbeOutcome> {
    const connection = ctx.target?.values.connection as string;
    const session = {
      applicationName: 'incident-bot-probe',
      signal: ctx.signal,
      connectTimeoutMs: Math.min(2000, ctx.timeoutMs),
      statementTimeoutMs: Math.max(100, Math.min(ctx.timeoutMs - 200, 30_000)),
      readOnly: true,
    };
    const started = performance.now();
    try {
      return await withPostgres(connection, session, (client) => runChecks(params, client, ctx));
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      if (err instanceof TargetUnreachable) {
        return {
          kind: 'postgres',
          status: 'crit',
          summary: `PostgreSQL unreachable: ${err.message}`,
          figures: [],
          evidence: { query: 'connect' },
        };
      }
      // SQLSTATE errors (permissions, statement timeout) are findings about the target, not bugs in the probe.
      if (isSqlStateError(err)) {
        return {
          kind: 'postgres',
          status: 'unknown',
          summary: `query failed: ${(err as Error).message} (SQLSTATE ${(err as { code: string }).code})`,
          figures: [],
          evidence: {},
        };
      }
      if (isConnectionError(err)) {
        return {
          kind: 'postgres',
          status: 'crit',
          summary: `PostgreSQL connection lost: ${describePostgresError(err, performance.now() - started)}`,
          figures: [],
          evidence: {},
        };
      }
      throw err;
    }
  },
};

async function runChecks(params: PostgresParams, client: Client, ctx: ProbeContext): Promise<ProbeOutcome> {
  const q: Q = async (sql, values) => (await client.query(sql, values as unknown[])).rows;
  const outcomes: [Check, CheckOutcome][] = [];
  for (const check of params.checks) {
    if (ctx.signal.aborted) break;
    outcomes.push([check, await CHECK_RUNNERS[check](params, q, ctx.labels)]);
  }
  const status = worst(outcomes.map(([, o]) => o.status));
  const notes = outcomes.map(([, o]) => o.note).filter((n): n is string => !!n);
  const excerpt = outcomes
    .map(([, o]) => o.excerpt)
    .filter((e): e is string => !!e)
    .join('\n');
  return {
    kind: 'postgres',
    status,
    summary: notes.length ? notes.join('; ') : `${params.checks.join(', ')}: ok`,
    figures: outcomes.flatMap(([, o]) => o.figures),
    evidence: {
      query: outcomes.map(([, o]) => o.sql.replace(/\s+/g, ' ')).join(';\n'),
      raw: Object.fromEntries(outcomes.map(([c, o]) => [c, o.raw])),
      ...(excerpt ? { excerpt } : {}),
    },
  };
}
