import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  handler: RouteHandler;
}

export interface HttpServer {
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting connections and waits (bounded) for in-flight requests. */
  close(timeoutMs: number): Promise<void>;
  inFlight(): number;
}

/** One port for Slack, health, metrics and webhooks. Unknown paths get a JSON 404, never a stack trace. */
export function createHttpServer(
  routes: Route[],
  logger: Logger,
  onRequest?: (req: IncomingMessage, res: ServerResponse) => void,
  /** A server already listening (see listenWhileStarting): this one's routes replace its answers. */
  existing?: http.Server,
): HttpServer {
  let active = 0;
  let idle: (() => void) | undefined;
  // Shared by every request: a Slack ack is a few hundred microseconds of work, and closures made per request add to it.
  const onClose = (): void => {
    active--;
    if (active === 0) idle?.();
  };
  const failed = (req: IncomingMessage, res: ServerResponse, err: unknown): void => {
    logger.error({ err, path: pathOf(req) }, 'HTTP handler failed');
    if (!res.headersSent) sendJson(res, 500, { error: 'internal error; see the bot log' });
    else res.end();
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    active++;
    res.on('close', onClose);
    onRequest?.(req, res);
    const path = pathOf(req);
    let route: Route | undefined;
    for (const r of routes) {
      if (r.path === path && r.method === req.method) {
        route = r;
        break;
      }
    }
    if (!route) {
      const known = routes.some((r) => r.path === path);
      sendJson(res, known ? 405 : 404, { error: known ? `method ${req.method} not allowed on ${path}` : `no route for ${path}` });
      return;
    }
    let pending: void | Promise<void>;
    try {
      pending = route.handler(req, res);
    } catch (err) {
      failed(req, res, err);
      return;
    }
    if (pending) pending.catch((err: unknown) => failed(req, res, err));
  };
  const server = existing ?? http.createServer();
  server.keepAliveTimeout = 65_000;
  return {
    listen: (port, host = '0.0.0.0') =>
      new Promise((resolve, reject) => {
        server.removeAllListeners('request');
        server.on('request', handle);
        if (server.listening) {
          resolve((server.address() as AddressInfo).port);
          return;
        }
        server.once('error', reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      }),
    close: async (timeoutMs) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const drained = active === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([Promise.all([drained, closed]), timeout]);
      clearTimeout(timer);
      server.closeAllConnections();
    },
    inFlight: () => active,
  };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/**
 * Reads a request body up to a limit; larger bodies are refused (status 413 on the error), not buffered. A body
 * announced larger by Content-Length is refused before reading; one that turns out larger is discarded as it
 * arrives, so the client still gets to read the 413 instead of a reset connection.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const tooLarge = () => Object.assign(new Error(`body larger than ${limitBytes} bytes`), { status: 413 });
  return new Promise((resolve, reject) => {
    const refuse = () => {
      req.removeListener('data', onData);
      discardRest(req, limitBytes * 16);
      reject(tooLarge());
    };
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limitBytes) {
        chunks.length = 0;
        refuse();
        return;
      }
      chunks.push(c);
    };
    if (Number(req.headers['content-length'] ?? 0) > limitBytes) {
      refuse();
      return;
    }
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Drains what is left of a refused body; a client that keeps sending past `capBytes` is cut off. */
function discardRest(req: IncomingMessage, capBytes: number): void {
  let discarded = 0;
  req.on('data', (c: Buffer) => {
    discarded += c.length;
    if (discarded > capBytes) req.destroy();
  });
  req.resume();
}
