import type { SlackEmulator } from '../../src/emulator/slack-emulator';
import { alertPost, countReplies, deliverLikeSlack, type StormPost } from '../support/alert-storm';
import { startBotHarness, type BotHarness } from '../support/bot-harness';
import type { BotProcess } from '../support/bot-process';
import { waitFor } from '../support/wait-for';

const STORM = 15;
const RUN = Date.now().toString(36).toUpperCase();

/**
 * An alert storm has filled a channel's one-post-per-second budget for a while; someone opens an incident there.
 * The bulk waits in the inbox, not in front of the person: the incident notification goes ahead of the alert
 * replies still owed (at most the one being posted at that moment comes first).
 */
describe('a person posting in a channel busy with an alert storm', () => {
  let h: BotHarness;
  let slack: SlackEmulator;
  let bot: BotProcess;

  beforeAll(async () => {
    h = await startBotHarness({ name: 'reliability_human_first', readyTimeoutMs: 60_000, env: { INCIDENT_CHANNELS: 'off' } });
    ({ slack, bot } = h);
  }, 90_000);

  afterAll(async () => {
    expect(await h?.stop()).toBe(0);
  });

  it('posts the /incident open notification ahead of the alert replies still queued', async () => {
    const channel = `C0HF${RUN}`;
    const posts: StormPost[] = Array.from({ length: STORM }, (_, i) =>
      alertPost(slack, channel, `hf-${RUN.toLowerCase()}-${i}`, `EvHF${RUN}${String(i).padStart(3, '0')}`, 'HumanFirstCheck'),
    );
    for (const [i, p] of posts.entries()) await deliverLikeSlack(() => [bot], h.signingSecret, p, i);
    await waitFor('the storm to be under way', () => countReplies(slack, posts).replies.length >= 3, 30_000, 100);

    const sentAt = slack.calls.length;
    const res = await h.command('open Checkout is failing P1', { channel, user: 'U0ONCALL01' });
    expect(res.status).toBe(200);
    const note = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === channel && !c.args.thread_ts && /INCIDENT/.test(String(c.args.text)),
      30_000,
    );
    const noteAt = slack.calls.indexOf(note);
    const repliesBetween = slack.calls
      .slice(sentAt, noteAt)
      .filter((c) => c.method === 'chat.postMessage' && c.status === 200 && c.args.channel === channel && c.args.thread_ts).length;
    await waitFor('the rest of the storm', () => countReplies(slack, posts).lost.length === 0, 60_000, 200);
    const owedAtCommand = STORM - countReplies(slack, posts).replies.filter((c) => slack.calls.indexOf(c) < sentAt).length;
    process.stdout.write(
      `human first: /incident open during a ${STORM}-alert storm in one channel: ${repliesBetween} alert replies posted before the notification, ${owedAtCommand} were owed when it was sent\n`,
    );
    expect(owedAtCommand).toBeGreaterThan(3);
    expect(repliesBetween).toBeLessThanOrEqual(1);
  }, 120_000);
});
