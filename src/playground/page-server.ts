import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from '../logger';
import { pageApi } from './page-api';
import { pageState, type PageSession } from './page-session';

const WEB_FILES: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/block-kit.js': 'block-kit.js',
  '/style.css': 'style.css',
};
const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

export interface PageServerDeps {
  session: PageSession;
  /** Carried in the page and required on every API call: another web page in the same browser cannot read it. */
  pageToken: string;
  /** The bot's own HTTP endpoint: the operator endpoints are proxied there. */
  botUrl: string;
  webDir: string;
  logger: Logger;
}

export interface PageServer {
  web: Server;
  /** Keeps the page's event streams open through proxies. */
  heartbeat: NodeJS.Timeout;
}

/** The page's HTTP server (not yet listening) and the heartbeat of its event streams. */
export function createPageServer(deps: PageServerDeps): PageServer {
  const api = pageApi(deps.session);
  const web = createServer((req, res) => {
    routePage(deps, api, web, req, res).catch((err: Error) => {
      deps.logger.error({ err: { message: err.message, stack: err.stack } }, 'playground request failed');
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: err.message });
      else res.end();
    });
  });
  const heartbeat = setInterval(() => {
    for (const res of deps.session.sse) res.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();
  return { web, heartbeat };
}

/** Listens; resolves with the URL people open (localhost on a loopback interface, the name people type). */
export async function listenPage(web: Server, port: number, host: string | undefined): Promise<{ port: number; url: string }> {
  await new Promise<void>((resolve, reject) => {
    web.once('error', reject);
    web.listen(port, host ?? '127.0.0.1', () => resolve());
  });
  const bound = (web.address() as AddressInfo).port;
  const shownHost = host && host !== '0.0.0.0' && host !== '::' ? host : '127.0.0.1';
  const url = LOOPBACK_HOSTS.includes(shownHost)
    ? `http://localhost:${bound}/`
    : `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${bound}/`;
  return { port: bound, url };
}

async function routePage(
  deps: PageServerDeps,
  api: ReturnType<typeof pageApi>,
  web: Server,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { session } = deps;
  const url = new URL(req.url ?? '/', 'http://playground');
  // DNS rebinding and other web pages: only a loopback Host, only our own Origin.
  const refused = refuseForeign(req, (web.address() as AddressInfo).port);
  if (refused) return sendJson(res, 403, { ok: false, error: refused });
  const file = WEB_FILES[url.pathname];
  if (req.method === 'GET' && file) return sendWebFile(res, deps, file);
  if (
    (url.pathname.startsWith('/api/') || url.pathname === '/events') &&
    !tokenMatches(req.headers['x-playground-token'] ?? url.searchParams.get('token'), deps.pageToken)
  ) {
    return sendJson(res, 403, { ok: false, error: 'missing or wrong playground token: reload the page' });
  }
  // The operator endpoints are the bot's own, on the playground's port as they would be in production.
  if (url.pathname.startsWith('/health/') || url.pathname === '/metrics' || url.pathname === '/webhooks/alertmanager') {
    await proxyToBot(req, res, `${deps.botUrl}${url.pathname}${url.search}`);
    return;
  }
  if (req.method === 'GET' && url.pathname === '/events') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    session.sse.add(res);
    req.once('close', () => session.sse.delete(res));
    return;
  }
  if (req.method === 'GET' && url.pathname === '/api/state') {
    return sendJson(res, 200, pageState(session, url.searchParams.get('user') ?? '', url.searchParams.get('channel') ?? ''));
  }
  const fileId = /^\/api\/files\/(F[A-Z0-9]{1,40})$/.exec(url.pathname)?.[1];
  if (req.method === 'GET' && fileId) return sendSharedFile(session, res, fileId, url.searchParams.get('download') === '1');
  const call = /^\/api\/(compose|alert|action|submit|close)$/.exec(url.pathname);
  if (req.method === 'POST' && call) {
    if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
      return sendJson(res, 415, { ok: false, error: 'the playground API takes application/json only' });
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readText(req)) as Record<string, unknown>;
    } catch {
      return sendJson(res, 400, { ok: false, error: 'invalid_json' });
    }
    return sendJson(res, 200, await api[call[1]!]!(body));
  }
  sendJson(res, 404, { ok: false, error: 'not_found' });
}

/** The page's own files; index.html carries the page token. */
async function sendWebFile(res: ServerResponse, deps: PageServerDeps, file: string): Promise<void> {
  let body = await readFile(path.join(deps.webDir, file));
  if (file === 'index.html')
    body = Buffer.from(body.toString('utf8').replace('<head>', `<head>\n    <meta name="playground-token" content="${deps.pageToken}" />`));
  res.writeHead(200, { 'content-type': CONTENT_TYPES[file.split('.').pop()!]!, 'cache-control': 'no-store' });
  res.end(body);
}

/** A file shared in the channel, as its preview reads it or as a download (the bytes the bot uploaded). */
function sendSharedFile(session: PageSession, res: ServerResponse, id: string, download: boolean): void {
  const file = session.slack
    .uploadedFiles()
    .find((f) => f.id === id && f.uploaded && f.channels.some((c) => session.channels().some((shown) => shown.id === c)));
  if (!file) return sendJson(res, 404, { ok: false, error: 'file_not_found' });
  const markdown = file.filetype === 'markdown' || /\.md$/i.test(file.name);
  const name = file.name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120) || 'file';
  res.writeHead(200, {
    'content-type': markdown
      ? 'text/markdown; charset=utf-8'
      : file.mimetype.startsWith('text/')
        ? `${file.mimetype}; charset=utf-8`
        : 'application/octet-stream',
    'content-disposition': `${download ? 'attachment' : 'inline'}; filename="${name}"`,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  res.end(file.bytes);
}

/** Why a request is not from a page the playground served on this machine, or undefined. */
function refuseForeign(req: IncomingMessage, port: number): string | undefined {
  const allowed = LOOPBACK_HOSTS.map((h) => `${h}:${port}`);
  const host = (req.headers.host ?? '').toLowerCase();
  if (!allowed.includes(host))
    return `Host ${JSON.stringify(host.slice(0, 100))} is not this playground: open it at http://127.0.0.1:${port}/`;
  const origin = req.headers.origin;
  if (origin !== undefined && !allowed.some((h) => origin.toLowerCase() === `http://${h}`))
    return 'requests from other web pages are refused';
  return undefined;
}

function tokenMatches(given: string | string[] | null | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** src/playground/web next to this file (ts-node, jest) or, from dist/playground, the source tree's copy. */
export async function findWebDir(): Promise<string> {
  const candidates = [path.join(__dirname, 'web'), path.resolve(__dirname, '../../src/playground/web')];
  for (const dir of candidates) {
    try {
      await readFile(path.join(dir, 'index.html'));
      return dir;
    } catch {
      // next
    }
  }
  throw new Error(`playground web files not found (looked in ${candidates.join(', ')})`);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function readText(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1_000_000) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function proxyToBot(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
  const body = req.method === 'POST' ? await readText(req) : undefined;
  const answer = await fetch(target, {
    method: req.method,
    headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') },
    body,
  });
  res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
  res.end(Buffer.from(await answer.arrayBuffer()));
}
