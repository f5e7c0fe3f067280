import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/logger';
import { startPlayground, type Playground } from '../../src/playground';
import { startBot } from '../support/bot-process';
import { DOCKER_SOCKET } from '../support/services';

const ROOT = path.join(__dirname, '..', '..');

/** Raw HTTP, so the Host and Origin headers are exactly what a rebinding DNS name or another web page would send. */
function send(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const tokenIn = (html: string) => /<meta name="playground-token" content="([0-9a-f]+)"/.exec(html)?.[1];

/** The playground is a local demo: it must not be drivable by another web page, a rebinding DNS name, or in production. */
describe('the playground cannot reach production', () => {
  let playground: Playground;
  let dataDir: string;
  let token: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'ib-security-playground-'));
    playground = await startPlayground({
      port: 0,
      dataDir,
      logger: createLogger({ level: 'warn' }),
      commandsDir: path.join(ROOT, 'commands'),
      templatesDir: path.join(ROOT, 'templates'),
    });
    const page = await send(playground.url, {});
    token = tokenIn(page.body)!;
    expect(token).toMatch(/^[0-9a-f]{48}$/);
  }, 90_000);

  afterAll(async () => {
    await playground?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const host = () => `127.0.0.1:${playground.port}`;
  const compose = (headers: Record<string, string>, body = JSON.stringify({ user: 'U0ONCALL01', text: '/incident help' })) =>
    send(`http://127.0.0.1:${playground.port}/api/compose`, {
      method: 'POST',
      headers: { host: host(), 'content-type': 'application/json', 'x-playground-token': token, ...headers },
      body,
    });

  it("accepts its own page's JSON call with the token (the control)", async () => {
    const res = await compose({ origin: `http://${host()}` });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ ok: true });
  });

  it('refuses a foreign Origin and a foreign Host (DNS rebinding)', async () => {
    const foreignOrigin = await compose({ origin: 'http://attacker.test' });
    expect(foreignOrigin.status).toBe(403);
    expect(foreignOrigin.body).toContain('requests from other web pages are refused');
    const rebound = await compose({ host: `attacker.test:${playground.port}` });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('is not this playground');
    // Even the page itself is not served under a foreign name (its token would leak to that origin).
    const page = await send(playground.url, { headers: { host: `attacker.test:${playground.port}` } });
    expect(page.status).toBe(403);
    expect(tokenIn(page.body)).toBeUndefined();
  });

  it('refuses text/plain (a cross-site form or beacon) with 415', async () => {
    const res = await compose({ 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.body).toContain('application/json');
  });

  it('refuses API calls and the event stream without the per-start token', async () => {
    const without = await send(`http://127.0.0.1:${playground.port}/api/compose`, {
      method: 'POST',
      headers: { host: host(), 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'U0ONCALL01', text: '/incident help' }),
    });
    expect(without.status).toBe(403);
    expect(without.body).toContain('playground token');
    expect((await compose({ 'x-playground-token': 'f'.repeat(48) })).status).toBe(403);
    expect((await send(`http://127.0.0.1:${playground.port}/api/state?user=U0ONCALL01`, { headers: { host: host() } })).status).toBe(403);
    expect((await send(`http://127.0.0.1:${playground.port}/events`, { headers: { host: host() } })).status).toBe(403);
  });

  it('refuses to start with NODE_ENV=production, from the API and from `npm start`', async () => {
    await expect(startPlayground({ port: 0, dataDir, logger: createLogger({ level: 'silent' }), nodeEnv: 'production' })).rejects.toThrow(
      /NODE_ENV=production/,
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'ib-security-prod-'));
    const bot = await startBot({ NODE_ENV: 'production', DATA_DIR: dir });
    try {
      const code = await new Promise<number | null>((resolve) =>
        bot.child.exitCode !== null ? resolve(bot.child.exitCode) : bot.child.once('exit', resolve),
      );
      expect(code).toBe(1);
      expect(bot.output()).toContain('the playground does not start with NODE_ENV=production');
      expect(bot.output()).not.toContain('Playground ready');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('does not take the target variables of the shell it was started from unless PLAYGROUND_USE_SHELL_ENV=1', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ib-security-shellenv-'));
    // A shell pointed at a real Docker engine, as an SRE's often is.
    const bot = await startBot({ DATA_DIR: dir, DOCKER_HOST: `unix://${DOCKER_SOCKET}` });
    try {
      await bot.waitForReady(90_000);
      const base = bot.url;
      const page = await send(`${base}/`, {});
      const pageToken = tokenIn(page.body)!;
      const api = (p: string, body?: unknown) =>
        send(`${base}${p}`, {
          method: body ? 'POST' : 'GET',
          headers: { 'content-type': 'application/json', 'x-playground-token': pageToken },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
      expect((await api('/api/compose', { user: 'U0ONCALL01', text: '/incident diagnose WorkerDown worker=marie' })).status).toBe(200);
      const deadline = Date.now() + 30_000;
      let shown = '';
      while (Date.now() < deadline && !shown.includes('not configured: set DOCKER_HOST')) {
        shown = (await api('/api/state?user=U0ONCALL01')).body;
        if (!shown.includes('not configured: set DOCKER_HOST')) await new Promise((r) => setTimeout(r, 200));
      }
      expect(shown).toContain('not configured: set DOCKER_HOST');
    } finally {
      await bot.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
