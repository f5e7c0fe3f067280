import { readFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'node:http';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager';
import { freePort } from '../support/services';
import { startSecuredBot, type SecuredBot } from './harness';

const TOKEN = 'security-webhook-token-0123456789abcdef';
const CHANNEL = 'C0SECWEBHOOK';
const FIRING = readFileSync(path.join(__dirname, '..', 'fixtures', 'alertmanager', 'webhook-firing.json'), 'utf8');

/** POST /webhooks/alertmanager takes only requests bearing ALERTMANAGER_WEBHOOK_TOKEN; without one configured it is off. */
describe('the Alertmanager webhook is authenticated', () => {
  let s: SecuredBot;
  let alertmanager: RunningAlertmanager;

  beforeAll(async () => {
    const port = await freePort();
    alertmanager = await startAlertmanager({
      webhookUrl: `http://127.0.0.1:${port}/webhooks/alertmanager`,
      groupWaitSeconds: 1,
      webhookBearerToken: TOKEN,
    });
    s = await startSecuredBot('webhook_auth', {
      PORT: String(port),
      ALERTMANAGER_WEBHOOK_TOKEN: TOKEN,
      ALERTMANAGER_ROUTES: JSON.stringify([{ channel: CHANNEL }]),
    });
  }, 90_000);

  afterAll(async () => {
    await s?.stop();
    await alertmanager?.stop();
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${s.bot.url}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('refuses a request without a token and one with a wrong token: 401, nothing recorded or posted', async () => {
    const none = await post(FIRING);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await none.json()) as { error: string }).error).toMatch(/bearer token/);
    for (const wrong of [
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`,
      TOKEN,
    ]) {
      expect((await post(FIRING, { authorization: wrong })).status).toBe(401);
    }
    expect(await s.count('SELECT count(*) AS n FROM alerts')).toBe(0);
    expect(s.slack.callsTo('chat.postMessage')).toEqual([]);
  });

  it('answers a body over the limit with a real 413, not a reset connection', async () => {
    const huge = JSON.stringify({ version: '4', padding: 'x'.repeat(2 * 1024 * 1024) });
    const res = await post(huge, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/body larger than 1048576 bytes/);
    // Sent without Content-Length (chunked): the limit is found while reading, and the answer is still a 413.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${s.bot.url}/webhooks/alertmanager`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 40; i++) req.write('x'.repeat(64 * 1024));
      req.end();
    });
    expect(chunked.status).toBe(413);
    expect(chunked.body).toMatch(/body larger than/);
  });

  it('accepts the right token, and real Alertmanager configured with http_config.authorization delivers', async () => {
    const res = await post(FIRING, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 1 });
    await s.slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CHANNEL && JSON.stringify(c.args.blocks).includes('StuckDetected'),
      10_000,
    );

    await alertmanager.postAlerts([
      {
        labels: { alertname: 'SecurityWebhookCheck', severity: 'warning', job: 'security' },
        annotations: { summary: 'sent by a real Alertmanager' },
      },
    ]);
    const delivered = await s.slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CHANNEL && JSON.stringify(c.args.blocks).includes('SecurityWebhookCheck'),
      30_000,
    );
    expect(JSON.stringify(delivered.args.blocks)).toContain('sent by a real Alertmanager');
  }, 45_000);

  it('is off (404 with the reason) when ALERTMANAGER_WEBHOOK_TOKEN is not set', async () => {
    const off = await startSecuredBot('webhook_off', { ALERTMANAGER_ROUTES: JSON.stringify([{ channel: CHANNEL }]) });
    try {
      const res = await fetch(`${off.bot.url}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: FIRING,
      });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: string }).error).toBe(
        'the Alertmanager webhook is off: set ALERTMANAGER_WEBHOOK_TOKEN and send it as a bearer token (http_config.authorization)',
      );
      expect(await off.count('SELECT count(*) AS n FROM alerts')).toBe(0);
    } finally {
      await off.stop();
    }
  }, 90_000);
});
