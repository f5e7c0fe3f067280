import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { parseRequest, readBody } from './request-body';
import { ApiError, checkMessageContent, createMethodHandlers } from './web-api-methods';
import { WorkspaceState, type EmulatedChannel, type EmulatedFile, type EmulatedMessage, type EphemeralMessage } from './workspace-state';
import { createSocketModeServer, type SocketModeEmulator } from './socket-mode-server';

export { validateBlocks, validateAttachments, validateView, BLOCK_KIT_LIMITS } from './block-kit-limits';
export type { SocketModeEmulator, SocketAck, SocketEnvelopeRecord, EnvelopeType } from './socket-mode-server';
export type {
  EmulatedChannel,
  EmulatedBookmark,
  EmulatedMessage,
  EphemeralMessage,
  EmulatedFile,
  EmulatedFileInfo,
  EmulatedReaction,
  EmulatedUser,
} from './workspace-state';

/**
 * An emulator of the Slack Web API for tests and the local playground: an HTTP server that answers the methods
 * incident-bot uses the way Slack does, keeps the channels' state, enforces Block Kit limits and records every call.
 *
 * @example
 *   const slack = await startSlackEmulator();
 *   const client = new WebClient('xoxb-test-token', { slackApiUrl: slack.url });
 *   await client.chat.postMessage({ channel: 'C1', text: 'hello' });
 *   expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
 *   await slack.close();
 */

export interface SlackEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** The only bot token accepted. Default `xoxb-test-token`. */
  botToken?: string;
  /** The app-level token (`xapp-…`) accepted by apps.connections.open. Default `xapp-test-token`. */
  appToken?: string;
  teamId?: string;
  botUserId?: string;
  /** Milliseconds since the epoch; message timestamps follow it. Default `Date.now`. */
  clock?: () => number;
}

export interface RecordedCall {
  /** The Web API method, or `response_url` / `upload_url` for posts to those URLs. */
  method: string;
  token: string | undefined;
  args: Record<string, unknown>;
  at: number;
  response: unknown;
  status: number;
  /** The path that was called (tells response URLs and upload URLs apart). */
  path?: string;
}

/** `slowMs`: the call takes effect at once, as usual, but its answer leaves only after `slowMs` (a slow Slack). */
export type SlackFailure =
  { status: 429; retryAfterSeconds: number } | { status: 500 | 502 | 503 } | { error: string } | { slowMs: number };

/** Where a response_url's messages land (without one, `in_channel` responses are only recorded). */
export interface ResponseUrlContext {
  channel?: string;
  /** The message the interaction came from: target of `replace_original` / `delete_original`. */
  messageTs?: string;
  /** Who sees ephemeral responses. */
  userId?: string;
  threadTs?: string;
}

export interface SlackEmulator {
  /** Base URL to use as SLACK_API_URL / `slackApiUrl`, e.g. http://127.0.0.1:PORT/api/ */
  url: string;
  /** Every call in arrival order, including rejected ones. */
  calls: RecordedCall[];
  callsTo(method: string): RecordedCall[];
  /** Resolves with the first matching call (already recorded or still to come); rejects after `timeoutMs` (5000). */
  waitForCall(method: string, predicate?: (c: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  /**
   * The next `times` (1) calls to `method` answer with `failure` instead; with `only`, the next calls whose
   * arguments it accepts (other calls go through as usual).
   */
  failNext(method: string, failure: SlackFailure, times?: number, only?: (args: Record<string, unknown>) => boolean): void;
  /** Drops the failures still pending for `method`: the outage is over. */
  endFailures(method: string): void;
  /** Methods called that the emulator does not implement (each once). */
  unknownMethods: string[];
  /** A fresh response_url; POSTs to it are recorded as method `response_url`. */
  responseUrl(context?: ResponseUrlContext): string;
  /** The channel as people see it: top-level messages oldest first, each thread's replies under `replies`. */
  messages(channel: string): EmulatedMessage[];
  /** A thread: its parent then its replies, oldest first. */
  thread(channel: string, threadTs: string): EmulatedMessage[];
  /** Ephemeral messages sent to the channel (chat.postEphemeral and ephemeral response_url posts). */
  ephemeralMessages(channel: string): EphemeralMessage[];
  /** Files uploaded through files.getUploadURLExternal + upload URL, with their bytes. */
  uploadedFiles(): EmulatedFile[];
  addUser(user: { id: string; name: string; real_name?: string; email?: string; tz?: string }): void;
  addUsergroup(usergroupId: string, userIds: string[]): void;
  /**
   * Puts messages in a channel as if people had posted them: the first is the thread's parent, the others its
   * replies. Missing `ts` are assigned in order; returns the parent's ts.
   */
  seedThread(channel: string, messages: Partial<EmulatedMessage>[]): string;
  /**
   * Posts one message as someone other than the bot (a person, or another app such as Alertmanager with `bot_id`
   * and `username`), at the next ts; with `thread_ts` it is a reply. Returns the stored message. The local
   * playground uses it for what people type and for alert posts, then delivers the matching event to the bot.
   */
  postAs(channel: string, message: Partial<Omit<EmulatedMessage, 'ts' | 'channel' | 'type' | 'replies'>>): EmulatedMessage;
  /** The Socket Mode WebSocket behind apps.connections.open: push envelopes, read acks, ask for a reconnect. */
  socketMode: SocketModeEmulator;
  /**
   * Declares a channel people made, so that the workspace knows it as Slack would: conversations.info and
   * conversations.members answer for it, a private one the bot is not in is `channel_not_found` to the bot everywhere,
   * and uploads or history in a public one it is not in get `not_in_channel`. `members` may include the bot's user id.
   */
  addChannel(channel: { id: string; name: string; is_private?: boolean; members?: string[] }): void;
  /** A channel created with conversations.create or declared with addChannel: name, members, topic, bookmarks. */
  channelInfo(channelId: string): EmulatedChannel | undefined;
  /** The channels the bot created with conversations.create, oldest first. */
  createdChannels(): EmulatedChannel[];
  /** A view opened by views.open / push / update, as it is now. */
  view(viewId: string): Record<string, unknown> | undefined;
  /**
   * The `view_submission` payload Slack sends when `user` fills the open view's inputs (`{ block_id: value }`) and
   * presses Submit: text inputs carry the text, a select the option whose value is given. Refuses what the form
   * cannot produce (an unknown block, an option the select does not offer, an empty required input).
   */
  viewSubmission(viewId: string, inputs: Record<string, string>, user?: string): Record<string, unknown>;
  on(event: 'call', listener: (c: RecordedCall) => void): void;
  off(event: 'call', listener: (c: RecordedCall) => void): void;
  /** Forgets the recorded calls, unknown methods and pending failures (state stays). */
  resetCalls(): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Held back this long before it is sent. */
  delayMs?: number;
}

const SEED_USER = 'U0SEEDUSER';
const RESPONSE_URL_MAX_USES = 5;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

function failureReply(failure: Exclude<SlackFailure, { slowMs: number }>): Reply {
  if ('error' in failure) return json(200, { ok: false, error: failure.error });
  if (failure.status === 429) {
    return json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfterSeconds) });
  }
  return {
    status: failure.status,
    body: `<html><body><h1>${failure.status}</h1><p>The emulated Slack is having a bad day.</p></body></html>`,
    headers: { 'content-type': 'text/html; charset=utf-8' },
  };
}

function apiErrorReply(e: ApiError): Reply {
  return json(200, {
    ok: false,
    error: e.error,
    ...e.extra,
    ...(e.messages.length > 0 ? { response_metadata: { messages: e.messages } } : {}),
  });
}

/** The emulator's state and its record of calls, shared by its HTTP side and the methods tests call. */
interface EmulatorCore {
  state: WorkspaceState;
  methods: ReturnType<typeof createMethodHandlers>;
  socketMode: ReturnType<typeof createSocketModeServer>;
  events: EventEmitter;
  calls: RecordedCall[];
  unknownMethods: string[];
  failures: Map<string, Array<{ failure: SlackFailure; remaining: number; only?: (args: Record<string, unknown>) => boolean }>>;
  responseUrls: Map<string, { context: ResponseUrlContext; uses: number }>;
  /** Pending waitForCall promises, rejected when the emulator closes. */
  pendingWaits: Set<(err: Error) => void>;
  clock: () => number;
  botToken: string;
  appToken: string;
  botUserId: string;
  /** http://127.0.0.1:PORT once listening. */
  baseUrl: () => string;
}

export async function startSlackEmulator(opts: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  const botUserId = opts.botUserId ?? 'U0INCIDENTBOT';
  const clock = opts.clock ?? Date.now;
  const state = new WorkspaceState(clock);
  state.users.set(botUserId, { id: botUserId, name: 'incident-bot', real_name: 'Incident Bot', is_bot: true });
  let baseUrl = '';
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const core: EmulatorCore = {
    state,
    methods: createMethodHandlers(state, {
      teamId: opts.teamId ?? 'T0EMULATED',
      teamName: 'Emulated Workspace',
      botUserId,
      botId: 'B0INCIDENTBOT',
      appId: 'A0INCIDENTBOT',
      baseUrl: () => baseUrl,
    }),
    socketMode: createSocketModeServer({ wsBaseUrl: () => baseUrl.replace(/^http:/, 'ws:'), appId: 'A0INCIDENTBOT', clock }),
    events,
    calls: [],
    unknownMethods: [],
    failures: new Map(),
    responseUrls: new Map(),
    pendingWaits: new Set(),
    clock,
    botToken: opts.botToken ?? 'xoxb-test-token',
    appToken: opts.appToken ?? 'xapp-test-token',
    botUserId,
    baseUrl: () => baseUrl,
  };
  const http = await listenEmulator(core, opts.port ?? 0);
  baseUrl = `http://127.0.0.1:${http.port}`;
  return {
    url: `${baseUrl}/api/`,
    ...callRecording(core),
    responseUrl(context = {}) {
      const id = randomBytes(9).toString('base64url');
      core.responseUrls.set(id, { context, uses: 0 });
      return `${baseUrl}/response/${id}`;
    },
    ...workspaceReads(core),
    ...workspaceSetup(core),
    socketMode: core.socketMode.emulator,
    async close() {
      for (const abort of [...core.pendingWaits]) abort(new Error('waitForCall: the Slack emulator was closed'));
      core.socketMode.close();
      await http.close();
    },
  };
}

/** What tests read and steer about the calls: the record, waiting for a call, failures to answer with. */
function callRecording(
  core: EmulatorCore,
): Pick<SlackEmulator, 'calls' | 'unknownMethods' | 'callsTo' | 'waitForCall' | 'endFailures' | 'failNext' | 'on' | 'off' | 'resetCalls'> {
  const { calls, failures, events } = core;
  return {
    calls,
    unknownMethods: core.unknownMethods,
    callsTo: (method) => calls.filter((c) => c.method === method),
    waitForCall: (method, predicate = () => true, timeoutMs = 5000) => waitForCall(core, method, predicate, timeoutMs),
    endFailures(method) {
      failures.delete(method);
    },
    failNext(method, failure, times = 1, only) {
      const queue = failures.get(method) ?? [];
      queue.push({ failure, remaining: times, ...(only ? { only } : {}) });
      failures.set(method, queue);
    },
    on: (event, listener) => void events.on(event, listener),
    off: (event, listener) => void events.off(event, listener),
    resetCalls() {
      calls.length = 0;
      core.unknownMethods.length = 0;
      failures.clear();
    },
  };
}

function waitForCall(
  core: EmulatorCore,
  method: string,
  predicate: (c: RecordedCall) => boolean,
  timeoutMs: number,
): Promise<RecordedCall> {
  const { calls, events, pendingWaits } = core;
  const matches = (c: RecordedCall): boolean => c.method === method && predicate(c);
  const found = calls.find(matches);
  if (found) return Promise.resolve(found);
  return new Promise<RecordedCall>((resolve, reject) => {
    const finish = (): void => {
      clearTimeout(timer);
      events.off('call', listener);
      pendingWaits.delete(abort);
    };
    const listener = (c: RecordedCall): void => {
      if (!matches(c)) return;
      finish();
      resolve(c);
    };
    const abort = (err: Error): void => {
      finish();
      reject(err);
    };
    const timer = setTimeout(() => {
      const seen = calls.map((c) => `${c.method}(${c.status})`).join(', ') || 'none';
      abort(new Error(`waitForCall('${method}'): no matching call within ${timeoutMs} ms; calls so far: ${seen}`));
    }, timeoutMs);
    events.on('call', listener);
    pendingWaits.add(abort);
  });
}

/** The workspace as people see it: channels, threads, ephemerals, files, views. */
function workspaceReads(
  core: EmulatorCore,
): Pick<
  SlackEmulator,
  'messages' | 'thread' | 'ephemeralMessages' | 'uploadedFiles' | 'channelInfo' | 'createdChannels' | 'view' | 'viewSubmission'
> {
  const { state, botUserId } = core;
  return {
    messages: (channel) => state.channelView(channel),
    thread: (channel, threadTs) => {
      const parent = state.find(channel, threadTs);
      return parent ? [state.withThreadSummary(parent), ...structuredClone(state.repliesOf(channel, threadTs))] : [];
    },
    ephemeralMessages: (channel) => state.ephemeralsOf(channel),
    uploadedFiles: () =>
      [...state.files.values()].filter((f) => f.uploaded).map((f) => ({ ...f, bytes: Buffer.from(f.bytes), channels: [...f.channels] })),
    channelInfo: (channelId) => {
      const c = state.channelRecords.get(channelId);
      return c ? structuredClone(c) : undefined;
    },
    createdChannels: () => structuredClone([...state.channelRecords.values()].filter((c) => c.creator === botUserId)),
    view: (viewId) => {
      const v = state.views.get(viewId);
      return v ? structuredClone(v) : undefined;
    },
    viewSubmission: (viewId, inputs, user = 'U0ONCALL01') => viewSubmissionPayload(state.views.get(viewId), viewId, inputs, user),
  };
}

/** What tests put in the workspace as people would: users, groups, channels, messages. */
function workspaceSetup(core: EmulatorCore): Pick<SlackEmulator, 'addUser' | 'addUsergroup' | 'seedThread' | 'postAs' | 'addChannel'> {
  const { state, botUserId, clock } = core;
  return {
    addUser(user) {
      state.users.set(user.id, { ...user });
    },
    addUsergroup(usergroupId, userIds) {
      state.usergroups.set(usergroupId, [...userIds]);
    },
    seedThread(channel, messages) {
      const [first, ...rest] = messages.map(({ type: _type, replies: _replies, ...m }) => m);
      if (!first) throw new Error('seedThread needs at least the parent message');
      const parent = state.insert({ text: '', user: SEED_USER, ...first, channel });
      for (const reply of rest) {
        state.insert({ text: '', user: SEED_USER, ...reply, channel, thread_ts: parent.ts });
      }
      return parent.ts;
    },
    postAs(channel, message) {
      if (message.thread_ts !== undefined && !state.find(channel, message.thread_ts)) {
        throw new Error(`postAs: no message ${message.thread_ts} in ${channel} to reply to`);
      }
      return structuredClone(state.insert({ text: '', ...(message.bot_id ? {} : { user: SEED_USER }), ...message, channel }));
    },
    addChannel({ id, name, is_private = false, members = [] }) {
      if (!/^[CG][A-Z0-9]{2,20}$/.test(id)) throw new Error(`addChannel: ${id} is not a channel id (C… or G…)`);
      if (state.channelRecords.has(id)) throw new Error(`addChannel: ${id} exists already`);
      if ([...state.channelRecords.values()].some((c) => c.name === name)) throw new Error(`addChannel: the name ${name} is taken`);
      state.channelRecords.set(id, {
        id,
        name,
        is_private,
        creator: members.find((m) => m !== botUserId) ?? SEED_USER,
        created: Math.floor(clock() / 1000),
        members: [...new Set(members)],
        topic: { value: '', creator: '', last_set: 0 },
        bookmarks: [],
      });
    },
  };
}

/** The HTTP server: Web API methods, response URLs, upload URLs and the Socket Mode upgrade. */
async function listenEmulator(core: EmulatorCore, port: number): Promise<{ port: number; close(): Promise<void> }> {
  // Slow answers still held back when the emulator closes are dropped with their connections.
  const heldBack = new Set<NodeJS.Timeout>();
  const sendLater = (res: ServerResponse, reply: Reply, delayMs: number) => {
    const timer = setTimeout(() => {
      heldBack.delete(timer);
      send(res, reply);
    }, delayMs);
    heldBack.add(timer);
  };
  const server = createServer((req, res) => {
    route(core, req).then(
      (reply) => (reply.delayMs ? sendLater(res, reply, reply.delayMs) : send(res, reply)),
      (e: unknown) => send(res, json(500, { ok: false, error: 'emulator_error', detail: e instanceof Error ? e.message : String(e) })),
    );
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!core.socketMode.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const timer of heldBack) clearTimeout(timer);
      heldBack.clear();
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function send(res: ServerResponse, reply: Reply): void {
  const payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, reply.headers);
  res.end(payload);
}

async function route(core: EmulatorCore, req: IncomingMessage): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const body = await readBody(req);
  const parsed = await parseRequest(req, body, url.searchParams);
  const path = url.pathname;

  const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(path);
  if (api?.[1]) {
    const method = api[1];
    const reply = callMethod(core, method, parsed.token, parsed.args, parsed.malformed);
    record(core, { method, token: parsed.token, args: parsed.args, response: reply.body, status: reply.status, path });
    return reply;
  }
  const response = /^\/response\/([A-Za-z0-9_-]+)$/.exec(path);
  if (response?.[1] && req.method === 'POST') {
    const reply = handleResponseUrl(core, response[1], parsed.args, parsed.malformed);
    record(core, { method: 'response_url', token: undefined, args: parsed.args, response: reply.body, status: reply.status, path });
    return reply;
  }
  const upload = /^\/upload\/v1\/([A-Za-z0-9_-]+)$/.exec(path);
  if (upload?.[1] && req.method === 'POST') {
    // Anything that is not multipart is the file itself.
    const file = parsed.file ?? { bytes: body, contentType: req.headers['content-type'] };
    const reply = handleUpload(core, upload[1], file);
    record(core, {
      method: 'upload_url',
      token: parsed.token,
      args: { file_id: upload[1], size: file.bytes.length, ...(file.contentType ? { content_type: file.contentType } : {}) },
      response: reply.body,
      status: reply.status,
      path,
    });
    return reply;
  }
  return { status: 404, body: 'Not Found', headers: { 'content-type': 'text/plain' } };
}

function takeFailure(core: EmulatorCore, method: string, args: Record<string, unknown> = {}): SlackFailure | undefined {
  const queue = core.failures.get(method);
  const i = queue?.findIndex((f) => !f.only || f.only(args)) ?? -1;
  if (!queue || i < 0) return undefined;
  const head = queue[i]!;
  head.remaining -= 1;
  if (head.remaining <= 0) queue.splice(i, 1);
  return head.failure;
}

function record(core: EmulatorCore, call: Omit<RecordedCall, 'at'>): void {
  const recorded: RecordedCall = { ...call, at: core.clock() };
  core.calls.push(recorded);
  core.events.emit('call', recorded);
}

function checkAuth(core: EmulatorCore, method: string, token: string | undefined): ApiError | undefined {
  const { botToken, appToken } = core;
  if (method === 'apps.connections.open') {
    if (token === undefined) return new ApiError('not_authed');
    if (token === botToken) return new ApiError('not_allowed_token_type');
    if (token !== appToken) return new ApiError('invalid_auth');
    return undefined;
  }
  if (token === undefined) return new ApiError('not_authed');
  if (token === appToken) return new ApiError('not_allowed_token_type');
  if (token !== botToken) return new ApiError('invalid_auth');
  return undefined;
}

function callMethod(
  core: EmulatorCore,
  method: string,
  token: string | undefined,
  args: Record<string, unknown>,
  malformed: string[],
): Reply {
  const failure = takeFailure(core, method, args);
  if (failure && !('slowMs' in failure)) return failureReply(failure);
  const reply = answerMethod(core, method, token, args, malformed);
  return failure ? { ...reply, delayMs: failure.slowMs } : reply;
}

function answerMethod(
  core: EmulatorCore,
  method: string,
  token: string | undefined,
  args: Record<string, unknown>,
  malformed: string[],
): Reply {
  const handler = core.methods[method];
  if (method !== 'apps.connections.open' && !handler) {
    if (!core.unknownMethods.includes(method)) core.unknownMethods.push(method);
    return json(404, { ok: false, error: 'unknown_method' });
  }
  const authError = checkAuth(core, method, token);
  if (authError) return apiErrorReply(authError);
  if (malformed.includes('body')) return apiErrorReply(new ApiError('invalid_json'));
  if (!handler) return json(200, { ok: true, url: core.socketMode.openUrl() });
  try {
    return json(200, { ok: true, ...handler({ args, malformed }) });
  } catch (e) {
    if (e instanceof ApiError) return apiErrorReply(e);
    throw e;
  }
}

function handleResponseUrl(core: EmulatorCore, urlId: string, args: Record<string, unknown>, malformed: string[]): Reply {
  const failure = takeFailure(core, 'response_url');
  if (failure && !('slowMs' in failure)) return failureReply(failure);
  const entry = core.responseUrls.get(urlId);
  if (!entry) return json(404, { ok: false, error: 'expired_url' });
  entry.uses += 1;
  if (entry.uses > RESPONSE_URL_MAX_USES) return json(404, { ok: false, error: 'used_url' });
  try {
    checkMessageContent(args, malformed, args.delete_original !== true && args.delete_original !== 'true');
    return applyResponse(core, entry.context, args);
  } catch (e) {
    if (e instanceof ApiError) {
      const reply = apiErrorReply(e);
      return { ...reply, status: 400 };
    }
    throw e;
  }
}

/** A response_url post: replaces or deletes the original, posts in the channel, or answers the user alone. */
function applyResponse(core: EmulatorCore, context: ResponseUrlContext, args: Record<string, unknown>): Reply {
  const { state, botUserId } = core;
  const { channel, messageTs, userId, threadTs } = context;
  if (channel === undefined) return json(200, { ok: true });
  const replace = args.replace_original === true || args.replace_original === 'true';
  const remove = args.delete_original === true || args.delete_original === 'true';
  if (remove || replace) {
    const target = messageTs === undefined ? undefined : state.find(channel, messageTs);
    if (!target) return json(404, { ok: false, error: 'message_not_found' });
    if (remove) {
      state.remove(channel, target.ts);
    } else {
      if (typeof args.text === 'string') target.text = args.text;
      target.blocks = Array.isArray(args.blocks) ? args.blocks : undefined;
      if (Array.isArray(args.attachments)) target.attachments = args.attachments;
      target.edited = { user: botUserId, ts: state.nextTs() };
    }
  } else if (args.response_type === 'in_channel') {
    const thread = typeof args.thread_ts === 'string' ? args.thread_ts : threadTs;
    core.methods['chat.postMessage']?.({ args: { ...args, channel, ...(thread ? { thread_ts: thread } : {}) }, malformed: [] });
  } else {
    state.addEphemeral({
      type: 'message',
      channel,
      ts: state.nextTs(),
      text: typeof args.text === 'string' ? args.text : '',
      user: botUserId,
      ...(Array.isArray(args.blocks) ? { blocks: args.blocks } : {}),
      // Slack shows an ephemeral answer to a click in a thread in that thread.
      ...(threadTs ? { thread_ts: threadTs } : {}),
      recipient: userId ?? 'unknown',
    });
  }
  return json(200, { ok: true });
}

function handleUpload(core: EmulatorCore, fileId: string, file: { bytes: Buffer; contentType?: string } | undefined): Reply {
  const failure = takeFailure(core, 'upload_url');
  if (failure && !('slowMs' in failure)) return failureReply(failure);
  const stored = core.state.files.get(fileId);
  if (!stored) return { status: 404, body: 'Not Found', headers: { 'content-type': 'text/plain' } };
  stored.bytes = file?.bytes ?? Buffer.alloc(0);
  stored.size = stored.bytes.length;
  stored.uploaded = true;
  stored.created = Math.floor(core.clock() / 1000);
  if (file?.contentType && file.contentType !== 'application/octet-stream' && !file.contentType.startsWith('multipart/')) {
    stored.mimetype = file.contentType;
  }
  return { status: 200, body: `OK - ${stored.size}`, headers: { 'content-type': 'text/plain; charset=utf-8' } };
}

type InputBlock = {
  type: string;
  block_id?: string;
  optional?: boolean;
  element?: { type: string; action_id: string; options?: { value: string; text: unknown }[] };
};

function viewSubmissionPayload(
  view: Record<string, unknown> | undefined,
  viewId: string,
  inputs: Record<string, string>,
  user: string,
): Record<string, unknown> {
  if (!view) throw new Error(`viewSubmission: no open view ${viewId}`);
  const blocks = ((view.blocks as InputBlock[] | undefined) ?? []).filter((b) => b.type === 'input' && b.block_id && b.element);
  const known = new Set(blocks.map((b) => b.block_id));
  for (const key of Object.keys(inputs)) if (!known.has(key)) throw new Error(`viewSubmission: the view has no input block ${key}`);
  const values: Record<string, Record<string, unknown>> = {};
  for (const b of blocks) {
    const el = b.element!;
    const given = inputs[b.block_id!];
    if ((given === undefined || given === '') && !b.optional)
      throw new Error(`viewSubmission: Slack does not submit the form while ${b.block_id} is empty`);
    if (el.type === 'static_select') {
      const option = el.options?.find((o) => o.value === given);
      if (given !== undefined && !option) throw new Error(`viewSubmission: the select ${b.block_id} offers no option ${given}`);
      values[b.block_id!] = { [el.action_id]: { type: 'static_select', selected_option: option ? structuredClone(option) : null } };
    } else {
      values[b.block_id!] = { [el.action_id]: { type: el.type, value: given ?? null } };
    }
  }
  return {
    type: 'view_submission',
    team: { id: view.team_id, domain: 'emulated' },
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: view.team_id },
    api_app_id: view.app_id,
    token: 'legacy-verification-token',
    trigger_id: `${Date.now()}.${Math.floor(Math.random() * 1e9)}.${viewId.toLowerCase()}`,
    view: { ...structuredClone(view), state: { values } },
    response_urls: [],
    is_enterprise_install: false,
  };
}
