import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { App, verifySlackRequest } from '@slack/bolt';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { sendEvent, sendInteraction, sendSlashCommand, sendUrlVerification, signRequest, slashCommandBody } from '../support/slack-signing';
import { silentSlackLogger } from '../support/silent-slack-logger';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const FIXTURES = join(__dirname, '..', 'fixtures', 'slack');

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

describe('signRequest', () => {
  it("matches Slack's documented example", () => {
    // The worked example from Slack's "Verifying requests from Slack" guide.
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signRequest(body, SECRET, 1531420618)).toEqual({
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      'x-slack-request-timestamp': '1531420618',
    });
  });

  it('is HMAC-SHA256 of v0:{timestamp}:{body}, computed independently', () => {
    const body = JSON.stringify({ type: 'event_callback', event_id: 'Ev1' });
    const expected = `v0=${createHmac('sha256', 'another-secret').update(`v0:1700000000:${body}`).digest('hex')}`;
    expect(signRequest(body, 'another-secret', 1700000000)['x-slack-signature']).toBe(expected);
    expect(signRequest(body, 'another-secret', 1700000001)['x-slack-signature']).not.toBe(expected);
  });

  it("is accepted by Bolt's verifySlackRequest, and a changed body is not", () => {
    const now = 1_700_000_000;
    const body = slashCommandBody({ text: 'diagnose StuckDetected agent=agent-7' });
    const headers = signRequest(body, SECRET, now);
    const verify = (b: string, secret = SECRET): void =>
      verifySlackRequest({
        signingSecret: secret,
        body: b,
        headers: { 'x-slack-signature': headers['x-slack-signature'], 'x-slack-request-timestamp': now },
        nowMilliseconds: now * 1000 + 10_000,
        logger: silentSlackLogger,
      });
    expect(() => verify(body)).not.toThrow();
    expect(() => verify(`${body}x`)).toThrow(/signature mismatch/);
    expect(() => verify(body, 'wrong-secret')).toThrow(/signature mismatch/);
  });

  it('sends slash commands with the fields Slack sends, in its order', () => {
    const fields = [...new URLSearchParams(slashCommandBody({ text: 'ack', channel_id: 'C9' })).keys()];
    expect(fields).toEqual([
      'token',
      'team_id',
      'team_domain',
      'channel_id',
      'channel_name',
      'user_id',
      'user_name',
      'command',
      'text',
      'api_app_id',
      'is_enterprise_install',
      'response_url',
      'trigger_id',
    ]);
    const recorded = readFileSync(join(FIXTURES, 'slash-command-diagnose.txt'), 'utf8');
    expect([...new URLSearchParams(recorded).keys()]).toEqual(fields);
  });
});

describe('signed requests against a real Bolt app on the emulator', () => {
  let emulator: SlackEmulator;
  let app: App;
  let endpoint: string;
  const seen: { commands: string[]; events: Array<Record<string, unknown>>; actions: string[]; views: unknown[] } = {
    commands: [],
    events: [],
    actions: [],
    views: [],
  };

  beforeAll(async () => {
    emulator = await startSlackEmulator();
    app = new App({
      token: 'xoxb-test-token',
      signingSecret: SECRET,
      logger: silentSlackLogger,
      clientOptions: { slackApiUrl: emulator.url, retryConfig: { retries: 0 } },
    });
    app.command('/incident', async ({ ack, command, respond }) => {
      await ack();
      seen.commands.push(command.text);
      await respond({ text: `Running diagnostics for ${command.text}`, response_type: 'in_channel' });
    });
    app.event('message', async ({ event }) => {
      seen.events.push(event as unknown as Record<string, unknown>);
    });
    app.action('remediation_approve', async ({ ack, action, respond }) => {
      await ack();
      seen.actions.push('value' in action ? String(action.value) : '');
      await respond({ replace_original: true, text: 'Approved by <@U0ONCALL01>' });
    });
    app.view('incident_open', async ({ ack, view }) => {
      seen.views.push(view.state.values);
      await ack();
    });
    const server = await app.start(0);
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });

  afterAll(async () => {
    await app.stop();
    await emulator.close();
  });

  it('acks a slash command; its response lands in the channel through response_url', async () => {
    const responseUrl = emulator.responseUrl({ channel: 'C0INCIDENTS', userId: 'U0ONCALL01' });
    const res = await sendSlashCommand(endpoint, { signingSecret: SECRET }, { text: 'diagnose StuckDetected', response_url: responseUrl });
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(3000);
    expect(seen.commands).toContain('diagnose StuckDetected');
    const call = await emulator.waitForCall('response_url');
    expect(call.args).toMatchObject({ text: 'Running diagnostics for diagnose StuckDetected', response_type: 'in_channel' });
    expect(emulator.messages('C0INCIDENTS').map((m) => m.text)).toContain('Running diagnostics for diagnose StuckDetected');
    expect(emulator.unknownMethods).toEqual([]);
  });

  it('is refused by Bolt with a bad signature or a stale timestamp', async () => {
    const bad = await sendSlashCommand(endpoint, { signingSecret: SECRET, signatureOverride: 'v0=deadbeef' }, { text: 'help' });
    expect(bad.status).toBe(401);
    const wrongSecret = await sendSlashCommand(endpoint, { signingSecret: 'not-the-secret' }, { text: 'help' });
    expect(wrongSecret.status).toBe(401);
    const stale = await sendSlashCommand(
      endpoint,
      { signingSecret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 6 * 60 },
      { text: 'help' },
    );
    expect(stale.status).toBe(401);
    expect(seen.commands).not.toContain('help');
  });

  it('delivers the Alertmanager bot_message event fixture, also as a retry', async () => {
    const envelope = fixture('event-alertmanager-bot-message.json');
    const event = envelope.event as Record<string, unknown>;
    const first = await sendEvent(endpoint, { signingSecret: SECRET }, { event_id: String(envelope.event_id), event });
    expect(first.status).toBe(200);
    const retry = await sendEvent(
      endpoint,
      { signingSecret: SECRET },
      { event_id: String(envelope.event_id), event },
      { num: 1, reason: 'http_timeout' },
    );
    expect(retry.status).toBe(200);
    expect(seen.events).toHaveLength(2);
    expect(seen.events[0]).toMatchObject({
      subtype: 'bot_message',
      text: '',
      attachments: [{ title: '[FIRING:1] StuckDetected (prod worker-7 critical)' }],
    });
  });

  it('delivers the block_actions fixture; respond() replaces the original message', async () => {
    const payload = fixture('block-actions.json');
    const container = payload.container as { channel_id: string; message_ts: string; thread_ts: string };
    emulator.seedThread(container.channel_id, [
      { ts: container.thread_ts, text: 'StuckDetected firing', user: 'U0ALERTS' },
      { ts: container.message_ts, text: 'Remediation requested', user: 'U0INCIDENTBOT', bot_id: 'B0INCIDENTBOT' },
    ]);
    payload.response_url = emulator.responseUrl({ channel: container.channel_id, messageTs: container.message_ts });
    const res = await sendInteraction(endpoint, { signingSecret: SECRET }, payload);
    expect(res.status).toBe(200);
    expect(seen.actions).toEqual(['rem_01HF8Z3K9Q2W']);
    await emulator.waitForCall('response_url', (c) => c.args.replace_original === true);
    expect(emulator.thread(container.channel_id, container.thread_ts)[1]?.text).toBe('Approved by <@U0ONCALL01>');
  });

  it('delivers the view_submission fixture with its state values', async () => {
    const res = await sendInteraction(endpoint, { signingSecret: SECRET }, fixture('view-submission.json'));
    expect(res.status).toBe(200);
    expect(seen.views[0]).toMatchObject({
      title: { value: { value: 'Checkout latency above 2s' } },
      severity: { value: { selected_option: { value: 'P1' } } },
    });
  });

  it('answers url_verification with the challenge', async () => {
    const res = await sendUrlVerification(endpoint, { signingSecret: SECRET }, 'challenge-123');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ challenge: 'challenge-123' });
  });
});
