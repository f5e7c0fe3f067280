import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../src/logger';
import { listenWhileStarting } from '../../src/http/early-listener';
import { createHttpServer, sendJson } from '../../src/http/server';

/** The port answers before the bot has loaded, and the bot's own routes take the same server over. */
describe('listenWhileStarting', () => {
  let server: Server;
  let url: string;
  beforeEach(async () => {
    server = await listenWhileStarting(0, '127.0.0.1');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    if (server.listening) await new Promise((r) => server.close(r));
  });

  it('answers live, not started, not ready, and asks Slack to retry anything else', async () => {
    const live = await fetch(`${url}/health/live`);
    expect([live.status, await live.json()]).toEqual([200, { status: 'ok' }]);
    const startup = await fetch(`${url}/health/startup`);
    expect([startup.status, await startup.json()]).toEqual([503, { started: false }]);
    const ready = await fetch(`${url}/health/ready`);
    expect([ready.status, await ready.json()]).toEqual([
      503,
      { ready: false, checks: { startup: { ok: false, reason: 'still starting' } } },
    ]);
    const events = await fetch(`${url}/slack/events`, { method: 'POST', body: '{}' });
    expect(events.status).toBe(503);
    expect(events.headers.get('retry-after')).toBe('1');
  });

  it('is taken over by the bot’s HTTP server on the same port', async () => {
    const port = (server.address() as AddressInfo).port;
    const http = createHttpServer(
      [{ method: 'GET', path: '/health/ready', handler: (_req, res) => sendJson(res, 200, { ready: true }) }],
      createLogger({ level: 'silent' }),
      undefined,
      server,
    );
    expect(await http.listen(0, '127.0.0.1')).toBe(port);
    const ready = await fetch(`${url}/health/ready`);
    expect([ready.status, await ready.json()]).toEqual([200, { ready: true }]);
    // Only the bot's routes now: the early answers are gone.
    expect((await fetch(`${url}/health/live`)).status).toBe(404);
    await http.close(1_000);
    expect(server.listening).toBe(false);
  });

  it('without a host listens where a plain Node server does (IPv6 too), since the bot keeps this socket', async () => {
    const plain = createServer();
    await new Promise<void>((r) => plain.listen(0, r));
    const early = await listenWhileStarting(0);
    try {
      expect((early.address() as AddressInfo).address).toBe((plain.address() as AddressInfo).address);
    } finally {
      await new Promise((r) => early.close(r));
      await new Promise((r) => plain.close(r));
    }
  });
});
