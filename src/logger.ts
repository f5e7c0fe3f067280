import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

/** Paths pino blanks out wherever they appear in a log object. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'botToken',
  '*.botToken',
  'appToken',
  '*.appToken',
  'signingSecret',
  '*.signingSecret',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'headers["x-slack-signature"]',
  'req.headers["x-slack-signature"]',
  'connectionString',
  '*.connectionString',
];

export interface LoggerOptions {
  level: LogLevel;
  /** Human-readable lines instead of JSON. Unset: only when stdout is a terminal (a person, not a log collector). */
  pretty?: boolean;
  /** Literal secret values (tokens, passwords) scrubbed from every line, wherever they hide. */
  secrets?: string[];
  destination?: DestinationStream;
}

const SECRETS = Symbol('incident-bot.logSecrets');

export function createLogger(opts: LoggerOptions): Logger {
  const secrets = new Set((opts.secrets ?? []).filter((s) => s.length >= 6));
  const scrub = (line: string): string => {
    let out = line;
    for (const s of secrets) out = out.split(s).join('[REDACTED]');
    return out;
  };
  const pretty = opts.destination ? undefined : prettyStreamIfWanted(opts.pretty ?? process.stdout.isTTY === true);
  const base = opts.destination ?? pretty ?? pino.destination({ dest: 1, sync: false });
  const destination: DestinationStream = { write: (line: string) => base.write(secrets.size === 0 ? line : scrub(line)) };
  const logger = pino(
    {
      level: opts.level,
      base: { service: 'incident-bot' },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  // Child loggers inherit this through their prototype, so secrets added later reach every line they write.
  Object.defineProperty(logger, SECRETS, { value: secrets });
  return logger;
}

/**
 * Adds literal secret values learnt after start-up (passwords in the catalog targets' connection URLs) to the
 * values `createLogger` scrubs from every line. No effect on a logger that `createLogger` did not make.
 */
export function addLogSecrets(logger: Logger, values: readonly string[]): void {
  const set = (logger as unknown as Record<symbol, Set<string> | undefined>)[SECRETS];
  if (!set) return;
  for (const v of values) if (v.length >= 6) set.add(v);
}

function prettyStreamIfWanted(wanted: boolean): DestinationStream | undefined {
  if (!wanted) return undefined;
  // pino-pretty is a dev dependency: a production install (the container image) has none and logs JSON even on a terminal.
  let pretty: (o: object) => DestinationStream;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    pretty = require('pino-pretty') as (o: object) => DestinationStream;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
  return pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l' });
}

/**
 * A child logger built on first use. A pino child serialises (and redacts) its bindings when it is
 * made; most Slack requests never log, so the per-request child is only paid for by those that do.
 * One handler serves every lazy child, so a request allocates the proxy and its target, no closures.
 */
export function lazyChild(logger: Logger, bindings: Record<string, unknown>): Logger {
  const target: LazyChildTarget = { parent: logger, bindings };
  return new Proxy(target, LAZY_CHILD) as unknown as Logger;
}

interface LazyChildTarget {
  parent: Logger;
  bindings: Record<string, unknown>;
  child?: Logger;
}

const realChild = (t: LazyChildTarget): Logger => (t.child ??= t.parent.child(t.bindings));

const LAZY_CHILD: ProxyHandler<LazyChildTarget> = {
  get: (t, prop) => {
    const real = realChild(t);
    const value: unknown = Reflect.get(real, prop);
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(real) : value;
  },
  set: (t, prop, value) => Reflect.set(realChild(t), prop, value),
  has: (t, prop) => Reflect.has(realChild(t), prop),
};
