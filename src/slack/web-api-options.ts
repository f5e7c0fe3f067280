import { STATUS_CODES } from 'node:http';
import type { WebClientOptions } from '@slack/web-api';
import { request } from '../targets/undici-loader';
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
  const apiBase = opts.apiUrl ?? 'https://slack.com/api/';
  // Every client Bolt creates shares these options, so counting here sees every call.
  const countingFetch: typeof fetch = async (input, init) => {
    const method = methodOf(String(input instanceof Request ? input.url : input));
    try {
      const res =
        typeof input === 'string' && isResponseUrlPost(input, init, apiBase)
          ? await postToResponseUrl(input, init)
          : await baseFetch(input, init);
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

/**
 * Bolt's respond() posts its JSON message to the response_url through this same fetch, right after
 * a click or command is acked. The WHATWG fetch machinery (web streams, a Response object) costs
 * several times a plain undici request, and a respond() caller only reads ok/status; those posts
 * take the plain request. Web API calls and uploads (not JSON strings) keep fetch.
 */
function isResponseUrlPost(url: string, init: RequestInit | undefined, apiBase: string): init is RequestInit & { body: string } {
  if (init?.method !== 'POST' || typeof init.body !== 'string' || url.startsWith(apiBase)) return false;
  const headers = init.headers as Record<string, string> | undefined;
  return headers?.['Content-Type'] === 'application/json';
}

async function postToResponseUrl(url: string, init: RequestInit & { body: string }): Promise<Response> {
  const res = await request(url, {
    method: 'POST',
    headers: init.headers as Record<string, string>,
    body: init.body,
    signal: init.signal ?? undefined,
  });
  const text = await res.body.text();
  const answer = {
    ok: res.statusCode >= 200 && res.statusCode < 300,
    status: res.statusCode,
    statusText: STATUS_CODES[res.statusCode] ?? '',
    url,
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
  };
  return answer as unknown as Response;
}

function methodOf(url: string): string {
  const m = /\/api\/([A-Za-z0-9_.]+)/.exec(url);
  return m?.[1] ?? 'other';
}
