import http from 'node:http';
import { sendJson } from './server';

/**
 * Listens on the bot's port before the bot is loaded, so the port answers within moments of `npm start` or a container
 * start: `/health/live` is 200 (the process runs), `/health/startup` and `/health/ready` are 503 with the reason, and
 * every other request is a 503 with Retry-After (Slack retries a delivery that gets one). `createApp` takes the server
 * over (`CreateAppOptions.server`) and then answers everything itself. Without `host` it listens where the bot's own
 * server would (Node's default: every address, IPv6 included), since the bot keeps this socket.
 */
export async function listenWhileStarting(port: number, host?: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health/live') sendJson(res, 200, { status: 'ok' });
    else if (path === '/health/startup') sendJson(res, 503, { started: false });
    else if (path === '/health/ready') sendJson(res, 503, { ready: false, checks: { startup: { ok: false, reason: 'still starting' } } });
    else sendJson(res, 503, { error: 'incident-bot is still starting' }, { 'retry-after': '1' });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
