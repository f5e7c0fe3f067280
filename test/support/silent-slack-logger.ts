import { LogLevel, type Logger } from '@slack/web-api';

/** A Slack SDK logger (WebClient, Bolt) that writes nothing: the tests read what the emulator recorded instead. */
export const silentSlackLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};
