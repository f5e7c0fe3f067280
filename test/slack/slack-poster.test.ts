import { WebClient } from '@slack/web-api';
import pino from 'pino';
import { createMemoryCoordination } from '../../src/coordination/memory-coordination';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { createSlackPoster } from '../../src/slack/slack-poster';

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
    expect(lines).toEqual([expect.objectContaining({ msg: 'Slack message not posted after retries', channel: 'C3', error: 'channel_not_found' })]);
  });
});
