import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * The Socket Mode side of the emulated Slack: apps.connections.open hands out a one-use ws:// URL, the connection
 * starts with `hello`, envelopes pushed to the app carry an `envelope_id` it must ack (with an optional response
 * payload), and `disconnect` asks it to reconnect, the way Slack does (https://api.slack.com/apis/socket-mode).
 */

export type EnvelopeType = 'events_api' | 'slash_commands' | 'interactive';

export interface SocketAck {
  envelopeId: string;
  /** The envelope's type, or `unknown` for an ack naming no envelope the emulator sent. */
  type: EnvelopeType | 'unknown';
  /** The response payload the app sent with its ack (a slash command's answer), if any. */
  payload: unknown;
  /** Which connection (1 for the first opened) carried the ack. */
  connection: number;
  at: number;
}

export interface SocketEnvelopeRecord {
  envelopeId: string;
  type: EnvelopeType;
  payload: Record<string, unknown>;
  /** The connection it was written to, undefined while it waits for one. */
  connection?: number;
}

export interface SocketModeEmulator {
  /** Connections opened so far (each after a `hello`). */
  connectionCount(): number;
  /** Resolves once the `n`th connection (1-based) has been sent its `hello`; rejects after `timeoutMs` (10000). */
  waitForConnection(n: number, timeoutMs?: number): Promise<void>;
  /**
   * Pushes an envelope to the app on its newest live connection (or on the next one to open, if none is live now,
   * as Slack holds deliveries across a reconnect). Returns the envelope id.
   */
  send(type: EnvelopeType, payload: Record<string, unknown>, opts?: { acceptsResponsePayload?: boolean }): string;
  /** Every envelope pushed, in order. */
  envelopes(): SocketEnvelopeRecord[];
  /** Every ack received, in arrival order (duplicates included). */
  acks(): SocketAck[];
  /** Resolves with the first ack of `envelopeId`; rejects after `timeoutMs` (10000). */
  waitForAck(envelopeId: string, timeoutMs?: number): Promise<SocketAck>;
  /**
   * Sends `{type: 'disconnect', reason}` on every live connection; those connections get no further envelopes and
   * are closed by the emulator after `closeAfterMs` (Slack closes them about 10 s later) unless the app closes first.
   */
  requestDisconnect(reason?: 'refresh_requested' | 'warning' | 'link_disabled', closeAfterMs?: number): void;
  /** Drops every live connection without a word (a network failure). */
  dropConnections(): void;
}

interface Connection {
  id: number;
  ws: WebSocket;
  retiring: boolean;
}

export interface SocketModeServer {
  emulator: SocketModeEmulator;
  /** For apps.connections.open: a fresh one-use URL. */
  openUrl(): string;
  /** Hand an HTTP upgrade here; false if the path is not Socket Mode's. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): void;
}

interface SocketModeOptions {
  wsBaseUrl: () => string;
  appId: string;
  clock: () => number;
  /** How often the server pings each connection (the client gives up after 30 s without one). */
  pingIntervalMs?: number;
}

/** The server's connections, what it pushed and what came back. */
interface SocketState {
  opts: SocketModeOptions;
  /** The one-use tickets apps.connections.open handed out. */
  tickets: Set<string>;
  live: Connection[];
  envelopes: SocketEnvelopeRecord[];
  acks: SocketAck[];
  /** Envelopes sent while no connection was live, for the next one. */
  pending: Array<{ record: SocketEnvelopeRecord; acceptsResponsePayload: boolean }>;
  events: EventEmitter;
  timers: Set<NodeJS.Timeout>;
  /** Connections opened so far. */
  opened: number;
}

export function createSocketModeServer(opts: SocketModeOptions): SocketModeServer {
  const wss = new WebSocketServer({ noServer: true });
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const s: SocketState = { opts, tickets: new Set(), live: [], envelopes: [], acks: [], pending: [], events, timers: new Set(), opened: 0 };
  return {
    emulator: socketModeEmulator(s),
    openUrl() {
      const ticket = randomBytes(12).toString('hex');
      s.tickets.add(ticket);
      return `${opts.wsBaseUrl()}/link/?ticket=${ticket}&app_id=${opts.appId}`;
    },
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== '/link/' && url.pathname !== '/link') return false;
      const ticket = url.searchParams.get('ticket') ?? '';
      if (!s.tickets.delete(ticket)) {
        // A URL is good for one connection: Slack refuses a reused or unknown ticket before the upgrade.
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => accept(s, ws));
      return true;
    },
    close() {
      for (const t of s.timers) clearTimeout(t);
      s.timers.clear();
      for (const conn of [...s.live]) conn.ws.terminate();
      wss.close();
    },
  };
}

/** What tests drive: push envelopes, read acks, ask for a reconnect or drop the connections. */
function socketModeEmulator(s: SocketState): SocketModeEmulator {
  return {
    connectionCount: () => s.opened,
    waitForConnection: (n, timeoutMs = 10_000) =>
      waitFor(s, () => (s.opened >= n ? true : undefined), 'connection', `no connection #${n}`, timeoutMs).then(() => undefined),
    send(type, payload, sendOpts = {}) {
      const record: SocketEnvelopeRecord = { envelopeId: randomUUID(), type, payload: structuredClone(payload) };
      s.envelopes.push(record);
      const acceptsResponsePayload = sendOpts.acceptsResponsePayload ?? type !== 'events_api';
      const conn = current(s);
      if (conn) deliver(record, conn, acceptsResponsePayload);
      else s.pending.push({ record, acceptsResponsePayload });
      return record.envelopeId;
    },
    envelopes: () => s.envelopes.map((e) => ({ ...e })),
    acks: () => s.acks.map((a) => ({ ...a })),
    waitForAck: (envelopeId, timeoutMs = 10_000) =>
      waitFor(s, () => s.acks.find((a) => a.envelopeId === envelopeId), 'ack', `no ack of ${envelopeId}`, timeoutMs),
    requestDisconnect(reason = 'refresh_requested', closeAfterMs = 10_000) {
      for (const conn of [...s.live]) {
        if (conn.retiring) continue;
        conn.retiring = true;
        conn.ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'emulator' } }));
        const timer = setTimeout(() => {
          s.timers.delete(timer);
          conn.ws.terminate();
        }, closeAfterMs);
        s.timers.add(timer);
      }
    },
    dropConnections() {
      for (const conn of [...s.live]) conn.ws.terminate();
    },
  };
}

/** The newest live connection not asked to disconnect. */
function current(s: SocketState): Connection | undefined {
  for (let i = s.live.length - 1; i >= 0; i--) {
    const c = s.live[i];
    if (c && !c.retiring && c.ws.readyState === WebSocket.OPEN) return c;
  }
  return undefined;
}

function deliver(record: SocketEnvelopeRecord, conn: Connection, acceptsResponsePayload: boolean): void {
  record.connection = conn.id;
  conn.ws.send(
    JSON.stringify({
      envelope_id: record.envelopeId,
      payload: record.payload,
      type: record.type,
      accepts_response_payload: acceptsResponsePayload,
      ...(record.type === 'events_api' ? { retry_attempt: 0, retry_reason: '' } : {}),
    }),
  );
}

function onMessage(s: SocketState, conn: Connection, data: Buffer): void {
  let msg: { envelope_id?: unknown; payload?: unknown };
  try {
    msg = JSON.parse(data.toString('utf8')) as typeof msg;
  } catch {
    return;
  }
  if (typeof msg.envelope_id !== 'string') return;
  const sent = s.envelopes.find((e) => e.envelopeId === msg.envelope_id);
  const ack: SocketAck = {
    envelopeId: msg.envelope_id,
    type: sent?.type ?? 'unknown',
    payload: msg.payload,
    connection: conn.id,
    at: s.opts.clock(),
  };
  s.acks.push(ack);
  s.events.emit('ack', ack);
}

/** A new connection: pinged, greeted with `hello`, then handed the envelopes that waited for it. */
function accept(s: SocketState, ws: WebSocket): void {
  s.opened += 1;
  const conn: Connection = { id: s.opened, ws, retiring: false };
  s.live.push(conn);
  const ping = setInterval(() => ws.ping(), s.opts.pingIntervalMs ?? 10_000);
  s.timers.add(ping);
  ws.on('message', (data: Buffer) => onMessage(s, conn, data));
  ws.on('close', () => {
    clearInterval(ping);
    s.timers.delete(ping);
    const at = s.live.indexOf(conn);
    if (at >= 0) s.live.splice(at, 1);
  });
  ws.on('error', () => ws.terminate());
  ws.send(
    JSON.stringify({
      type: 'hello',
      num_connections: s.live.length,
      debug_info: { host: 'emulator', build_number: 1, approximate_connection_time: 18060 },
      connection_info: { app_id: s.opts.appId },
    }),
  );
  s.events.emit('connection', conn.id);
  for (const { record, acceptsResponsePayload } of s.pending.splice(0)) deliver(record, conn, acceptsResponsePayload);
}

function waitFor<T>(s: SocketState, find: () => T | undefined, event: string, what: string, timeoutMs: number): Promise<T> {
  const found = find();
  if (found !== undefined) return Promise.resolve(found);
  return new Promise<T>((resolve, reject) => {
    const listener = (): void => {
      const hit = find();
      if (hit === undefined) return;
      clearTimeout(timer);
      s.events.off(event, listener);
      resolve(hit);
    };
    const timer = setTimeout(() => {
      s.events.off(event, listener);
      reject(new Error(`Socket Mode emulator: ${what} within ${timeoutMs} ms (connections: ${s.opened}, acks: ${s.acks.length})`));
    }, timeoutMs);
    s.events.on(event, listener);
  });
}
