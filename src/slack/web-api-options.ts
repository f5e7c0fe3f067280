import type { WebClientOptions } from '@slack/web-api';
import type { BotMetrics } from '../metrics';

/**
 * Our own retry policy: three retries within about ten seconds, each attempt cut at
 * 10 s. The client's default (ten retries over ~30 minutes) would hold a request,
 * and everything queued behind it, for half an hour on a degraded Slack.
 */
export const WEB_API_RETRY = { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 4_000, randomize: true } as const;
export const WEB_API_TIMEOUT_MS = 10_000;

export function createWebApiClientOptions(opts: { apiUrl?: string; metrics: BotMetrics }): WebClientOptions {
  const baseFetch = globalThis.fetch;
  // Every client Bolt creates shares these options, so counting here sees every call.
  const countingFetch: typeof fetch = async (input, init) => {
    const method = methodOf(String(input instanceof Request ? input.url : input));
    try {
      const res = await baseFetch(input, init);
      if (res.status === 429) {
        opts.metrics.webApiRateLimited.inc({ method });
        opts.metrics.webApiCalls.inc({ method, outcome: 'rate_limited' });
      } else {
        opts.metrics.webApiCalls.inc({ method, outcome: res.status === 200 ? 'ok' : `http_${res.status}` });
      }
      return res;
    } catch (err) {
      opts.metrics.webApiCalls.inc({ method, outcome: 'failed' });
      throw err;
    }
  };
  return {
    slackApiUrl: opts.apiUrl,
    retryConfig: { ...WEB_API_RETRY },
    timeout: WEB_API_TIMEOUT_MS,
    fetch: countingFetch,
  };
}

function methodOf(url: string): string {
  const m = /\/api\/([A-Za-z0-9_.]+)/.exec(url);
  return m?.[1] ?? 'other';
}
