/**
 * What the post-mortem needs from a chat thread. The core does not import Slack: `slack/slack-thread-reader.ts`
 * implements this with the Web API (conversations.replies, users.info); tests may use a plain object.
 *
 * @example
 *   const thread = await reader.read('C0INCIDENTS', '1700000000.000100');
 *   thread.messages.length;            // parent + every reply, oldest first
 *   thread.names.get('U0ONCALL01');    // "alice" (authors and everyone mentioned)
 */
export interface ThreadReader {
  /** The whole thread, parent first, following every page. Throws when the thread cannot be read. */
  read(channel: string, threadTs: string): Promise<ThreadContents>;
  /** Display names for user ids (timeline actors), resolved once per user; unknown ids map to themselves. */
  userNames(userIds: readonly string[]): Promise<Map<string, string>>;
  /**
   * The channel's top-level messages between two instants, oldest first, each with its `replyCount` (`threadTs` is
   * empty: they are not one thread). Absent in readers that cannot list a channel.
   */
  history?(channel: string, oldest: Date, latest: Date): Promise<ThreadContents>;
}

export interface ThreadContents {
  channel: string;
  threadTs: string;
  /** Parent first, then replies oldest first. */
  messages: ThreadMessage[];
  /** user id → display name, for authors and for every `<@U…>` mentioned in the messages. */
  names: Map<string, string>;
  /** How many pages were fetched (for the log). */
  pages: number;
  /** `https://acme.slack.com`, when the reader knows it (Slack's auth.test says). */
  workspaceUrl?: string;
}

export interface ThreadMessage {
  ts: string;
  /** The author's user id, when there is one (people, and bots that have a bot user). */
  userId?: string;
  /** Who wrote it, as shown: a person's name, or a bot's name. */
  author: string;
  /** Posted by a bot or an integration (Alertmanager, this bot…). */
  isBot: boolean;
  /** Posted by this bot itself: its own notifications, already on the incident's timeline. */
  fromThisBot: boolean;
  /** Slack mrkdwn as stored, with attachment titles and texts appended (alerts arrive as attachments). */
  text: string;
  edited: boolean;
  subtype?: string;
  /** Replies in its thread (channel history only). */
  replyCount?: number;
  files: Array<{ name: string; title?: string; url?: string }>;
}

/** `https://<workspace>.slack.com/archives/C…/p1700000000000100` (a reply also carries `thread_ts` and `cid`, as Slack's own do). */
export function messagePermalink(workspaceUrl: string, channel: string, ts: string, threadTs?: string): string {
  const base = `${workspaceUrl.replace(/\/+$/, '')}/archives/${channel}/p${ts.replace('.', '')}`;
  return threadTs && threadTs !== ts ? `${base}?thread_ts=${threadTs}&cid=${channel}` : base;
}

/** A Slack ts (`1700000000.000100`) as a Date. */
export function tsToDate(ts: string): Date {
  return new Date(Math.round(Number(ts) * 1000));
}
