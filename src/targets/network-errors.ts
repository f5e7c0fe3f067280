import { formatDuration } from './durations';
import { redactUrl } from './params-template';

/** A socket-level failure in the words an operator expects (refused, reset, timed out…), never with credentials. */
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
