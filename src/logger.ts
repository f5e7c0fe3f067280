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
  pretty?: boolean;
  /** Literal secret values (tokens, passwords) scrubbed from every line, wherever they hide. */
  secrets?: string[];
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const secrets = (opts.secrets ?? []).filter((s) => s.length >= 6);
  const scrub = (line: string): string => secrets.reduce((acc, s) => acc.split(s).join('[REDACTED]'), line);
  const base = opts.destination ?? (opts.pretty ? prettyStream() : pino.destination({ dest: 1, sync: false }));
  const destination: DestinationStream =
    secrets.length === 0 ? base : { write: (line: string) => base.write(scrub(line)) };
  return pino(
    {
      level: opts.level,
      base: { service: 'incident-bot' },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

function prettyStream(): DestinationStream {
  // pino-pretty is a dev dependency: only loaded when someone asks for LOG_PRETTY=1.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pretty = require('pino-pretty') as (o: object) => DestinationStream;
  return pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l' });
}
