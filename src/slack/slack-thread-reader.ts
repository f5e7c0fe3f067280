import type { WebClient } from '@slack/web-api';
import type { Logger } from '../logger';
import type { ThreadContents, ThreadMessage, ThreadReader } from '../postmortem/thread-reader';

/** conversations.replies is Tier 3 (50+ calls a minute); 200 a page keeps a 5,000-message thread at 26 calls. */
export const REPLIES_PAGE_SIZE = 200;
export const REPLIES_CALLS_PER_MINUTE = 50;

export interface SlackThreadReaderOptions {
  client: WebClient;
  logger: Logger;
  /** Calls per minute to conversations.replies, across threads read by this reader. Default 50 (Tier 3). */
  callsPerMinute?: number;
  /** When the client is set to reject rate-limited calls (`rejectRateLimitedCalls`), how often to wait and retry a page. Default 5. */
  rateLimitRetries?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

interface SlackFile {
  name?: string;
  title?: string;
  permalink?: string;
}

interface SlackAttachment {
  pretext?: string;
  title?: string;
  title_link?: string;
  text?: string;
  fallback?: string;
}

interface SlackMessage {
  ts?: string;
  user?: string;
  bot_id?: string;
  username?: string;
  subtype?: string;
  text?: string;
  edited?: unknown;
  files?: SlackFile[];
  attachments?: SlackAttachment[];
  bot_profile?: { name?: string };
  reply_count?: number;
}

/** Channel history read for one post-mortem at most (newest pages are not needed: the window is bounded). */
export const HISTORY_MAX_MESSAGES = 2_000;

/**
 * Reads an incident thread from Slack: conversations.replies page by page (`limit: 200`, following
 * `response_metadata.next_cursor`), bot messages included, within the method's rate tier. A 429 is waited out:
 * the WebClient does it itself when it has a retry policy (Retry-After honoured; see web-api-options.ts);
 * with `rejectRateLimitedCalls` this reader waits `retryAfter` and asks for the same page again. Names come
 * from users.info, once per user for the reader's lifetime.
 *
 * @example
 *   const reader = createSlackThreadReader({ client: app.client, logger });
 *   const thread = await reader.read('C0INCIDENTS', incident.threadTs);
 */
export function createSlackThreadReader(opts: SlackThreadReaderOptions): ThreadReader & { clearNames(): void } {
  const { client, logger } = opts;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pace = createMinutePacer(opts.callsPerMinute ?? REPLIES_CALLS_PER_MINUTE, opts.now ?? Date.now, sleep);
  const names = createNameCache(client, logger);
  const whoAmI = createIdentityLookup(client, logger);

  /** One paced call; with `rejectRateLimitedCalls`, a 429 is waited out and the call made again. */
  const paced = async <T>(method: string, channel: string, call: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      await pace();
      try {
        return await call();
      } catch (err) {
        const e = err as { code?: string; retryAfter?: number };
        if (e.code !== 'slack_webapi_rate_limited_error' || attempt >= (opts.rateLimitRetries ?? 5)) throw err;
        logger.info({ channel, retryAfter: e.retryAfter }, `${method} rate limited; waiting`);
        await sleep((e.retryAfter ?? 1) * 1000);
      }
    }
  };

  const toContents = async (channel: string, threadTs: string, raw: SlackMessage[], pages: number): Promise<ThreadContents> => {
    const me = await whoAmI();
    // Slack may repeat a message across pages when the thread moves under it; keep each ts once.
    const seen = new Set<string>();
    const unique = raw.filter((m) => m.ts && !seen.has(m.ts) && seen.add(m.ts));
    const mentioned = unique.flatMap((m) => [...textOf(m).matchAll(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g)].map((x) => x[1]!));
    const authors = unique.filter((m) => m.user && !m.bot_id).map((m) => m.user!);
    const resolved = await names.userNames([...authors, ...mentioned]);
    const messages = unique.map((m) => toThreadMessage(m, me, resolved));
    logger.debug({ channel, threadTs, messages: messages.length, pages }, threadTs ? 'thread read' : 'channel history read');
    return {
      channel,
      threadTs,
      messages,
      names: resolved,
      pages,
      ...(me.url ? { workspaceUrl: me.url.replace(/\/+$/, '') } : {}),
    } satisfies ThreadContents;
  };

  return {
    userNames: names.userNames,
    clearNames: names.clear,
    read: async (channel, threadTs) => {
      const { raw, pages } = await readPages(
        (cursor) =>
          paced('conversations.replies', channel, () =>
            client.conversations.replies({ channel, ts: threadTs, limit: REPLIES_PAGE_SIZE, ...(cursor ? { cursor } : {}) }),
          ),
        () => true,
      );
      return toContents(channel, threadTs, raw, pages);
    },
    history: async (channel, oldest, latest) => {
      const seconds = (d: Date) => (d.getTime() / 1000).toFixed(6);
      const { raw, pages } = await readPages(
        (cursor) =>
          paced('conversations.history', channel, () =>
            client.conversations.history({
              channel,
              oldest: seconds(oldest),
              latest: seconds(latest),
              inclusive: true,
              limit: REPLIES_PAGE_SIZE,
              ...(cursor ? { cursor } : {}),
            }),
          ),
        (read) => read < HISTORY_MAX_MESSAGES,
      );
      // conversations.history is newest first.
      raw.sort((a, b) => Number(a.ts) - Number(b.ts));
      return toContents(channel, '', raw, pages);
    },
  };
}

type Page = { messages?: unknown[]; response_metadata?: { next_cursor?: string } };

/** Follows `next_cursor` from the first page while there is one and `more(messages read so far)` says so. */
async function readPages(
  fetchPage: (cursor: string | undefined) => Promise<Page>,
  more: (read: number) => boolean,
): Promise<{ raw: SlackMessage[]; pages: number }> {
  const raw: SlackMessage[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await fetchPage(cursor);
    pages += 1;
    raw.push(...((page.messages ?? []) as SlackMessage[]));
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor && more(raw.length));
  return { raw, pages };
}

/** A sliding minute: the (perMinute+1)th call waits until the oldest of the minute is 60 s old. */
function createMinutePacer(perMinute: number, now: () => number, sleep: (ms: number) => Promise<void>): () => Promise<void> {
  const recentCalls: number[] = [];
  return async () => {
    for (;;) {
      const t = now();
      while (recentCalls.length && recentCalls[0]! <= t - 60_000) recentCalls.shift();
      if (recentCalls.length < perMinute) {
        recentCalls.push(t);
        return;
      }
      await sleep(recentCalls[0]! + 60_000 - t);
    }
  };
}

type Identity = { botId?: string; userId?: string; url?: string };

/** auth.test, asked once and kept; a failure is asked again next time. */
function createIdentityLookup(client: WebClient, logger: Logger): () => Promise<Identity> {
  let identity: Promise<Identity> | undefined;
  return () =>
    (identity ??= client.auth
      .test()
      .then((r): Identity => ({ botId: r.bot_id as string | undefined, userId: r.user_id, url: r.url }))
      .catch((err: Error): Identity => {
        identity = undefined;
        logger.warn({ err: { message: err.message } }, "auth.test failed: this bot's own messages are not told apart");
        return {};
      }));
}

/** People's names from users.info, once per user for the cache's lifetime. */
function createNameCache(client: WebClient, logger: Logger) {
  const names = new Map<string, Promise<string>>();
  const nameOf = (userId: string): Promise<string> => {
    let p = names.get(userId);
    if (!p) {
      p = client.users
        .info({ user: userId })
        .then((r) => r.user?.profile?.display_name || r.user?.name || r.user?.real_name || userId)
        .catch((err: { data?: { error?: string }; message?: string }) => {
          // An unknown or deactivated user keeps its id; a transient failure is retried next time.
          if (err.data?.error !== 'user_not_found') names.delete(userId);
          logger.debug({ userId, error: err.data?.error ?? err.message }, 'users.info failed; showing the id');
          return userId;
        });
      names.set(userId, p);
    }
    return p;
  };
  const userNames = async (ids: readonly string[]): Promise<Map<string, string>> => {
    const unique = [...new Set(ids)];
    const out = new Map<string, string>();
    // A few at a time: users.info is Tier 4, but a 200-person thread should not fire 200 requests at once.
    for (let i = 0; i < unique.length; i += 8) {
      const batch = unique.slice(i, i + 8);
      const resolved = await Promise.all(batch.map(nameOf));
      batch.forEach((id, j) => out.set(id, resolved[j]!));
    }
    return out;
  };
  return { userNames, clear: () => names.clear() };
}

function toThreadMessage(m: SlackMessage, me: Identity, resolved: Map<string, string>): ThreadMessage {
  const isBot = Boolean(m.bot_id) || m.subtype === 'bot_message';
  const fromThisBot = Boolean((me.botId && m.bot_id === me.botId) || (me.userId && m.user === me.userId));
  return {
    ts: m.ts!,
    ...(m.user ? { userId: m.user } : {}),
    author: isBot
      ? m.bot_profile?.name || m.username || (m.user ? resolved.get(m.user) : undefined) || 'bot'
      : (resolved.get(m.user ?? '') ?? m.user ?? 'unknown'),
    isBot,
    fromThisBot,
    text: textOf(m),
    edited: m.edited !== undefined,
    ...(m.subtype ? { subtype: m.subtype } : {}),
    files: (m.files ?? []).map((f) => ({
      name: f.name ?? 'file',
      ...(f.title ? { title: f.title } : {}),
      ...(f.permalink ? { url: f.permalink } : {}),
    })),
    ...(m.reply_count ? { replyCount: m.reply_count } : {}),
  };
}

/** The message text, with attachment pretext, title and text appended (Alertmanager and Grafana post attachments). */
function textOf(m: SlackMessage): string {
  const parts = [m.text ?? ''];
  for (const a of m.attachments ?? []) {
    const title = a.title ? (a.title_link ? `<${a.title_link}|${a.title}>` : a.title) : '';
    for (const p of [a.pretext, title, a.text ?? (a.title ? undefined : a.fallback)]) if (p) parts.push(p);
  }
  return parts.filter(Boolean).join('\n');
}
