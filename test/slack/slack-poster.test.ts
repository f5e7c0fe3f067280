import { WebClient } from '@slack/web-api';
import pino from 'pino';
import { createMemoryCoordination } from '../../src/coordination/memory-coordination';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { createSlackPoster, RATE_LIMIT_NOTICE } from '../../src/slack/slack-poster';

describe('SlackPoster', () => {
  let slack: SlackEmulator;
  beforeAll(async () => {
    slack = await startSlackEmulator();
  });
  afterAll(async () => slack.close());

  it('keeps one channel to one post per second, in order, without holding other channels back', async () => {
    let now = 1_000_000;
    const slept: number[] = [];
    const coordination = createMemoryCoordination(() => now);
    const poster = createSlackPoster({
      client: new WebClient('xoxb-test-token', { slackApiUrl: slack.url }),
      coordination,
      logger: pino({ level: 'silent' }),
      // A clock that moves only when the poster waits: the test never sleeps.
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    const posts = [];
    for (let i = 0; i < 4; i++) {
      posts.push(poster.post({ channel: 'C1', text: `c1 message ${i}` }));
    }
    posts.push(poster.post({ channel: 'C2', text: 'c2 message' }));
    await Promise.all(posts);

    expect(slack.messages('C1').map((m) => m.text)).toEqual(['c1 message 0', 'c1 message 1', 'c1 message 2', 'c1 message 3']);
    expect(slack.messages('C2').map((m) => m.text)).toEqual(['c2 message']);
    // C1's first post and C2's go at once; C1's next three each wait their 1 s slot.
    expect(slept.filter((ms) => ms > 0)).toEqual([1000, 1000, 1000]);
  });

  it('reports a failed post to the caller, logs where it was lost, and keeps posting the next ones', async () => {
    const lines: Record<string, unknown>[] = [];
    const poster = createSlackPoster({
      client: new WebClient('xoxb-test-token', { slackApiUrl: slack.url, retryConfig: { retries: 0 } }),
      coordination: createMemoryCoordination(),
      logger: pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) }),
      sleep: async () => undefined,
    });
    slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    await expect(poster.post({ channel: 'C3', text: 'lost' })).rejects.toThrow(/channel_not_found/);
    await expect(poster.post({ channel: 'C3', text: 'kept' })).resolves.toMatchObject({ channel: 'C3' });
    expect(slack.messages('C3').map((m) => m.text)).toEqual(['kept']);
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'Slack message not posted after retries', channel: 'C3', error: 'channel_not_found' }),
    ]);
  });

  describe('idempotent posts (a key in the message metadata)', () => {
    const silent = pino({ level: 'silent' });
    const noWait = async () => undefined;
    afterEach(() => slack.resetCalls());
    const noRetryClient = (timeout?: number) =>
      new WebClient('xoxb-test-token', {
        slackApiUrl: slack.url,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        ...(timeout ? { timeout } : {}),
      });

    it('posts once when Slack takes the message but answers after the client gave up, and returns that message', async () => {
      const thread = slack.seedThread('C4', [{ text: 'alert' }]);
      const poster = createSlackPoster({
        client: new WebClient('xoxb-test-token', { slackApiUrl: slack.url }),
        postClient: noRetryClient(300),
        coordination: createMemoryCoordination(),
        logger: silent,
        sleep: noWait,
      });
      slack.failNext('chat.postMessage', { slowMs: 1_000 });
      const posted = await poster.post({ channel: 'C4', thread_ts: thread, text: 'reply' }, { idempotencyKey: 'alert-reply:1' });
      const replies = slack.thread('C4', thread).slice(1);
      expect(replies.map((m) => m.text)).toEqual(['reply']);
      expect(posted.ts).toBe(replies[0]!.ts);
      expect(replies[0]!.metadata).toEqual({ event_type: 'incident_bot_post', event_payload: { key: 'alert-reply:1' } });
    });

    it('waits out 39 consecutive 429s without using its retry budget, says once (first) that posts are delayed, and posts once', async () => {
      const waits: number[] = [];
      const poster = createSlackPoster({
        client: new WebClient('xoxb-test-token', { slackApiUrl: slack.url }),
        postClient: noRetryClient(),
        coordination: createMemoryCoordination(),
        logger: silent,
        sleep: async (ms) => void waits.push(ms),
      });
      // The notice is tried after each wait and meets the limit too, until Slack takes it: then the post.
      slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 }, 39);
      await poster.post({ channel: 'C5', text: 'after the storm' }, { idempotencyKey: 'alert-post:5' });
      expect(slack.messages('C5').map((m) => m.text)).toEqual([RATE_LIMIT_NOTICE, 'after the storm']);
      expect(RATE_LIMIT_NOTICE).toContain("delayed by Slack's rate limit");
      expect(waits.filter((ms) => ms === 1000).length).toBeGreaterThanOrEqual(20);
    });

    it('finds the message an earlier attempt posted instead of posting it again', async () => {
      const thread = slack.seedThread('C6', [{ text: 'alert' }]);
      const client = new WebClient('xoxb-test-token', { slackApiUrl: slack.url });
      const poster = createSlackPoster({
        client,
        postClient: noRetryClient(),
        coordination: createMemoryCoordination(),
        logger: silent,
        sleep: noWait,
      });
      const first = await poster.post({ channel: 'C6', thread_ts: thread, text: 'reply' }, { idempotencyKey: 'alert-reply:6' });
      const again = await poster.post(
        { channel: 'C6', thread_ts: thread, text: 'reply' },
        { idempotencyKey: 'alert-reply:6', mayExist: true },
      );
      expect(again.ts).toBe(first.ts);
      expect(slack.thread('C6', thread)).toHaveLength(2);
    });

    it('hands a post back as "Slack unavailable" after its retries, without dropping what it knows', async () => {
      const poster = createSlackPoster({
        client: new WebClient('xoxb-test-token', { slackApiUrl: slack.url }),
        postClient: noRetryClient(),
        coordination: createMemoryCoordination(),
        logger: silent,
        sleep: noWait,
      });
      slack.failNext('chat.postMessage', { status: 503 }, 10);
      await expect(poster.post({ channel: 'C7', text: 'later' }, { idempotencyKey: 'k7' })).rejects.toMatchObject({
        code: 'SLACK_UNAVAILABLE',
      });
      slack.resetCalls();
      await poster.post({ channel: 'C7', text: 'later' }, { idempotencyKey: 'k7', mayExist: true });
      expect(slack.messages('C7').map((m) => m.text)).toEqual(['later']);
    });
  });
});
