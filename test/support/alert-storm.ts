import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RecordedCall, SlackEmulator } from '../../src/emulator/slack-emulator';
import type { BotProcess } from './bot-process';
import { sendEvent } from './slack-signing';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'slack', 'event-alertmanager-bot-message.json');

export interface StormPost {
  eventId: string;
  channel: string;
  ts: string;
  event: Record<string, unknown>;
}

/**
 * An Alertmanager post about `instance` in `channel`, put in the emulated channel and shaped as Slack delivers
 * it. Renamed from the fixture's StuckDetected (whose runbook diagnoses at once) so the bot's reply is its only post.
 */
export function alertPost(slack: SlackEmulator, channel: string, instance: string, eventId: string, alertName = 'StormCheck'): StormPost {
  const base = JSON.parse(readFileSync(FIXTURE, 'utf8')).event;
  const a = base.attachments[0];
  const swap = (s: unknown) =>
    String(s)
      .replace(/worker-7/g, instance)
      .replace(/StuckDetected/g, alertName);
  const attachments = [{ ...a, fallback: swap(a.fallback), title: swap(a.title), text: swap(a.text) }];
  const posted = slack.postAs(channel, { bot_id: base.bot_id, username: base.username, subtype: 'bot_message', attachments } as never);
  return { eventId, channel, ts: posted.ts, event: { ...base, attachments, channel, ts: posted.ts, event_ts: posted.ts } };
}

/**
 * Delivers like Slack behind a load balancer: to one of the live replicas; a refusal (5xx, connection refused)
 * is retried on another with Slack's retry headers. Resolves once some replica answered 200.
 */
export async function deliverLikeSlack(
  live: () => BotProcess[],
  signingSecret: string,
  post: StormPost,
  pick: number,
): Promise<{ attempts: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const bots = live();
    const bot = bots[(pick + attempt) % Math.max(1, bots.length)];
    if (bot) {
      try {
        const res = await sendEvent(
          `${bot.url}/slack/events`,
          { signingSecret },
          { event_id: post.eventId, event: post.event },
          attempt ? { num: attempt, reason: 'http_error' } : undefined,
        );
        if (res.status === 200) return { attempts: attempt + 1 };
      } catch {
        // connection refused or reset: the replica is going away
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no replica acknowledged ${post.eventId}`);
}

/** Replies (successful chat.postMessage calls carrying blocks) the bot made in each post's thread. */
export function countReplies(
  slack: SlackEmulator,
  posts: readonly StormPost[],
): { lost: StormPost[]; duplicated: StormPost[]; replies: RecordedCall[] } {
  const byThread = new Map<string, number>();
  const replies = slack
    .callsTo('chat.postMessage')
    .filter((c) => c.status === 200 && Array.isArray(c.args.blocks) && typeof c.args.thread_ts === 'string');
  for (const c of replies)
    byThread.set(`${c.args.channel}:${c.args.thread_ts}`, (byThread.get(`${c.args.channel}:${c.args.thread_ts}`) ?? 0) + 1);
  const n = (p: StormPost) => byThread.get(`${p.channel}:${p.ts}`) ?? 0;
  return { lost: posts.filter((p) => n(p) === 0), duplicated: posts.filter((p) => n(p) > 1), replies };
}
