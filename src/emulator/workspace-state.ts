/**
 * What the emulated workspace holds: channels with their messages and threads, ephemeral messages, users, user
 * groups, uploaded files and open views. Plain data with no HTTP; the Web API methods read and change it.
 */

export interface EmulatedReaction {
  name: string;
  users: string[];
  count: number;
}

export interface EmulatedFileInfo {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  user: string;
  created: number;
  channels: string[];
  alt_text?: string;
}

export interface EmulatedFile extends EmulatedFileInfo {
  /** The uploaded bytes (empty until the upload URL has been POSTed to). */
  bytes: Buffer;
  uploaded: boolean;
  /** Declared by files.getUploadURLExternal. */
  length: number;
}

export interface EmulatedMessage {
  type: 'message';
  channel: string;
  ts: string;
  text: string;
  user?: string;
  bot_id?: string;
  app_id?: string;
  team?: string;
  subtype?: string;
  username?: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
  files?: EmulatedFileInfo[];
  /** Set on replies and, once it has replies, on the thread's parent (as Slack does). */
  thread_ts?: string;
  parent_user_id?: string;
  reply_count?: number;
  reply_users?: string[];
  reply_users_count?: number;
  latest_reply?: string;
  /** Only in `messages(channel)`: the thread's replies, oldest first. */
  replies?: EmulatedMessage[];
  reactions?: EmulatedReaction[];
  pinned_to?: string[];
  edited?: { user: string; ts: string };
  hidden?: boolean;
}

export interface EphemeralMessage extends EmulatedMessage {
  /** The only user who sees it. */
  recipient: string;
}

export interface EmulatedUser {
  id: string;
  name: string;
  real_name?: string;
  is_bot?: boolean;
  tz?: string;
  email?: string;
}

export interface EmulatedView extends Record<string, unknown> {
  id: string;
  hash: string;
  type: string;
  external_id?: string;
}

/** Slack timestamps: seconds with six digits of microseconds, unique per channel, increasing. */
export function formatTs(micros: number): string {
  const s = Math.floor(micros / 1_000_000);
  return `${s}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

export function parseTs(ts: string): number | undefined {
  const m = /^(\d+)\.(\d{6})$/.exec(ts);
  if (!m?.[1] || !m[2]) return undefined;
  return Number(m[1]) * 1_000_000 + Number(m[2]);
}

export function compareTs(a: string, b: string): number {
  const [pa, pb] = [parseTs(a), parseTs(b)];
  if (pa !== undefined && pb !== undefined) return pa - pb;
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface EmulatedBookmark {
  id: string;
  channel_id: string;
  title: string;
  link: string;
  type: 'link';
  emoji?: string;
  date_created: number;
}

/**
 * A channel the workspace knows: created with conversations.create, or declared by a test with `addChannel` (as if
 * people had made it). Channels only mentioned by id have no record: the bot may post there, but conversations.info
 * and conversations.members answer `channel_not_found`, as Slack does for a channel the bot cannot see.
 */
export interface EmulatedChannel {
  id: string;
  name: string;
  is_private: boolean;
  creator: string;
  created: number;
  members: string[];
  topic: { value: string; creator: string; last_set: number };
  bookmarks: EmulatedBookmark[];
}

export class WorkspaceState {
  readonly users = new Map<string, EmulatedUser>();
  readonly channelRecords = new Map<string, EmulatedChannel>();
  readonly usergroups = new Map<string, string[]>();
  readonly files = new Map<string, EmulatedFile>();
  readonly views = new Map<string, EmulatedView>();
  readonly usedTriggerIds = new Set<string>();
  private readonly channels = new Map<string, Map<string, EmulatedMessage>>();
  private readonly ephemerals = new Map<string, EphemeralMessage[]>();
  private lastMicros = 0;
  private counter = 0;

  constructor(private readonly clock: () => number) {}

  /** A fresh Slack-style ID with the given prefix (`F`, `V`, …). */
  nextId(prefix: string): string {
    this.counter += 1;
    return `${prefix}0EMU${String(this.counter).padStart(6, '0')}`;
  }

  nextTs(): string {
    this.lastMicros = Math.max(Math.floor(this.clock()) * 1000, this.lastMicros + 100);
    return formatTs(this.lastMicros);
  }

  private channel(id: string): Map<string, EmulatedMessage> {
    let c = this.channels.get(id);
    if (!c) {
      c = new Map();
      this.channels.set(id, c);
    }
    return c;
  }

  /** Stores a message; assigns a ts unless one is given (seeding). */
  insert(message: Omit<EmulatedMessage, 'ts' | 'type'> & { ts?: string }): EmulatedMessage {
    const ts = message.ts ?? this.nextTs();
    const micros = parseTs(ts);
    if (micros !== undefined) this.lastMicros = Math.max(this.lastMicros, micros);
    const channel = this.channel(message.channel);
    if (channel.has(ts)) throw new Error(`a message with ts ${ts} already exists in ${message.channel}`);
    const stored: EmulatedMessage = { type: 'message', ...message, ts };
    channel.set(ts, stored);
    if (stored.thread_ts !== undefined && stored.thread_ts !== ts) {
      const parent = channel.get(stored.thread_ts);
      if (parent) {
        parent.thread_ts = parent.ts;
        stored.parent_user_id ??= parent.user;
      }
    }
    return stored;
  }

  find(channel: string, ts: string): EmulatedMessage | undefined {
    return this.channels.get(channel)?.get(ts);
  }

  remove(channel: string, ts: string): void {
    this.channels.get(channel)?.delete(ts);
  }

  addEphemeral(message: EphemeralMessage): void {
    const list = this.ephemerals.get(message.channel) ?? [];
    list.push(message);
    this.ephemerals.set(message.channel, list);
  }

  ephemeralsOf(channel: string): EphemeralMessage[] {
    return structuredClone(this.ephemerals.get(channel) ?? []);
  }

  private isReply(m: EmulatedMessage): boolean {
    return m.thread_ts !== undefined && m.thread_ts !== m.ts;
  }

  /** Replies of the thread started by `parentTs`, oldest first. */
  repliesOf(channel: string, parentTs: string): EmulatedMessage[] {
    const all = [...(this.channels.get(channel)?.values() ?? [])];
    return all.filter((m) => this.isReply(m) && m.thread_ts === parentTs).sort((a, b) => compareTs(a.ts, b.ts));
  }

  /** A copy of the message with the thread summary fields Slack adds to a parent. */
  withThreadSummary(m: EmulatedMessage): EmulatedMessage {
    const copy = structuredClone(m);
    const replies = this.isReply(m) ? [] : this.repliesOf(m.channel, m.ts);
    if (replies.length > 0) {
      const users = [...new Set(replies.map((r) => r.user).filter((u): u is string => u !== undefined))];
      copy.thread_ts = m.ts;
      copy.reply_count = replies.length;
      copy.reply_users = users;
      copy.reply_users_count = users.length;
      copy.latest_reply = replies[replies.length - 1]?.ts;
    }
    return copy;
  }

  /** Messages shown in the channel itself (not thread replies, except broadcasts), oldest first. */
  topLevel(channel: string): EmulatedMessage[] {
    const all = [...(this.channels.get(channel)?.values() ?? [])];
    return all.filter((m) => !this.isReply(m) || m.subtype === 'thread_broadcast').sort((a, b) => compareTs(a.ts, b.ts));
  }

  channelView(channel: string): EmulatedMessage[] {
    return this.topLevel(channel).map((m) => {
      const copy = this.withThreadSummary(m);
      if (!this.isReply(m)) {
        const replies = this.repliesOf(channel, m.ts);
        if (replies.length > 0) copy.replies = structuredClone(replies);
      }
      return copy;
    });
  }

  hasReplies(channel: string, ts: string): boolean {
    return this.repliesOf(channel, ts).length > 0;
  }
}
