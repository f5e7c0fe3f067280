import { Client } from 'pg';
import { formatDuration } from './durations';
import { TargetUnreachable } from './http-connector';
import { describeNetworkError } from './network-errors';

export interface PostgresSessionOptions {
  /** Shown in pg_stat_activity; the bot's own sessions start with `incident-bot` (actions leave those alone). */
  applicationName: string;
  /** Aborting closes the connection: a query in flight rejects at once. */
  signal: AbortSignal;
  connectTimeoutMs: number;
  /** Set on the session before `use` runs. */
  statementTimeoutMs: number;
  /** Every transaction of the session is read-only (probes look, never touch). */
  readOnly?: boolean;
}

/**
 * Opens one session on a PostgreSQL target, hands it to `use` and always closes it. A target that cannot be reached
 * throws `TargetUnreachable` with a description (never the connection string); an abort throws the signal's reason.
 * Errors inside `use` are passed on as they are (`describePostgresError` words them).
 */
export async function withPostgres<T>(connection: string, opts: PostgresSessionOptions, use: (client: Client) => Promise<T>): Promise<T> {
  opts.signal.throwIfAborted();
  const client = new Client({
    connectionString: connection,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    application_name: opts.applicationName,
  });
  client.on('error', () => undefined); // a dropped connection surfaces as a failed query
  // client.end() says goodbye and waits for the server, which a hung server never answers: drop the socket instead,
  // as pg's own connect timeout does. That rejects a connect or a query in flight at once.
  const onAbort = () => (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  opts.signal.addEventListener('abort', onAbort, { once: true });
  const started = performance.now();
  try {
    try {
      await client.connect();
    } catch (err) {
      opts.signal.throwIfAborted();
      throw new TargetUnreachable(describePostgresError(err, performance.now() - started));
    }
    await client.query(
      opts.readOnly
        ? `SELECT set_config('statement_timeout', $1, false), set_config('default_transaction_read_only', 'on', false)`
        : `SELECT set_config('statement_timeout', $1, false)`,
      [String(Math.max(1, Math.round(opts.statementTimeoutMs)))],
    );
    try {
      return await use(client);
    } catch (err) {
      opts.signal.throwIfAborted();
      throw err;
    }
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    if (opts.signal.aborted) onAbort();
    else await client.end().catch(() => undefined);
  }
}

/** A SQLSTATE error: the server answered and refused (permissions, statement timeout, missing database). */
export function isSqlStateError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/** A socket-level error (refused, reset): the connection is gone. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

export function describePostgresError(err: unknown, elapsedMs: number): string {
  const msg = (err as Error).message ?? String(err);
  const code = (err as { code?: string }).code;
  if (/timeout/i.test(msg) && !code) return `connect timed out after ${formatDuration(elapsedMs)}`;
  if (isSqlStateError(err)) return `${msg} (SQLSTATE ${code})`;
  // pg messages do not contain the connection string; strip URLs anyway, it may carry a password
  return describeNetworkError(err, elapsedMs).replace(/postgres(ql)?:\/\/\S+/g, '<connection>');
}
