import type * as Undici from 'undici';

/**
 * undici, loaded on first use rather than at start-up: it is over a hundred modules, and a bot that has not yet
 * probed an HTTP target or posted to a response URL does not need it to answer Slack.
 */
export function undici(): typeof Undici {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('undici') as typeof Undici;
}

/** undici's `request`, loading undici on the first call. */
export const request = ((...args: Parameters<typeof Undici.request>) => undici().request(...args)) as typeof Undici.request;
