import { Agent, request } from 'undici';
import { redactUrl } from './params-template';

/** The undici adapter shared by the HTTP-based probes (prometheus, alertmanager, http, metrics-scrape). */
export interface HttpAnswer {
  status: number;
  body: string;
  durationMs: number;
  contentType?: string;
}

/** The target did not answer: a probe result, not a bug. */
export class TargetUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetUnreachable';
  }
}

const MAX_BODY = 4 * 1024 * 1024;

export async function httpGet(url: URL, opts: { signal: AbortSignal; timeoutMs: number; accept?: string }): Promise<HttpAnswer> {
  const started = performance.now();
  // One agent per call, destroyed afterwards: a probe leaves no pooled connection behind (undici would otherwise
  // reconnect to a hung target after an abort), and connecting is capped at 2 s.
  const dispatcher = new Agent({ connect: { timeout: Math.min(2000, opts.timeoutMs) }, pipelining: 0 });
  // user:password in a target URL (from its ${ENV} variable) becomes Basic auth; it never reaches a result.
  const target = new URL(url);
  const auth = target.username || target.password ? `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}` : undefined;
  target.username = '';
  target.password = '';
  try {
    const res = await request(target, {
      dispatcher,
      method: 'GET',
      signal: opts.signal,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      headers: {
        accept: opts.accept ?? 'application/json, text/plain;q=0.9, */*;q=0.1',
        'user-agent': 'incident-bot',
        ...(auth ? { authorization: auth } : {}),
      },
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > MAX_BODY) {
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
    throw new TargetUnreachable(describeNetworkError(err, performance.now() - started));
  } finally {
    dispatcher.destroy().catch(() => undefined);
  }
}

export function describeNetworkError(err: unknown, elapsedMs: number, url?: URL | string): string {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  const where = url ? ` (${redactUrl(url)})` : '';
  const after = formatDuration(elapsedMs);
  if (e.name === 'AbortError' || code === 'ABORT_ERR') return `no answer within ${after}${where}`;
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused after ${after}${where}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found${where}`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `connection reset after ${after}${where}`;
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return `connect timed out after ${after}${where}`;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `no answer within ${after}${where}`;
    default:
      return `${e.message ?? String(err)}${where}`;
  }
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0).replace(/\.0$/, '')} s`;
}
