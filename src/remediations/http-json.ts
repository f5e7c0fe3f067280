import { httpRequest, TargetUnreachable } from '../targets/http-connector';
import { redactUrl } from '../targets/params-template';
import { RemediationRefused } from './types';

export interface HttpReply {
  status: number;
  body: string;
}

/** An action's HTTP call (alertmanager.silence, http.call): a target that does not answer refuses the action. */
export async function httpSend(
  method: 'GET' | 'POST',
  url: URL,
  opts: { signal: AbortSignal; timeoutMs?: number; json?: unknown },
): Promise<HttpReply> {
  try {
    const { status, body } = await httpRequest(method, url, {
      signal: opts.signal,
      timeoutMs: opts.timeoutMs ?? 10_000,
      accept: 'application/json',
      json: opts.json,
      maxBodyBytes: 1024 * 1024,
    });
    return { status, body };
  } catch (err) {
    if (err instanceof TargetUnreachable) throw new RemediationRefused(`${method} ${redactUrl(url)}: ${err.message}`);
    throw err;
  }
}
