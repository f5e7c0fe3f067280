import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogLevel, WebClient } from '@slack/web-api';
import pino from 'pino';
import { startSlackEmulator, type EmulatedMessage, type RecordedCall, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { createSlackThreadReader } from '../../src/slack/slack-thread-reader';

const silent = pino({ level: 'silent' });
const page = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'slack', 'conversations-replies-incident-thread.json'), 'utf8')) as {
  messages: Partial<EmulatedMessage>[];
};

let slack: SlackEmulator;
beforeAll(async () => {
  slack = await startSlackEmulator();
  slack.addUser({ id: 'U0ALICE', name: 'alice', real_name: 'Alice Liddell' });
  slack.addUser({ id: 'U0BOB', name: 'bob', real_name: 'Bob Marley' });
  slack.addUser({ id: 'U0CAROL', name: 'carol', real_name: 'Carol King' });
});
afterAll(async () => slack.close());
beforeEach(() => slack.resetCalls());
afterEach(() => expect(slack.unknownMethods).toEqual([]));

/** A client as the bot makes it: retries with Retry-After honoured (fast backoff for the test). */
const retryingClient = () =>
  new WebClient('xoxb-test-token', {
    slackApiUrl: slack.url,
    logLevel: LogLevel.ERROR,
    retryConfig: { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 20 },
  });

/** The fixture thread plus `extra` chatter replies, in its own channel. */
function seed(channel: string, extra: number): string {
  const base = Number(page.messages[page.messages.length - 1]!.ts!.split('.')[0]);
  const filler = Array.from({ length: extra }, (_, i) => ({
    type: 'message' as const,
    user: ['U0ALICE', 'U0BOB', 'U0CAROL'][i % 3]!,
    text: `chatter ${i + 1}`,
    ts: `${base + 1 + Math.floor(i / 1000)}.${String((i % 1000) * 100 + 1).padStart(6, '0')}`,
  }));
  return slack.seedThread(channel, [...page.messages, ...filler]);
}

describe('createSlackThreadReader', () => {
  it('reads a real-shaped thread: bot messages, edits, files, mentions; names once per user', async () => {
    const parent = seed('C0SHAPE', 0);
    const reader = createSlackThreadReader({ client: retryingClient(), logger: silent });
    const thread = await reader.read('C0SHAPE', parent);

    expect(thread.messages).toHaveLength(page.messages.length);
    expect(thread.pages).toBe(1);
    expect(thread.workspaceUrl).toBe('https://emulated-t0emulated.slack.com');
    const [alert, opened, ack] = thread.messages;
    expect(alert).toMatchObject({ author: 'Alertmanager', isBot: true, fromThisBot: false, subtype: 'bot_message' });
    // The alert arrives as an attachment: its title (linked) and text become part of the message text.
    expect(alert!.text).toContain(
      '<http://alertmanager.internal:9093/#/alerts?receiver=slack-incidents|[FIRING:1] StuckDetected (prod worker-7 critical)>',
    );
    expect(alert!.text).toContain('Agent worker-7 has made no progress for 15 minutes');
    expect(opened).toMatchObject({ author: 'incident-bot', isBot: true, fromThisBot: true, userId: 'U0INCIDENTBOT' });
    expect(ack).toMatchObject({ author: 'alice', userId: 'U0ALICE', isBot: false, edited: false });
    expect(thread.messages.find((m) => m.text.startsWith('<!here>'))?.edited).toBe(true);
    expect(thread.messages.find((m) => m.files.length)?.files).toEqual([
      { name: 'backlog.png', title: 'Backlog during the incident', url: 'https://emulated.slack.com/files/U0BOB/F0BACKLOG01/backlog.png' },
    ]);
    expect(Object.fromEntries(thread.names)).toEqual({ U0ALICE: 'alice', U0BOB: 'bob', U0CAROL: 'carol' });
    expect(
      slack
        .callsTo('users.info')
        .map((c) => c.args.user)
        .sort(),
    ).toEqual(['U0ALICE', 'U0BOB', 'U0CAROL']);

    // Read again, and ask for a timeline actor: no new users.info for people already known.
    await reader.read('C0SHAPE', parent);
    expect(Object.fromEntries(await reader.userNames(['U0BOB', 'U0NOBODY']))).toEqual({ U0BOB: 'bob', U0NOBODY: 'U0NOBODY' });
    expect(
      slack
        .callsTo('users.info')
        .map((c) => c.args.user)
        .sort(),
    ).toEqual(['U0ALICE', 'U0BOB', 'U0CAROL', 'U0NOBODY']);
    expect(slack.callsTo('auth.test')).toHaveLength(1);
  });

  it('follows cursors with limit 200 and waits out a 429 in the middle (the client honours Retry-After)', async () => {
    const parent = seed('C0PAGES', 450); // 16 + 450 = 466 messages: 3 pages
    const reader = createSlackThreadReader({ client: retryingClient(), logger: silent });
    let armed = false;
    const arm = (c: RecordedCall): void => {
      if (c.method === 'conversations.replies' && !armed) {
        armed = true;
        slack.failNext('conversations.replies', { status: 429, retryAfterSeconds: 1 });
      }
    };
    slack.on('call', arm);
    const started = Date.now();
    const thread = await reader.read('C0PAGES', parent).finally(() => slack.off('call', arm));
    const elapsed = Date.now() - started;

    const calls = slack.callsTo('conversations.replies');
    expect(calls.map((c) => c.status)).toEqual([200, 429, 200, 200]);
    expect(calls.every((c) => c.args.limit === '200' && c.args.channel === 'C0PAGES' && c.args.ts === parent)).toBe(true);
    expect(calls[0]!.args.cursor).toBeUndefined();
    // The page that was refused is asked for again with the same cursor.
    expect(calls[2]!.args.cursor).toBe(calls[1]!.args.cursor);
    expect(calls[3]!.args.cursor).not.toBe(calls[2]!.args.cursor);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(thread.pages).toBe(3);
    expect(thread.messages).toHaveLength(466);
    expect(new Set(thread.messages.map((m) => m.ts)).size).toBe(466);
    expect(thread.messages.at(-1)!.text).toBe('chatter 450');
  });

  it('waits Retry-After itself when the client rejects rate-limited calls', async () => {
    const parent = seed('C0REJECT', 250);
    const waits: number[] = [];
    const client = new WebClient('xoxb-test-token', {
      slackApiUrl: slack.url,
      logLevel: LogLevel.ERROR,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
    });
    const reader = createSlackThreadReader({ client, logger: silent, sleep: async (ms) => void waits.push(ms) });
    const arm = (c: RecordedCall): void => {
      if (c.method === 'conversations.replies' && c.status === 200 && slack.callsTo('conversations.replies').length === 1) {
        slack.failNext('conversations.replies', { status: 429, retryAfterSeconds: 7 });
      }
    };
    slack.on('call', arm);
    const thread = await reader.read('C0REJECT', parent).finally(() => slack.off('call', arm));
    expect(waits).toEqual([7000]);
    expect(slack.callsTo('conversations.replies').map((c) => c.status)).toEqual([200, 429, 200]);
    expect(thread.messages).toHaveLength(266);
  });

  it('gives up after its retries and reports the rate limit', async () => {
    const parent = seed('C0GIVEUP', 0);
    const client = new WebClient('xoxb-test-token', {
      slackApiUrl: slack.url,
      logLevel: LogLevel.ERROR,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
    });
    const reader = createSlackThreadReader({ client, logger: silent, rateLimitRetries: 2, sleep: async () => undefined });
    slack.failNext('conversations.replies', { status: 429, retryAfterSeconds: 1 }, 3);
    await expect(reader.read('C0GIVEUP', parent)).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error' });
    expect(slack.callsTo('conversations.replies')).toHaveLength(3);
  });

  it('stays within the rate tier: the call over the per-minute budget waits for the minute to pass', async () => {
    const parent = seed('C0PACE', 450);
    let t = 1_000_000;
    const waits: number[] = [];
    const reader = createSlackThreadReader({
      client: retryingClient(),
      logger: silent,
      callsPerMinute: 2,
      now: () => t,
      sleep: async (ms) => {
        waits.push(ms);
        t += ms;
      },
    });
    await reader.read('C0PACE', parent);
    expect(slack.callsTo('conversations.replies')).toHaveLength(3);
    expect(waits).toEqual([60_000]);
  });

  it('reads a 5,000-message thread completely', async () => {
    const parent = seed('C0BIG', 5_000 - page.messages.length + 1); // the parent and 5,000 replies
    const reader = createSlackThreadReader({ client: retryingClient(), logger: silent });
    const started = performance.now();
    const thread = await reader.read('C0BIG', parent);
    const ms = performance.now() - started;
    console.log(`5,000-message thread: ${thread.messages.length} messages, ${thread.pages} pages, read in ${Math.round(ms)} ms`);
    expect(thread.messages).toHaveLength(5_001);
    expect(new Set(thread.messages.map((m) => m.ts)).size).toBe(5_001);
    expect(thread.pages).toBe(Math.ceil(5_001 / 200));
    expect(slack.callsTo('conversations.replies')).toHaveLength(26);
    expect(slack.callsTo('users.info')).toHaveLength(3);
  });
});
