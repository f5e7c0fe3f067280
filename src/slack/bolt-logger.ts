import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../logger';

/** Bolt and its clients log through our pino logger (so redaction applies to them too). */
export function boltLoggerFrom(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'bolt' });
  const fmt = (msg: unknown[]) =>
    msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg: unknown[]) => child.debug(fmt(msg)),
    info: (...msg: unknown[]) => child.info(fmt(msg)),
    warn: (...msg: unknown[]) => child.warn(fmt(msg)),
    error: (...msg: unknown[]) => child.error(fmt(msg)),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}
