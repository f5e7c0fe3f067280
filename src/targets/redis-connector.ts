import type Redis from 'ioredis';
import { formatDuration } from './durations';
import { TargetUnreachable } from './http-connector';
import { describeNetworkError } from './network-errors';
import { redactUrl } from './params-template';

export interface RedisSessionOptions {
  /** CLIENT SETNAME, shown in CLIENT LIST. */
  connectionName: string;
  /** Aborting drops the connection: a command in flight rejects at once. */
  signal: AbortSignal;
  connectTimeoutMs: number;
  /** Each command's own limit. */
  commandTimeoutMs: number;
}

/**
 * Opens one connection to a Redis target (no retries, no offline queue), hands it to `use` and always closes it. A
 * target that cannot be reached throws `TargetUnreachable` with a description (the URL's password redacted); an
 * abort throws the signal's reason. Errors inside `use` are passed on as they are.
 */
export async function withRedis<T>(url: string, opts: RedisSessionOptions, use: (redis: Redis) => Promise<T>): Promise<T> {
  opts.signal.throwIfAborted();
  // Loaded by the first Redis probe or remediation, not at start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Redis = require('ioredis') as typeof import('ioredis').default;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 0, // our own timer below: ioredis's keeps the process alive after a refused connect
    commandTimeout: opts.commandTimeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectionName: opts.connectionName,
    disconnectTimeout: 200,
  });
  let lastError: unknown;
  redis.on('error', (err) => {
    lastError = err; // ioredis rejects connect() with "Connection is closed"; the cause arrives here
  });
  const close = () => {
    if (redis.status !== 'end') redis.disconnect(); // on an ended client this would leave a 2 s timer behind
  };
  opts.signal.addEventListener('abort', close, { once: true });
  const started = performance.now();
  try {
    let connectTimedOut = false;
    const connectTimer = setTimeout(() => {
      connectTimedOut = true;
      redis.disconnect();
    }, opts.connectTimeoutMs);
    try {
      await redis.connect();
    } catch (err) {
      opts.signal.throwIfAborted();
      if (connectTimedOut) throw new TargetUnreachable(`connect timed out after ${formatDuration(opts.connectTimeoutMs)}`);
      throw new TargetUnreachable(
        describeNetworkError(lastError ?? err, performance.now() - started)
          .split(url)
          .join(redactUrl(url)),
      );
    } finally {
      clearTimeout(connectTimer);
    }
    try {
      return await use(redis);
    } catch (err) {
      opts.signal.throwIfAborted();
      throw err;
    }
  } finally {
    opts.signal.removeEventListener('abort', close);
    close();
  }
}

/** A reply error from Redis itself (the server answered and refused), as opposed to a lost connection. */
export function isRedisReplyError(err: unknown): boolean {
  return /^(ERR|NOPERM|NOAUTH|WRONGPASS|WRONGTYPE|LOADING|BUSY)/.test((err as Error).message ?? '');
}

/** The connection went away or a command ran out of time. */
export function isRedisConnectionLost(err: unknown): boolean {
  return /Connection is closed|ECONNRESET|Command timed out|Stream isn't writeable/i.test((err as Error).message ?? '');
}
