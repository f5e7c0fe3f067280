/**
 * Coded errors. One handler (slack/error-reply.ts) turns them into a log line and a
 * user-facing message; anything that is not a BotError is a bug and is logged as one.
 */
export type ErrorCode =
  | 'BAD_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'FORBIDDEN'
  | 'STORAGE_UNAVAILABLE'
  | 'COORDINATION_UNAVAILABLE'
  | 'SLACK_API'
  | 'NOT_CONFIGURED'
  /** A service the bot calls (GitHub) refused or did not answer. */
  | 'UPSTREAM';

export class BotError extends Error {
  constructor(
    readonly code: ErrorCode,
    /** Safe to show in Slack: no secrets, no stack, says what to do. */
    readonly userMessage: string,
    options?: { cause?: unknown },
  ) {
    super(userMessage, options);
    this.name = 'BotError';
  }
}

export const badInput = (msg: string) => new BotError('BAD_INPUT', msg);
export const notFound = (msg: string) => new BotError('NOT_FOUND', msg);
export const forbidden = (msg: string) => new BotError('FORBIDDEN', msg);

export function storageUnavailable(cause: unknown): BotError {
  return new BotError(
    'STORAGE_UNAVAILABLE',
    'Storage is unavailable right now (PostgreSQL is not answering). Nothing was changed; try again in a minute.',
    { cause },
  );
}

/** True for errors that mean "the database is not reachable", as opposed to a bad query. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (
    e.code &&
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08006', '08001', '08003', '08000'].includes(e.code)
  )
    return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|the database system is (shutting down|starting up)/i.test(
    e.message ?? '',
  );
}
