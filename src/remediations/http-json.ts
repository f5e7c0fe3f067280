import { Agent, request } from 'undici';
import { describeNetworkError } from '../probes/http-client';
import { redactUrl } from '../probes/params-template';
import { RemediationRefused } from './types';

/** The undici adapter for the HTTP-based remediations (alertmanager.silence, http.call). */
export interface HttpReply {
  status: number;
  body: string;
}

const MAX_BODY = 1024 * 1024;

export async function httpSend(
  method: 'GET' | 'POST',
  url: URL,
  opts: { signal: AbortSignal; timeoutMs?: number; json?: unknown },
): Promise<HttpReply> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const dispatcher = new Agent({ connect: { timeout: Math.min(2000, timeoutMs) }, pipelining: 0 });
  // user:password in the target URL (from its ${ENV} variable) becomes Basic auth and never reaches a result.
  const target = new URL(url);
  const auth = target.username || target.password ? `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}` : undefined;
  target.username = '';
  target.password = '';
  const started = performance.now();
  try {
    const res = await request(target, {
      dispatcher,
      method,
      signal: opts.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      headers: {
        accept: 'application/json',
        'user-agent': 'incident-bot',
        ...(opts.json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(auth ? { authorization: auth } : {}),
      },
      body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) {
        res.body.destroy();
        break;
      }
      chunks.push(chunk as Buffer);
    }
    return { status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') };
  } catch (err) {
    throw new RemediationRefused(`${method} ${redactUrl(url)}: ${describeNetworkError(err, performance.now() - started)}`);
  } finally {
    dispatcher.destroy().catch(() => undefined);
  }
}
