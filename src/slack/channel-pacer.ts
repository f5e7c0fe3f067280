import type { Coordination } from '../coordination/coordination';
import { createMemoryCoordination } from '../coordination/memory-coordination';

/**
 * Keeps each channel to one post per interval as Slack receives them. Two clocks decide: the schedule shared by all
 * replicas (a slot per interval in coordination) and, within this process, the end of the previous post: a post
 * waits a full interval after the previous one came back, so however late a slot's post was sent or however long
 * it travelled, the next cannot reach Slack less than an interval after it.
 *
 * @example
 *   const pacer = createChannelPacer({ coordination, intervalMs: 1_000 });
 *   await pacer.wait(channel);
 *   try { await client.chat.postMessage(args); } finally { pacer.sent(channel); }
 */
export interface ChannelPacer {
  /** Resolves when a post in `channel` may go out. Callers post one at a time per channel (the poster's chain). */
  wait(channel: string): Promise<void>;
  /** A post (or an attempt that may have reached Slack) in `channel` has come back. */
  sent(channel: string): void;
}

export interface ChannelPacerDeps {
  coordination: Coordination;
  intervalMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export function createChannelPacer(deps: ChannelPacerDeps): ChannelPacer {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = deps.now ?? Date.now;
  const perSecond = 1000 / deps.intervalMs;
  const fallback = createMemoryCoordination();
  const lastSent = new Map<string, number>();

  const reserve = async (channel: string): Promise<number> => {
    const bucket = `post:${channel}`;
    try {
      return await deps.coordination.reserveRate(bucket, perSecond);
    } catch {
      // Redis down: keep this replica polite on its own rather than stop posting.
      return fallback.reserveRate(bucket, perSecond);
    }
  };

  return {
    wait: async (channel) => {
      const slot = await reserve(channel);
      const last = lastSent.get(channel);
      const gap = last === undefined ? 0 : last + deps.intervalMs - now();
      const ms = Math.max(slot, gap);
      if (ms > 0) await sleep(ms);
    },
    sent: (channel) => {
      const t = now();
      lastSent.set(channel, t);
      // Only the channels posted in within the last interval matter; the rest are forgotten.
      if (lastSent.size > 1_000) for (const [c, at] of lastSent) if (at + deps.intervalMs < t) lastSent.delete(c);
    },
  };
}
