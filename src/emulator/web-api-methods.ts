import { BLOCK_KIT_LIMITS, validateAttachments, validateBlocks, validateView } from './block-kit-limits';
import {
  compareTs,
  type EmulatedChannel,
  type EmulatedFileInfo,
  type EmulatedMessage,
  type EmulatedUser,
  type EmulatedView,
  type WorkspaceState,
} from './workspace-state';

/**
 * The Web API methods the emulator implements, each answering like Slack: a result object (sent as
 * `{ ok: true, ...result }`) or an `ApiError` (sent as `{ ok: false, error, response_metadata }`).
 */

export class ApiError extends Error {
  constructor(
    readonly error: string,
    readonly messages: string[] = [],
    /** More fields of the error answer (conversations.invite's per-user `errors`). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

export interface WorkspaceIdentity {
  teamId: string;
  teamName: string;
  botUserId: string;
  botId: string;
  appId: string;
  /** Base URL of the emulator (http://127.0.0.1:PORT), for upload URLs and permalinks. */
  baseUrl: () => string;
}

export interface MethodRequest {
  args: Record<string, unknown>;
  malformed: string[];
}

export type MethodHandler = (req: MethodRequest) => Record<string, unknown>;

function str(args: Record<string, unknown>, key: string): string | undefined {
  const v = args[key];
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

function bool(args: Record<string, unknown>, key: string): boolean {
  const v = args[key];
  return v === true || v === 'true' || v === '1' || v === 1;
}

function int(args: Record<string, unknown>, key: string, fallback: number, max: number): number {
  const raw = args[key];
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number.parseInt(raw, 10) : NaN;
  if (!Number.isFinite(n) || n <= 0) return fallback;
  return Math.min(n, max);
}

function errorsAsMessages(problems: string[]): string[] {
  return problems.map((p) => `[ERROR] ${p}`);
}

function requireChannel(args: Record<string, unknown>, key = 'channel'): string {
  const channel = str(args, key);
  if (channel === undefined) throw new ApiError('channel_not_found');
  return channel;
}

/** The checks Slack applies to a message body (chat.postMessage / update / postEphemeral, response_url). */
export function checkMessageContent(args: Record<string, unknown>, malformed: string[], requireContent: boolean): void {
  if (malformed.includes('blocks')) throw new ApiError('invalid_blocks_format');
  if (malformed.includes('attachments')) throw new ApiError('invalid_attachments');
  const text = args.text;
  if (typeof text === 'string' && text.length > BLOCK_KIT_LIMITS.messageText) {
    throw new ApiError('msg_too_long', [
      `[ERROR] text must be less than ${BLOCK_KIT_LIMITS.messageText + 1} characters [json-pointer:/text]`,
    ]);
  }
  if (args.blocks !== undefined) {
    const problems = validateBlocks(args.blocks);
    if (problems.length > 0) throw new ApiError('invalid_blocks', errorsAsMessages(problems));
  }
  if (args.attachments !== undefined) {
    const problems = validateAttachments(args.attachments);
    if (problems.length > 0) throw new ApiError('invalid_attachments', errorsAsMessages(problems));
  }
  const hasBlocks = Array.isArray(args.blocks) && args.blocks.length > 0;
  const hasAttachments = Array.isArray(args.attachments) && args.attachments.length > 0;
  if (requireContent && (typeof text !== 'string' || text === '') && !hasBlocks && !hasAttachments) {
    throw new ApiError('no_text');
  }
}

function checkView(args: Record<string, unknown>, malformed: string[]): Record<string, unknown> {
  if (malformed.includes('view')) throw new ApiError('invalid_arguments', ['[ERROR] failed to parse view JSON [json-pointer:/view]']);
  if (args.view === undefined) throw new ApiError('invalid_arguments', ['[ERROR] missing required field: view [json-pointer:/view]']);
  const problems = validateView(args.view);
  if (problems.length > 0) throw new ApiError('invalid_arguments', errorsAsMessages(problems));
  return args.view as Record<string, unknown>;
}

/** Cursors look like Slack's: base64 of `next_ts:<ts of the first message on the next page>`. */
function encodeCursor(ts: string): string {
  return Buffer.from(`next_ts:${ts}`).toString('base64');
}

/** Messages on the wire carry no `channel` field (the response names it once). */
function onWire(messages: EmulatedMessage[]): Array<Omit<EmulatedMessage, 'channel'>> {
  return messages.map(({ channel: _channel, ...wire }) => wire);
}

function page(messages: EmulatedMessage[], args: Record<string, unknown>, defaultLimit: number): Record<string, unknown> {
  const limit = int(args, 'limit', defaultLimit, 1000);
  let start = 0;
  const cursor = str(args, 'cursor');
  if (cursor !== undefined) {
    const decoded = /^next_ts:(.+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
    const index = decoded?.[1] === undefined ? -1 : messages.findIndex((m) => m.ts === decoded[1]);
    if (index < 0) throw new ApiError('invalid_cursor');
    start = index;
  }
  const slice = messages.slice(start, start + limit);
  const next = messages[start + limit];
  return {
    messages: onWire(slice),
    has_more: next !== undefined,
    response_metadata: { next_cursor: next === undefined ? '' : encodeCursor(next.ts) },
  };
}

/** Slack returns message `metadata` from conversations.history / replies only with `include_all_metadata=true`. */
function withMetadataIfAsked(messages: EmulatedMessage[], args: Record<string, unknown>): EmulatedMessage[] {
  if (args.include_all_metadata === true || args.include_all_metadata === 'true') return messages;
  return messages.map(({ metadata: _metadata, ...m }) => m as EmulatedMessage);
}

function inRange(ts: string, args: Record<string, unknown>): boolean {
  const oldest = str(args, 'oldest');
  const latest = str(args, 'latest');
  const inclusive = bool(args, 'inclusive');
  if (oldest !== undefined) {
    const c = compareTs(ts, oldest);
    if (c < 0 || (c === 0 && !inclusive)) return false;
  }
  if (latest !== undefined) {
    const c = compareTs(ts, latest);
    if (c > 0 || (c === 0 && !inclusive)) return false;
  }
  return true;
}

function userObject(u: EmulatedUser, teamId: string): Record<string, unknown> {
  const realName = u.real_name ?? u.name;
  return {
    id: u.id,
    team_id: teamId,
    name: u.name,
    deleted: false,
    real_name: realName,
    tz: u.tz ?? 'Etc/UTC',
    tz_label: 'Coordinated Universal Time',
    tz_offset: 0,
    is_admin: false,
    is_owner: false,
    is_bot: u.is_bot ?? false,
    is_app_user: false,
    updated: 1700000000,
    profile: {
      real_name: realName,
      real_name_normalized: realName,
      display_name: u.name,
      display_name_normalized: u.name,
      email: u.email,
      team: teamId,
    },
  };
}

/** Slack's channel-name rules, with the error Slack answers for each. */
export function channelNameProblem(name: string | undefined): string | undefined {
  if (name === undefined || name.trim() === '') return 'invalid_name_required';
  if (name.length > 80) return 'invalid_name_maxlength';
  if (/^[-_]+$/.test(name)) return 'invalid_name_punctuation';
  if (!/^[a-z0-9_-]+$/.test(name)) return 'invalid_name_specials';
  return undefined;
}

/** The channel object Slack returns from conversations.create / info. */
function channelObject(c: EmulatedChannel, botUserId: string): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    name_normalized: c.name,
    is_channel: !c.is_private,
    is_group: c.is_private,
    is_private: c.is_private,
    is_archived: false,
    is_general: false,
    is_member: c.members.includes(botUserId),
    created: c.created,
    creator: c.creator,
    topic: c.topic,
    purpose: { value: '', creator: '', last_set: 0 },
    num_members: c.members.length,
  };
}

export function createMethodHandlers(state: WorkspaceState, id: WorkspaceIdentity): Record<string, MethodHandler> {
  const c = methodContext(state, id);
  return {
    ...peopleMethods(c),
    ...chatMethods(c),
    ...viewMethods(c),
    ...conversationReadMethods(c),
    ...channelMethods(c),
    ...reactionAndPinMethods(c),
    ...fileMethods(c),
  };
}

/** The workspace and the bot's identity, with the checks and writes several methods share. */
interface MethodContext {
  state: WorkspaceState;
  id: WorkspaceIdentity;
  botAuthor: { user: string; bot_id: string; app_id: string; team: string };
  findMessage(channel: string, ts: string | undefined): EmulatedMessage;
  messageBody(args: Record<string, unknown>): Partial<EmulatedMessage>;
  postAsBot(channel: string, args: Record<string, unknown>): EmulatedMessage;
  visibleChannel(channelId: string): EmulatedChannel;
  requireAccess(channelId: string, needsMembership: boolean): void;
  ownMessage(m: EmulatedMessage, error: string): void;
  openView(view: Record<string, unknown>, extra?: Record<string, unknown>): EmulatedView;
  useTrigger(args: Record<string, unknown>): void;
}

function methodContext(state: WorkspaceState, id: WorkspaceIdentity): MethodContext {
  const botAuthor = { user: id.botUserId, bot_id: id.botId, app_id: id.appId, team: id.teamId };

  function findMessage(channel: string, ts: string | undefined): EmulatedMessage {
    const m = ts === undefined ? undefined : state.find(channel, ts);
    if (!m) throw new ApiError('message_not_found');
    return m;
  }

  function messageBody(args: Record<string, unknown>): Partial<EmulatedMessage> {
    const body: Partial<EmulatedMessage> = {};
    if (typeof args.text === 'string') body.text = args.text;
    if (Array.isArray(args.blocks)) body.blocks = args.blocks;
    if (Array.isArray(args.attachments)) body.attachments = args.attachments;
    if (args.metadata !== undefined) body.metadata = args.metadata;
    return body;
  }

  function postAsBot(channel: string, args: Record<string, unknown>): EmulatedMessage {
    const threadTs = str(args, 'thread_ts');
    return state.insert({
      channel,
      text: '',
      ...botAuthor,
      ...messageBody(args),
      ...(str(args, 'username') !== undefined ? { username: str(args, 'username') } : {}),
      ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
      ...(threadTs !== undefined && bool(args, 'reply_broadcast') ? { subtype: 'thread_broadcast' } : {}),
    });
  }

  /**
   * The channel as the bot sees it: a private channel the bot is not in does not exist for it (`channel_not_found`),
   * a public one does (chat:write.public posts there; uploads and history need membership).
   */
  function visibleChannel(channelId: string): EmulatedChannel {
    const channel = state.channelRecords.get(channelId);
    if (!channel || (channel.is_private && !channel.members.includes(id.botUserId))) throw new ApiError('channel_not_found');
    return channel;
  }

  /** Declared channels enforce what Slack enforces for the bot; undeclared ids behave as channels the bot is in. */
  function requireAccess(channelId: string, needsMembership: boolean): void {
    if (!state.channelRecords.has(channelId)) return;
    const channel = visibleChannel(channelId);
    if (needsMembership && !channel.members.includes(id.botUserId)) throw new ApiError('not_in_channel');
  }

  function ownMessage(m: EmulatedMessage, error: string): void {
    if (m.user !== id.botUserId && m.bot_id !== id.botId) throw new ApiError(error);
  }

  function openView(view: Record<string, unknown>, extra: Record<string, unknown> = {}): EmulatedView {
    const viewId = state.nextId('V');
    const stored: EmulatedView = {
      ...view,
      id: viewId,
      type: String(view.type),
      team_id: id.teamId,
      app_id: id.appId,
      bot_id: id.botId,
      state: { values: {} },
      hash: `${Math.floor(Date.now() / 1000)}.${viewId}`,
      root_view_id: viewId,
      previous_view_id: null,
      ...extra,
    };
    state.views.set(viewId, stored);
    return stored;
  }

  function useTrigger(args: Record<string, unknown>): void {
    const trigger = str(args, 'trigger_id');
    if (trigger === undefined) throw new ApiError('invalid_arguments', ['[ERROR] missing required field: trigger_id']);
    if (state.usedTriggerIds.has(trigger)) throw new ApiError('exchanged_trigger_id');
    state.usedTriggerIds.add(trigger);
  }

  return { state, id, botAuthor, findMessage, messageBody, postAsBot, visibleChannel, requireAccess, ownMessage, openView, useTrigger };
}

/** chat.*: posting, editing and deleting messages as the bot, and their permalinks. */
function chatMethods(c: MethodContext): Record<string, MethodHandler> {
  const { state, id, botAuthor, findMessage, messageBody, postAsBot, requireAccess, ownMessage } = c;
  return {
    'chat.postMessage': ({ args, malformed }) => {
      const channel = requireChannel(args);
      requireAccess(channel, false);
      checkMessageContent(args, malformed, true);
      const message = postAsBot(channel, args);
      return { channel, ts: message.ts, message: onWire([structuredClone(message)])[0] };
    },

    'chat.update': ({ args, malformed }) => {
      const channel = requireChannel(args);
      const existing = findMessage(channel, str(args, 'ts'));
      ownMessage(existing, 'cant_update_message');
      checkMessageContent(args, malformed, false);
      Object.assign(existing, messageBody(args), { edited: { user: id.botUserId, ts: state.nextTs() } });
      return { channel, ts: existing.ts, text: existing.text, message: onWire([state.withThreadSummary(existing)])[0] };
    },

    'chat.postEphemeral': ({ args, malformed }) => {
      const channel = requireChannel(args);
      const user = str(args, 'user');
      if (user === undefined) throw new ApiError('user_not_found');
      checkMessageContent(args, malformed, true);
      const ts = state.nextTs();
      const threadTs = str(args, 'thread_ts');
      state.addEphemeral({
        type: 'message',
        channel,
        ts,
        text: '',
        ...botAuthor,
        ...messageBody(args),
        ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
        recipient: user,
      });
      return { message_ts: ts };
    },

    'chat.delete': ({ args }) => {
      const channel = requireChannel(args);
      const existing = findMessage(channel, str(args, 'ts'));
      ownMessage(existing, 'cant_delete_message');
      if (existing.thread_ts === existing.ts && state.hasReplies(channel, existing.ts)) {
        // Slack keeps a tombstone so the thread survives its parent.
        state.remove(channel, existing.ts);
        state.insert({
          channel,
          ts: existing.ts,
          thread_ts: existing.ts,
          subtype: 'tombstone',
          text: 'This message was deleted.',
          hidden: true,
          user: 'USLACKBOT',
        });
      } else {
        state.remove(channel, existing.ts);
      }
      return { channel, ts: existing.ts };
    },

    'chat.getPermalink': ({ args }) => {
      const channel = requireChannel(args);
      const m = findMessage(channel, str(args, 'message_ts'));
      const base = `https://emulated-${id.teamId.toLowerCase()}.slack.com/archives/${channel}/p${m.ts.replace('.', '')}`;
      const isReply = m.thread_ts !== undefined && m.thread_ts !== m.ts;
      return { channel, permalink: isReply ? `${base}?thread_ts=${m.thread_ts}&cid=${channel}` : base };
    },
  };
}

/** views.*: modals opened with a trigger_id, updated by id or external_id, and the App Home. */
function viewMethods(c: MethodContext): Record<string, MethodHandler> {
  const { state, openView, useTrigger } = c;
  return {
    'views.open': ({ args, malformed }) => {
      const view = checkView(args, malformed);
      useTrigger(args);
      return { view: openView(view) };
    },

    'views.push': ({ args, malformed }) => {
      const view = checkView(args, malformed);
      useTrigger(args);
      return { view: openView(view) };
    },

    'views.update': ({ args, malformed }) => {
      const view = checkView(args, malformed);
      const viewId = str(args, 'view_id');
      const externalId = str(args, 'external_id');
      const existing =
        viewId !== undefined
          ? state.views.get(viewId)
          : [...state.views.values()].find((v) => externalId !== undefined && v.external_id === externalId);
      if (!existing) throw new ApiError('not_found');
      const hash = str(args, 'hash');
      if (hash !== undefined && hash !== existing.hash) throw new ApiError('hash_conflict');
      const updated: EmulatedView = {
        ...existing,
        ...view,
        id: existing.id,
        type: String(view.type),
        hash: `${Math.floor(Date.now() / 1000)}.${existing.id}.${state.nextId('H')}`,
      };
      state.views.set(existing.id, updated);
      return { view: updated };
    },

    'views.publish': ({ args, malformed }) => {
      const view = checkView(args, malformed);
      const userId = str(args, 'user_id');
      if (userId === undefined) throw new ApiError('invalid_arguments', ['[ERROR] missing required field: user_id']);
      return { view: openView(view) };
    },
  };
}

/** Reading conversations: threads, history, a channel and its members. */
function conversationReadMethods(c: MethodContext): Record<string, MethodHandler> {
  const { state, id, visibleChannel, requireAccess } = c;
  return {
    'conversations.replies': ({ args }) => {
      const channel = requireChannel(args);
      requireAccess(channel, true);
      const ts = str(args, 'ts');
      const m = ts === undefined ? undefined : state.find(channel, ts);
      if (!m) throw new ApiError('thread_not_found');
      const parentTs = m.thread_ts ?? m.ts;
      const parent = state.find(channel, parentTs) ?? m;
      const replies = state.repliesOf(channel, parent.ts).filter((r) => inRange(r.ts, args));
      return page(withMetadataIfAsked([state.withThreadSummary(parent), ...structuredClone(replies)], args), args, 1000);
    },

    'conversations.history': ({ args }) => {
      const channel = requireChannel(args);
      requireAccess(channel, true);
      const newestFirst = state
        .topLevel(channel)
        .filter((m) => inRange(m.ts, args))
        .reverse()
        .map((m) => state.withThreadSummary(m));
      return page(withMetadataIfAsked(newestFirst, args), args, 100);
    },

    'conversations.info': ({ args }) => ({ channel: channelObject(visibleChannel(requireChannel(args)), id.botUserId) }),

    'conversations.members': ({ args }) => {
      const channel = visibleChannel(requireChannel(args));
      const limit = args.limit === undefined ? 100 : Number(args.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ApiError('invalid_limit');
      const cursor = str(args, 'cursor');
      let start = 0;
      if (cursor !== undefined) {
        const after = /^user:(.+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'))?.[1];
        start = after === undefined ? -1 : channel.members.indexOf(after);
        if (start < 0) throw new ApiError('invalid_cursor');
      }
      const members = channel.members.slice(start, start + limit);
      const next = channel.members[start + limit];
      return {
        members,
        response_metadata: { next_cursor: next === undefined ? '' : Buffer.from(`user:${next}`).toString('base64') },
      };
    },
  };
}

/** Making and furnishing incident channels: create, invite, topic, bookmarks. */
function channelMethods(c: MethodContext): Record<string, MethodHandler> {
  const { state, id, botAuthor, visibleChannel } = c;
  return {
    'conversations.create': ({ args }) => {
      const name = str(args, 'name');
      const problem = channelNameProblem(name);
      if (problem) throw new ApiError(problem);
      if ([...state.channelRecords.values()].some((c) => c.name === name)) throw new ApiError('name_taken');
      const isPrivate = bool(args, 'is_private');
      const channelId = state.nextId(isPrivate ? 'G' : 'C');
      const now = Math.floor(Date.now() / 1000);
      const channel: EmulatedChannel = {
        id: channelId,
        name: name!,
        is_private: isPrivate,
        creator: id.botUserId,
        created: now,
        members: [id.botUserId],
        topic: { value: '', creator: '', last_set: 0 },
        bookmarks: [],
      };
      state.channelRecords.set(channelId, channel);
      return { channel: channelObject(channel, id.botUserId) };
    },

    'conversations.invite': ({ args }) => {
      const channel = visibleChannel(requireChannel(args));
      if (!channel.members.includes(id.botUserId)) throw new ApiError('not_in_channel');
      const users = (str(args, 'users') ?? '')
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean);
      if (users.length === 0) throw new ApiError('no_user');
      if (users.length > 1000) throw new ApiError('too_many_users');
      const errors: { user: string; ok: false; error: string }[] = [];
      const valid: string[] = [];
      for (const user of users) {
        if (user === id.botUserId) errors.push({ user, ok: false, error: 'cant_invite_self' });
        else if (!state.users.has(user)) errors.push({ user, ok: false, error: 'user_not_found' });
        else if (channel.members.includes(user)) errors.push({ user, ok: false, error: 'already_in_channel' });
        else valid.push(user);
      }
      // Without `force`, Slack invites nobody when one of the users cannot be invited.
      if (errors.length > 0 && !bool(args, 'force')) {
        if (users.length === 1) throw new ApiError(errors[0]!.error);
        throw new ApiError(errors[0]!.error, [], { errors });
      }
      channel.members.push(...valid);
      return { channel: channelObject(channel, id.botUserId), ...(errors.length ? { errors } : {}) };
    },

    'conversations.setTopic': ({ args }) => {
      const channel = visibleChannel(requireChannel(args));
      if (!channel.members.includes(id.botUserId)) throw new ApiError('not_in_channel');
      const topic = typeof args.topic === 'string' ? args.topic : '';
      if ([...topic].length > 250) throw new ApiError('too_long');
      channel.topic = { value: topic, creator: id.botUserId, last_set: Math.floor(Date.now() / 1000) };
      state.insert({ channel: channel.id, ...botAuthor, subtype: 'channel_topic', text: `set the channel topic: ${topic}` });
      return { channel: channelObject(channel, id.botUserId) };
    },

    'bookmarks.add': ({ args }) => {
      const channel = visibleChannel(requireChannel(args, 'channel_id'));
      const title = str(args, 'title');
      const type = str(args, 'type');
      const link = str(args, 'link');
      if (title === undefined) throw new ApiError('invalid_arguments', ['[ERROR] missing required field: title']);
      if (type !== 'link') throw new ApiError('invalid_bookmark_type');
      if (link === undefined || !/^https?:\/\/[^\s]+$/.test(link)) throw new ApiError('invalid_link');
      if (channel.bookmarks.length >= 100) throw new ApiError('too_many_bookmarks');
      const bookmark = {
        id: state.nextId('Bk'),
        channel_id: channel.id,
        title,
        link,
        type: 'link' as const,
        date_created: Math.floor(Date.now() / 1000),
      };
      channel.bookmarks.push(bookmark);
      return { bookmark };
    },
  };
}

/** auth.test and who is who: users and user groups. */
function peopleMethods(c: MethodContext): Record<string, MethodHandler> {
  const { state, id } = c;
  return {
    'auth.test': () => ({
      url: `https://emulated-${id.teamId.toLowerCase()}.slack.com/`,
      team: id.teamName,
      user: state.users.get(id.botUserId)?.name ?? 'incident-bot',
      team_id: id.teamId,
      user_id: id.botUserId,
      bot_id: id.botId,
      is_enterprise_install: false,
    }),

    'users.info': ({ args }) => {
      const userId = str(args, 'user');
      const user = userId === undefined ? undefined : state.users.get(userId);
      if (!user) throw new ApiError('user_not_found');
      return { user: userObject(user, id.teamId) };
    },

    'usergroups.users.list': ({ args }) => {
      const group = str(args, 'usergroup');
      const users = group === undefined ? undefined : state.usergroups.get(group);
      if (!users) throw new ApiError('no_such_subteam');
      return { users: [...users] };
    },
  };
}

/** reactions.* and pins.* on a message. */
function reactionAndPinMethods(c: MethodContext): Record<string, MethodHandler> {
  const { id, findMessage } = c;
  return {
    'reactions.add': ({ args }) => {
      const channel = requireChannel(args);
      const m = findMessage(channel, str(args, 'timestamp'));
      const name = str(args, 'name')?.replace(/^:|:$/g, '');
      if (!name) throw new ApiError('invalid_name');
      m.reactions ??= [];
      const reaction = m.reactions.find((r) => r.name === name);
      if (reaction?.users.includes(id.botUserId)) throw new ApiError('already_reacted');
      if (reaction) {
        reaction.users.push(id.botUserId);
        reaction.count += 1;
      } else {
        m.reactions.push({ name, users: [id.botUserId], count: 1 });
      }
      return {};
    },

    'reactions.remove': ({ args }) => {
      const channel = requireChannel(args);
      const m = findMessage(channel, str(args, 'timestamp'));
      const name = str(args, 'name')?.replace(/^:|:$/g, '');
      const reaction = m.reactions?.find((r) => r.name === name);
      if (!reaction?.users.includes(id.botUserId)) throw new ApiError('no_reaction');
      reaction.users = reaction.users.filter((u) => u !== id.botUserId);
      reaction.count -= 1;
      m.reactions = m.reactions?.filter((r) => r.count > 0);
      return {};
    },

    'pins.add': ({ args }) => {
      const channel = requireChannel(args);
      const m = findMessage(channel, str(args, 'timestamp'));
      if (m.pinned_to?.includes(channel)) throw new ApiError('already_pinned');
      m.pinned_to = [...(m.pinned_to ?? []), channel];
      return {};
    },

    'pins.remove': ({ args }) => {
      const channel = requireChannel(args);
      const m = findMessage(channel, str(args, 'timestamp'));
      if (!m.pinned_to?.includes(channel)) throw new ApiError('no_pin');
      m.pinned_to = m.pinned_to.filter((c) => c !== channel);
      return {};
    },
  };
}

/** files.*: the two-step external upload, and sharing the file in a channel. */
function fileMethods(c: MethodContext): Record<string, MethodHandler> {
  const { state, id, botAuthor, requireAccess } = c;
  return {
    'files.getUploadURLExternal': ({ args }) => {
      const filename = str(args, 'filename');
      const length = int(args, 'length', -1, Number.MAX_SAFE_INTEGER);
      if (filename === undefined || length < 0) {
        throw new ApiError('invalid_arguments', ['[ERROR] filename and length are required']);
      }
      const fileId = state.nextId('F');
      state.files.set(fileId, {
        id: fileId,
        name: filename,
        title: filename,
        mimetype: 'application/octet-stream',
        filetype: str(args, 'snippet_type') ?? (filename.includes('.') ? (filename.split('.').pop() ?? 'binary') : 'binary'),
        size: 0,
        length,
        user: id.botUserId,
        created: 0,
        channels: [],
        bytes: Buffer.alloc(0),
        uploaded: false,
        ...(str(args, 'alt_text') !== undefined ? { alt_text: str(args, 'alt_text') } : {}),
      });
      return { upload_url: `${id.baseUrl()}/upload/v1/${fileId}`, file_id: fileId };
    },

    'files.completeUploadExternal': ({ args, malformed }) => {
      if (malformed.includes('files') || !Array.isArray(args.files) || args.files.length === 0) {
        throw new ApiError('invalid_arguments', ['[ERROR] files must be a non-empty JSON array [json-pointer:/files]']);
      }
      const entries = args.files as Array<{ id?: unknown; title?: unknown }>;
      const files = entries.map((entry) => {
        const file = typeof entry.id === 'string' ? state.files.get(entry.id) : undefined;
        if (!file) throw new ApiError('file_not_found');
        if (!file.uploaded) throw new ApiError('file_not_found', [`[ERROR] nothing was uploaded to the upload_url of ${file.id}`]);
        if (typeof entry.title === 'string' && entry.title !== '') file.title = entry.title;
        return file;
      });
      const channel = str(args, 'channel_id') ?? str(args, 'channels')?.split(',')[0];
      // Unlike chat.postMessage (chat:write.public), sharing a file needs the bot in the channel.
      if (channel !== undefined) requireAccess(channel, true);
      if (args.blocks !== undefined) checkMessageContent({ blocks: args.blocks }, malformed, false);
      const infos = (): EmulatedFileInfo[] => files.map(({ bytes: _b, uploaded: _u, length: _l, ...info }) => structuredClone(info));
      if (channel !== undefined) {
        for (const f of files) if (!f.channels.includes(channel)) f.channels.push(channel);
        const threadTs = str(args, 'thread_ts');
        state.insert({
          channel,
          text: str(args, 'initial_comment') ?? '',
          ...botAuthor,
          files: infos(),
          ...(Array.isArray(args.blocks) ? { blocks: args.blocks } : {}),
          ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
        });
      }
      return { files: infos() };
    },
  };
}
