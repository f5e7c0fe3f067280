import type { ChatPostMessageArguments, ChatUpdateArguments, WebClient } from '@slack/web-api';
import type { Coordination } from '../coordination/coordination';
import type { Logger } from '../logger';
import { createChannelPacer } from './channel-pacer';
import { WEB_API_RETRY } from './web-api-options';

/** Slack allows about one message per second per channel; the budget is shared by all replicas through coordination. */
export const POSTS_PER_SECOND_PER_CHANNEL = 1;

/** Posted once in a channel whose posts wait out Slack's rate limit. */
export const RATE_LIMIT_NOTICE =
  ":hourglass_flowing_sand: Posts in this channel are delayed by Slack's rate limit: alerts are recorded and their messages follow, in order.";
const RATE_LIMIT_NOTICE_EVERY_MS = 10 * 60_000;
/** A post held back this long by 429s makes the channel get the notice; a shorter wait goes unremarked. */
const RATE_LIMIT_NOTICE_AFTER_MS = 5_000;

/** `event_type` of the message metadata that carries a post's idempotency key. */
export const POST_METADATA_EVENT = 'incident_bot_post';

export interface PostOptions {
  /**
   * Makes the post idempotent: the key travels in the message `metadata`, and whenever an attempt may have
   * landed without the bot hearing so (a timeout, a 5xx) the bot looks for its own message with that key in
   * the thread (or the channel) before posting again.
   */
  idempotencyKey?: string;
  /** An earlier attempt (this process or another) may already have posted it: look first. */
  mayExist?: boolean;
}

/** Slack did not answer well enough to post (after the retries); the message may be posted later. */
export class SlackUnavailableError extends Error {
  readonly code = 'SLACK_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SlackUnavailableError';
  }
}

export function isSlackUnavailable(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === 'SLACK_UNAVAILABLE';
}

export interface SlackPoster {
  /** Posts in order per channel, within the channel's budget; resolves with the message ts. */
  post(args: ChatPostMessageArguments, opts?: PostOptions): Promise<{ ts: string; channel: string }>;
  update(args: ChatUpdateArguments): Promise<void>;
}

export interface SlackPosterDeps {
  client: WebClient;
  /**
   * Used for idempotent posts: no retries of its own and 429s handed back (`rejectRateLimitedCalls`), so that a
   * timed-out post is never resent blindly and waiting out a 429 costs no retry.
   */
  postClient?: WebClient;
  coordination: Coordination;
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** The clock the pacing between two posts of a channel is measured on. */
  now?: () => number;
  /** How long 429s may keep one post waiting before it is handed back to be tried again later. */
  rateLimitDeadlineMs?: number;
}

export function createSlackPoster(deps: SlackPosterDeps): SlackPoster {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const inOrder = createChannelQueues();
  const pacer = createChannelPacer({
    coordination: deps.coordination,
    intervalMs: 1000 / POSTS_PER_SECOND_PER_CHANNEL,
    sleep,
    ...(deps.now ? { now: deps.now } : {}),
  });
  /** Every chat.postMessage goes through here: within the channel's budget, and the next one paced from its end. */
  const paced: Paced = async (channel, send) => {
    await pacer.wait(channel);
    try {
      return await send();
    } finally {
      pacer.sent(channel);
    }
  };
  const ctx: IdempotentPostContext = {
    lookupClient: deps.client,
    postClient: deps.postClient ?? deps.client,
    logger: deps.logger,
    sleep,
    paced,
    noticeDelay: createRateLimitNotice(paced, deps.logger),
    rateLimitDeadlineMs: deps.rateLimitDeadlineMs ?? 5 * 60_000,
  };

  return {
    post: (args, opts) =>
      inOrder(args.channel, async () => {
        if (opts?.idempotencyKey) return postIdempotently(ctx, args, opts.idempotencyKey, opts.mayExist ?? false);
        try {
          const r = await paced(args.channel, () => deps.client.chat.postMessage(args));
          return { ts: r.ts as string, channel: (r.channel as string | undefined) ?? args.channel };
        } catch (err) {
          // Name what was lost: the caller's own error handling may only see "status 503".
          deps.logger.error(
            { channel: args.channel, threadTs: args.thread_ts, error: describe(err) },
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

type Paced = <T>(channel: string, send: () => Promise<T>) => Promise<T>;

/** One chain per channel keeps thread order even when the budget makes posts wait. */
function createChannelQueues(): <T>(channel: string, work: () => Promise<T>) => Promise<T> {
  const queues = new Map<string, Promise<unknown>>();
  return <T>(channel: string, work: () => Promise<T>): Promise<T> => {
    const prev = queues.get(channel) ?? Promise.resolve();
    const next = prev.then(work, work);
    const settled = next.catch(() => undefined);
    queues.set(channel, settled);
    void settled.then(() => {
      if (queues.get(channel) === settled) queues.delete(channel);
    });
    return next;
  };
}

/** One notice per channel per period instead of silence while posts wait out Slack's rate limit. */
function createRateLimitNotice(paced: Paced, logger: Logger): (channel: string, client: WebClient) => Promise<void> {
  const noticed = new Map<string, number>();
  return async (channel, client) => {
    const last = noticed.get(channel);
    if (last !== undefined && Date.now() - last < RATE_LIMIT_NOTICE_EVERY_MS) return;
    noticed.set(channel, Date.now());
    try {
      await paced(channel, () => client.chat.postMessage({ channel, text: RATE_LIMIT_NOTICE }));
    } catch (err) {
      // Still limited: the next wait tries again, so the notice goes out once, first.
      noticed.delete(channel);
      logger.info({ channel, error: describe(err) }, 'rate limit notice not posted yet');
    }
  };
}

function describe(err: unknown) {
  const e = err as { code?: string; data?: { error?: string }; statusCode?: number; message?: string };
  return e.data?.error ?? e.statusCode ?? e.code ?? e.message;
}

/** The bot's own message carrying `key`, in the thread or among the channel's latest messages. */
async function findOwn(client: WebClient, args: ChatPostMessageArguments, key: string): Promise<string | undefined> {
  const matches = (m: { metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }) =>
    m.metadata?.event_type === POST_METADATA_EVENT && m.metadata.event_payload?.key === key;
  if (args.thread_ts) {
    let cursor: string | undefined;
    do {
      const page = await client.conversations.replies({
        channel: args.channel,
        ts: args.thread_ts,
        include_all_metadata: true,
        limit: 200,
        ...(cursor ? { cursor } : {}),
      });
      const hit = (page.messages ?? []).find((m) => matches(m as never));
      if (hit?.ts) return hit.ts;
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return undefined;
  }
  const page = await client.conversations.history({ channel: args.channel, include_all_metadata: true, limit: 100 });
  return (page.messages ?? []).find((m) => matches(m as never))?.ts;
}

interface IdempotentPostContext {
  /** Looks for a message that may have landed (the client with retries). */
  lookupClient: WebClient;
  postClient: WebClient;
  logger: Logger;
  sleep: (ms: number) => Promise<void>;
  paced: Paced;
  noticeDelay: (channel: string, client: WebClient) => Promise<void>;
  rateLimitDeadlineMs: number;
}

/** What one idempotent post has been through so far. */
interface PostAttempts {
  /** An attempt may have landed without the bot hearing so: look before posting. */
  unsure: boolean;
  failures: number;
  /** Time spent waiting out 429s. */
  waited: number;
  rateLimitedUntil: number;
}

async function postIdempotently(
  ctx: IdempotentPostContext,
  args: ChatPostMessageArguments,
  key: string,
  mayExist: boolean,
): Promise<{ ts: string; channel: string }> {
  const body = { ...args, metadata: { event_type: POST_METADATA_EVENT, event_payload: { key } } } as ChatPostMessageArguments;
  const attempts: PostAttempts = { unsure: mayExist, failures: 0, waited: 0, rateLimitedUntil: Date.now() + ctx.rateLimitDeadlineMs };
  for (;;) {
    if (attempts.unsure) {
      const found = await lookForOwn(ctx, args, key, attempts);
      if (found === 'unknown') continue;
      if (found !== 'absent') return { ts: found.ts, channel: args.channel };
    }
    try {
      const r = await ctx.paced(args.channel, () => ctx.postClient.chat.postMessage(body));
      return { ts: r.ts as string, channel: (r.channel as string | undefined) ?? args.channel };
    } catch (err) {
      await afterFailedPost(ctx, args, key, attempts, err);
    }
  }
}

/** Whether an earlier attempt landed; `unknown` (after a pause) when Slack could not be asked. */
async function lookForOwn(
  ctx: IdempotentPostContext,
  args: ChatPostMessageArguments,
  key: string,
  attempts: PostAttempts,
): Promise<{ ts: string } | 'absent' | 'unknown'> {
  try {
    const ts = await findOwn(ctx.lookupClient, args, key);
    if (ts) {
      ctx.logger.info({ channel: args.channel, threadTs: args.thread_ts, key }, 'message was already posted: not posting it again');
      return { ts };
    }
    attempts.unsure = false;
    return 'absent';
  } catch (err) {
    // Not knowing whether it landed, posting again could double it: wait and look again.
    if (++attempts.failures > WEB_API_RETRY.retries)
      throw new SlackUnavailableError(`could not check whether the message was posted: ${String(describe(err))}`, { cause: err });
    await ctx.sleep(backoff(attempts.failures));
    return 'unknown';
  }
}

/** Waits before the next attempt, or throws when there is none to make. */
async function afterFailedPost(
  ctx: IdempotentPostContext,
  args: ChatPostMessageArguments,
  key: string,
  attempts: PostAttempts,
  err: unknown,
): Promise<void> {
  const retryAfter = (err as { retryAfter?: number }).retryAfter;
  if ((err as { code?: string }).code === 'slack_webapi_rate_limited_error' && typeof retryAfter === 'number') {
    // Slack said when: waiting is not a failure, and the budget of retries stays for real failures.
    if (Date.now() + retryAfter * 1000 > attempts.rateLimitedUntil)
      throw new SlackUnavailableError(`rate limited for more than ${ctx.rateLimitDeadlineMs / 1000} s`, { cause: err });
    ctx.logger.info({ channel: args.channel, retryAfter }, 'Slack rate limit: waiting as asked before posting');
    await ctx.sleep(retryAfter * 1000);
    attempts.waited += retryAfter * 1000;
    if (attempts.waited >= RATE_LIMIT_NOTICE_AFTER_MS) await ctx.noticeDelay(args.channel, ctx.postClient);
    return;
  }
  if (!mayHaveLanded(err)) {
    ctx.logger.error({ channel: args.channel, threadTs: args.thread_ts, error: describe(err) }, 'Slack refused the message');
    throw err;
  }
  attempts.unsure = true;
  if (++attempts.failures > WEB_API_RETRY.retries) {
    ctx.logger.error(
      { channel: args.channel, threadTs: args.thread_ts, key, error: describe(err) },
      'Slack message not posted after retries: it will be tried again later',
    );
    throw new SlackUnavailableError(`Slack did not take the message: ${String(describe(err))}`, { cause: err });
  }
  ctx.logger.warn(
    { channel: args.channel, threadTs: args.thread_ts, key, error: describe(err), failures: attempts.failures },
    'Slack post failed or timed out: checking whether it landed before trying again',
  );
  await ctx.sleep(backoff(attempts.failures));
}

function backoff(failures: number): number {
  return Math.min(WEB_API_RETRY.maxTimeout, WEB_API_RETRY.minTimeout * WEB_API_RETRY.factor ** (failures - 1));
}

/** A timeout, a dropped connection or a 5xx: Slack may have posted the message without telling us. */
function mayHaveLanded(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  if (code === 'slack_webapi_request_error') return true;
  if (code === 'slack_webapi_http_error') return ((err as { statusCode?: number }).statusCode ?? 0) >= 500;
  return false;
}
