import { request, undici } from './undici-loader';
import { describeNetworkError } from './network-errors';

/**
 * The HTTP connector shared by the HTTP-based probes (prometheus, alertmanager, http, metrics-scrape) and actions
 * (alertmanager.silence, http.call, process.start's health check).
 */
export interface HttpAnswer {
  status: number;
  body: string;
  durationMs: number;
  contentType?: string;
}

/** The target did not answer (refused, reset, timed out, aborted): a finding about the target, not a bug. */
export class TargetUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetUnreachable';
  }
}

export interface HttpRequestOptions {
  /** Aborted by the caller's deadline: the request and its socket are dropped. */
  signal: AbortSignal;
  /** Waiting for the headers, and between body chunks; connecting is capped at 2 s as well. */
  timeoutMs: number;
  accept?: string;
  /** Sent as JSON with a content-type. */
  json?: unknown;
  /** A longer body is cut here (the connection is closed). */
  maxBodyBytes?: number;
}

const MAX_BODY = 4 * 1024 * 1024;

/**
 * One request; throws `TargetUnreachable` with a description when the target does not answer in time, and the
 * signal's reason when the caller aborted.
 */
export async function httpRequest(method: 'GET' | 'POST', url: URL, opts: HttpRequestOptions): Promise<HttpAnswer> {
  const started = performance.now();
  // One agent per call, destroyed afterwards: nothing pooled is left behind (undici would otherwise reconnect to a
  // hung target after an abort), and connecting is capped at 2 s.
  const dispatcher = new (undici().Agent)({ connect: { timeout: Math.min(2000, opts.timeoutMs) }, pipelining: 0 });
  // user:password in a target URL (from its ${ENV} variable) becomes Basic auth; it never reaches a result.
  const target = new URL(url);
  const auth =
    target.username || target.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`
      : undefined;
  target.username = '';
  target.password = '';
  const maxBody = opts.maxBodyBytes ?? MAX_BODY;
  try {
    const res = await request(target, {
      dispatcher,
      method,
      signal: opts.signal,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      headers: {
        accept: opts.accept ?? 'application/json, text/plain;q=0.9, */*;q=0.1',
        'user-agent': 'incident-bot',
        ...(opts.json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(auth ? { authorization: auth } : {}),
      },
      body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > maxBody) {
        res.body.destroy();
        break;
      }
      chunks.push(b);
    }
    const ct = res.headers['content-type'];
    return {
      status: res.statusCode,
      body: Buffer.concat(chunks).toString('utf8'),
      durationMs: Math.round(performance.now() - started),
      contentType: Array.isArray(ct) ? ct[0] : ct,
    };
  } catch (err) {
    opts.signal.throwIfAborted();
    throw new TargetUnreachable(describeNetworkError(err, performance.now() - started));
  } finally {
    dispatcher.destroy().catch(() => undefined);
  }
}

export function httpGet(url: URL, opts: Omit<HttpRequestOptions, 'json'>): Promise<HttpAnswer> {
  return httpRequest('GET', url, opts);
}
