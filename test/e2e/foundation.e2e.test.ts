import type { SlackEmulator } from '../../src/emulator/slack-emulator';
import { HARNESS_BOT_TOKEN, startBotHarness, type BotHarness } from '../support/bot-harness';
import { startBot, type BotProcess } from '../support/bot-process';
import { sendEvent, sendSlashCommand } from '../support/slack-signing';
import { waitFor } from '../support/wait-for';

const SIGNING_SECRET = 'e2e-signing-secret-5f2c';

describe('the built bot against the Slack emulator (HTTP mode, real PostgreSQL and Redis)', () => {
  let h: BotHarness;
  let slack: SlackEmulator;
  let bot: BotProcess;

  beforeAll(async () => {
    h = await startBotHarness({ name: 'e2e_foundation', signingSecret: SIGNING_SECRET });
    ({ slack, bot } = h);
  }, 60_000);

  afterAll(async () => {
    const code = await h?.stop();
    expect(code).toBe(0);
  });

  const events = () => `${bot.url}/slack/events`;

  it('reports ready only after auth.test succeeded against the configured API URL', async () => {
    expect(slack.callsTo('auth.test').length).toBeGreaterThanOrEqual(1);
    const ready = await (await fetch(`${bot.url}/health/ready`)).json();
    expect(ready).toEqual({ ready: true, checks: { database: { ok: true }, slack: { ok: true } } });
  });

  it('answers /incident help ephemerally with the grammar, well within 3 s', async () => {
    const res = await sendSlashCommand(events(), { signingSecret: SIGNING_SECRET }, { text: 'help', response_url: slack.responseUrl() });
    expect(res.status).toBe(200);
    expect(res.json.response_type).toBe('ephemeral');
    expect(res.json.text).toContain('/incident diagnose <AlertName> [label=value ...]');
    expect(res.json.text).toContain('/incident remediate <action> [INC-ID] [label=value ...]');
    expect(res.ms).toBeLessThan(3000);
  });

  it('answers an unknown subcommand with usage and the closest subcommand', async () => {
    const res = await sendSlashCommand(events(), { signingSecret: SIGNING_SECRET }, { text: 'resolv', response_url: slack.responseUrl() });
    expect(res.status).toBe(200);
    expect(res.json.response_type).toBe('ephemeral');
    expect(res.json.text).toContain('`resolv` is not an /incident subcommand');
    expect(res.json.text).toContain('Did you mean `/incident resolve [INC-ID] [root_cause="…"] [resolution="…"] [summary]`?');
  });

  it('refuses a forged signature with 401', async () => {
    const res = await sendSlashCommand(events(), { signingSecret: 'not-the-secret' }, { text: 'help' });
    expect(res.status).toBe(401);
    expect(res.body).not.toContain('/incident diagnose');
  });

  it('refuses a correctly signed request older than 5 minutes with 401 (replay)', async () => {
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 6 * 60;
    const res = await sendSlashCommand(events(), { signingSecret: SIGNING_SECRET, timestamp: sixMinutesAgo }, { text: 'help' });
    expect(res.status).toBe(401);
  });

  it('processes a Slack retry of the same event once', async () => {
    const envelope = {
      event_id: `Ev${Date.now()}RETRY`,
      event: { type: 'app_mention', user: 'U0ONCALL01', text: '<@U0INCIDENTBOT> hi', channel: 'C0INCIDENTS', ts: '1700000000.000100' },
    };
    const first = await sendEvent(events(), { signingSecret: SIGNING_SECRET }, envelope);
    const retry = await sendEvent(events(), { signingSecret: SIGNING_SECRET }, envelope, { num: 1, reason: 'http_timeout' });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    // The duplicate is counted on arrival; the first delivery is counted once the inbox has run it.
    await waitFor(
      'the retry to be counted as a duplicate',
      async () => (await metric('incident_bot_duplicate_events_total{source="slack-event"}')) === 1,
    );
    await waitFor(
      'the first delivery to be processed',
      async () => (await metric('incident_bot_slack_requests_total{kind="event",outcome="ok"}')) !== undefined,
    );
    expect(await metric('incident_bot_slack_requests_total{kind="event",outcome="ok"}')).toBe(1);
    expect(await metric('incident_bot_slack_requests_total{kind="event",outcome="duplicate"}')).toBe(1);
  });

  it('exposes its own metrics and the process metrics on /metrics', async () => {
    const text = await (await fetch(`${bot.url}/metrics`)).text();
    expect(text).toMatch(/incident_bot_process_resident_memory_bytes \d+/);
    expect(text).toMatch(/incident_bot_slack_ack_seconds_count\{kind="command"\} [1-9]/);
    expect(text).toMatch(/incident_bot_slack_web_api_calls_total\{method="auth.test",outcome="ok"\} [1-9]/);
  });

  it('logs JSON with a request id on request lines and never the secrets', async () => {
    const lines = bot.logs();
    expect(lines.some((l) => typeof l.reqId === 'string' && l.kind === 'event')).toBe(true);
    expect(bot.output()).not.toContain(SIGNING_SECRET);
    expect(bot.output()).not.toContain(HARNESS_BOT_TOKEN);
  });

  it('called no Slack method the emulator does not know, and auth.test only at start (not per request)', () => {
    expect(slack.unknownMethods).toEqual([]);
    // One from the readiness monitor, one for Bolt's authorization cache; the requests above added none.
    expect(slack.callsTo('auth.test').length).toBeLessThanOrEqual(2);
  });

  async function metric(series: string): Promise<number | undefined> {
    const text = await (await fetch(`${bot.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(series + ' '));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  }
});

describe('the built bot in Socket Mode', () => {
  it('asks the API at SLACK_API_URL for a Socket Mode connection with the app token', async () => {
    const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/ib-e2e-socket-'));
    // On PostgreSQL: this is about the Slack connection, and a fresh embedded database takes long to create on a busy machine.
    const h = await startBotHarness({
      name: 'e2e_socket_mode',
      redis: false,
      slack: { appToken: 'xapp-test-token' },
      env: { SLACK_SIGNING_SECRET: undefined, SLACK_APP_TOKEN: 'xapp-test-token', DATA_DIR: dir },
    });
    try {
      const call = await h.slack.waitForCall('apps.connections.open', undefined, 20_000);
      expect(call.token).toBe('xapp-test-token');
      // In Socket Mode Slack never posts to us: the endpoint says so instead of pretending.
      const res = await fetch(`${h.bot.url}/slack/events`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: 'this bot runs in Socket Mode; Slack does not post here' });
    } finally {
      await h.stop();
      await import('node:fs/promises').then((fs) => fs.rm(dir, { recursive: true, force: true }));
    }
  }, 60_000);
});

describe('the built bot with no Slack configured and no DATABASE_URL (npm start on a laptop)', () => {
  it('starts the playground on the embedded database, says how to connect Slack, and stops cleanly on SIGTERM', async () => {
    const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/ib-e2e-embedded-'));
    const bot = await startBot({ DATA_DIR: dir });
    try {
      // The operator endpoints are the bot's, on the same port as the page.
      // Creating a fresh embedded database (PGlite's initdb) takes 1–2 s on a quiet machine and tens of seconds on a busy one.
      await bot.waitForReady(100_000);
      const ready = (await (await fetch(`${bot.url}/health/ready`)).json()) as { checks: Record<string, { ok: boolean }> };
      expect(ready.checks).toEqual({ database: { ok: true }, slack: { ok: true } });
      const page = await fetch(`${bot.url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<html/i);
      expect(bot.output()).toContain('Create New App → From a manifest');
      expect(bot.output()).toContain('embedded PostgreSQL');
      // One plain banner with the port the page is really on (PORT), after progress lines.
      expect(bot.output()).toContain(`Playground ready → http://localhost:${bot.port}/ (Ctrl-C to stop)`);
      expect(bot.output()).toContain('incident-bot: starting the bot on its embedded database…');
    } finally {
      expect(await bot.stop()).toBe(0);
      await import('node:fs/promises').then((fs) => fs.rm(dir, { recursive: true, force: true }));
    }
  }, 120_000);

  it('refuses to start on an invalid variable, naming it', async () => {
    const bot = await startBot({ SLACK_BOT_TOKEN: 'not-a-token', DATA_DIR: '/tmp/ib-never' });
    const code = await new Promise<number | null>((resolve) => bot.child.once('exit', resolve));
    expect(code).toBe(78);
    expect(bot.output()).toMatch(/SLACK_BOT_TOKEN must be a bot token starting with xoxb-/);
    expect(bot.output()).not.toContain('not-a-token');
  });
});
