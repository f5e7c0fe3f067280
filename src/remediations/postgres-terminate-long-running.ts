import type { Client } from 'pg';
import { z } from 'zod';
import { TargetUnreachable } from '../targets/http-connector';
import { renderPlain } from '../targets/params-template';
import { withPostgres } from '../targets/postgres-connector';
import { maskSqlLiterals } from '../targets/secret-scrubber';
import { RemediationRefused, waitFor, type Remediation, type RemediationContext } from './types';

export const postgresTerminateParams = z
  .object({
    /** Backends active (in their current statement) for longer than this (seed 000: 5 minutes). */
    olderThanMinutes: z
      .number()
      .positive()
      .max(24 * 60),
    /** Only backends of this application_name (bind parameter; `{{label}}` allowed). */
    applicationName: z.string().min(1).optional(),
    /** Only backends of this role (bind parameter). */
    user: z.string().min(1).optional(),
    /** Refuse rather than terminate more than this many at once. */
    maxBackends: z.number().int().min(1).max(100).default(20),
  })
  .strict();

export type PostgresTerminateParams = z.output<typeof postgresTerminateParams>;

export interface BackendSnapshot {
  pid: number;
  /** Text, to keep PostgreSQL's microseconds: pid plus backend_start identifies one backend (pids are reused). */
  backendStart: string;
  stateChange: string;
  seconds: number;
  user: string | null;
  application: string | null;
  query: string;
}

// Our own session and the bot's own pools are never listed; only client backends of the target database, active
// (in a statement) for longer than the threshold, as seed 000's `now() - state_change > interval '5 minutes'`.
const LIST_SQL = `SELECT pid, backend_start::text AS backend_start, state_change::text AS state_change,
       extract(epoch FROM now() - state_change)::int AS seconds, usename::text AS usename, application_name,
       left(regexp_replace(query, '\\s+', ' ', 'g'), 300) AS query
  FROM pg_stat_activity
 WHERE backend_type = 'client backend' AND datname = current_database() AND pid <> pg_backend_pid()
   AND application_name NOT LIKE 'incident-bot%'
   AND state = 'active' AND now() - state_change > make_interval(secs => $1::float8 * 60)
   AND ($2::text IS NULL OR application_name = $2)
   AND ($3::text IS NULL OR usename = $3)
 ORDER BY state_change
 LIMIT $4`;

// Terminates the backend only if it is still the same backend, in the same statement that was previewed.
const TERMINATE_SQL = `SELECT pid, pg_terminate_backend(pid) AS terminated
  FROM pg_stat_activity
 WHERE pid = $1 AND backend_start = $2::timestamptz AND state = 'active' AND state_change = $3::timestamptz`;

const STILL_THERE_SQL = `SELECT a.pid FROM pg_stat_activity a
  JOIN unnest($1::int[], $2::timestamptz[]) AS t(pid, backend_start) ON a.pid = t.pid AND a.backend_start = t.backend_start`;

interface Row {
  pid: number;
  backend_start: string;
  state_change: string;
  seconds: number;
  usename: string | null;
  application_name: string | null;
  query: string;
}

async function withClient<T>(ctx: RemediationContext, fn: (c: Client) => Promise<T>): Promise<T> {
  const connection = ctx.target?.values.connection;
  if (!connection) throw new RemediationRefused('the postgres target has no connection configured');
  const session = { applicationName: 'incident-bot-remediation', signal: ctx.signal, connectTimeoutMs: 2000, statementTimeoutMs: 10_000 };
  try {
    return await withPostgres(connection, session, fn);
  } catch (err) {
    if (err instanceof TargetUnreachable) throw new RemediationRefused(`PostgreSQL: ${err.message}`);
    throw err;
  }
}

function describe(b: BackendSnapshot): string {
  const min = b.seconds >= 120 ? `${Math.round(b.seconds / 60)} min` : `${b.seconds} s`;
  return `pid ${b.pid} (${b.user ?? '?'}${b.application ? `, ${b.application}` : ''}) active ${min}: ${b.query}`;
}

/** `pg_terminate_backend` for backends active longer than N minutes (seed 000 "Immediate Mitigation"). */
export const postgresTerminateLongRunning: Remediation<PostgresTerminateParams, BackendSnapshot[]> = {
  action: 'postgres.terminate-long-running',
  targetKind: 'postgres',
  params: postgresTerminateParams,
  async preview(params, ctx) {
    const app = params.applicationName ? renderPlain(params.applicationName, ctx.labels) : null;
    const user = params.user ? renderPlain(params.user, ctx.labels) : null;
    const rows = await withClient(
      ctx,
      async (c) => (await c.query<Row>(LIST_SQL, [params.olderThanMinutes, app, user, params.maxBackends + 1])).rows,
    );
    if (rows.length > params.maxBackends) {
      throw new RemediationRefused(
        `more than ${params.maxBackends} backends match: refused (raise maxBackends in the catalog or narrow with applicationName)`,
      );
    }
    const backends: BackendSnapshot[] = rows.map((r) => ({
      pid: r.pid,
      backendStart: r.backend_start,
      stateChange: r.state_change,
      seconds: r.seconds,
      user: r.usename,
      application: r.application_name,
      query: maskSqlLiterals(r.query ?? ''),
    }));
    const db = ctx.target?.name ?? 'database';
    return {
      summary: backends.length
        ? `terminate ${backends.length} backend${backends.length === 1 ? '' : 's'} active > ${params.olderThanMinutes} min on ${db}`
        : `no backend has been active > ${params.olderThanMinutes} min on ${db}`,
      items: backends.map(describe),
      subject: `backends on ${db}`,
      empty: backends.length === 0,
      data: backends,
    };
  },
  async execute(_params, preview, ctx) {
    return withClient(ctx, async (c) => {
      const done: string[] = [];
      const skipped: string[] = [];
      for (const b of preview.data) {
        const r = await c.query<{ pid: number; terminated: boolean }>(TERMINATE_SQL, [b.pid, b.backendStart, b.stateChange]);
        if (r.rows[0]?.terminated) done.push(`terminated ${describe(b)}`);
        else skipped.push(`pid ${b.pid}: finished or changed since the preview, left alone`);
      }
      return {
        summary: `terminated ${done.length} of ${preview.data.length} backends`,
        items: [...done, ...skipped],
        data: { terminated: done.length, skipped: skipped.length },
      };
    });
  },
  async verify(_params, preview, _result, ctx) {
    if (preview.data.length === 0) return { status: 'skipped', summary: 'nothing was terminated' };
    const pids = preview.data.map((b) => b.pid);
    const starts = preview.data.map((b) => b.backendStart);
    // pg_terminate_backend returns before the backend exits: wait (a real condition, 5 s at most).
    let left: { pid: number }[] = [];
    const gone = await waitFor(
      async () => {
        left = await withClient(ctx, async (c) => (await c.query<{ pid: number }>(STILL_THERE_SQL, [pids, starts])).rows);
        return left.length === 0 ? true : undefined;
      },
      5000,
      ctx.signal,
    );
    if (gone) return { status: 'passed', summary: `none of the ${pids.length} previewed backends is still there` };
    return { status: 'failed', summary: `still there: pid ${left.map((r) => r.pid).join(', ')}` };
  },
};
