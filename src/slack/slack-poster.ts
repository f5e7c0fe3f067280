import type { ChatPostMessageArguments, ChatUpdateArguments, WebClient } from '@slack/web-api';
import type { Coordination } from '../coordination/coordination';
import { createMemoryCoordination } from '../coordination/memory-coordination';
import type { Logger } from '../logger';

/** Slack allows about one message per second per channel; the budget is shared by all replicas through coordination. */
export const POSTS_PER_SECOND_PER_CHANNEL = 1;

export interface SlackPoster {
  /** Posts in order per channel, within the channel's budget; resolves with the message ts. */
  post(args: ChatPostMessageArguments): Promise<{ ts: string; channel: string }>;
  update(args: ChatUpdateArguments): Promise<void>;
}

export function createSlackPoster(deps: { client: WebClient; coordination: Coordination; logger: Logger; sleep?: (ms: number) => Promise<void> }): SlackPoster {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const fallback = createMemoryCoordination();
  const queues = new Map<string, Promise<unknown>>();

  const reserve = async (channel: string): Promise<number> => {
    const bucket = `post:${channel}`;
    try {
      return await deps.coordination.reserveRate(bucket, POSTS_PER_SECOND_PER_CHANNEL);
    } catch {
      // Redis down: keep this replica polite on its own rather than stop posting.
      return fallback.reserveRate(bucket, POSTS_PER_SECOND_PER_CHANNEL);
    }
  };

  // One chain per channel keeps thread order even when the budget makes posts wait.
  const inOrder = <T>(channel: string, work: () => Promise<T>): Promise<T> => {
    const prev = queues.get(channel) ?? Promise.resolve();
    const next = prev.then(work, work);
    const settled = next.catch(() => undefined);
    queues.set(channel, settled);
    void settled.then(() => {
      if (queues.get(channel) === settled) queues.delete(channel);
    });
    return next;
  };

  return {
    post: (args) =>
      inOrder(args.channel, async () => {
        const wait = await reserve(args.channel);
        if (wait > 0) await sleep(wait);
        try {
          const r = await deps.client.chat.postMessage(args);
          return { ts: r.ts as string, channel: (r.channel as string | undefined) ?? args.channel };
        } catch (err) {
          // Name what was lost: the caller's own error handling may only see "status 503".
          const e = err as { code?: string; data?: { error?: string }; statusCode?: number; message?: string };
          deps.logger.error(
            { channel: args.channel, threadTs: args.thread_ts, error: e.data?.error ?? e.statusCode ?? e.code ?? e.message },
            'Slack message not posted after retries',
          );
          throw err;
        }
      }),
    update: async (args) => {
      await deps.client.chat.update(args);
    },
  };
}
