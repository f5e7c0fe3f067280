import net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const TERMINATE = 0x58; // 'X'
const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I': ReadyForQuery outside a transaction block
const SYNC = Uint8Array.from([0x53, 0, 0, 0, 4]);

export interface PGliteServer {
  /** host:port of the loopback listener. */
  readonly address: string;
  /** Connections that are open now. */
  connections(): number;
  stop(): Promise<void>;
}

/**
 * Serves one PGlite instance to many PostgreSQL wire-protocol connections on a loopback port.
 *
 * PGlite is a single backend session, so connections cannot run side by side the way they do
 * on a server. Each connection gets the session to itself from its first message until the
 * session answers ReadyForQuery with status 'I' (idle, outside a transaction): a whole
 * extended-protocol exchange (Parse … Sync) or a whole transaction (BEGIN … COMMIT) runs
 * without another connection's messages in between. The others wait their turn in order.
 *
 * A connection that closes while it holds the session gets an implicit Sync and, inside a
 * transaction, a ROLLBACK, before the next connection runs.
 */
export async function startPGliteServer(db: PGlite, opts: { host?: string; port?: number } = {}): Promise<PGliteServer> {
  await db.waitReady;
  const session = createSessionLock();
  const open = new Set<net.Socket>();

  const server = net.createServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    serveConnection(db, session, socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as net.AddressInfo;
  return {
    address: `${addr.address}:${addr.port}`,
    connections: () => open.size,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of open) s.destroy();
      await closed;
      // A connection that was mid-transaction rolls back before the caller closes PGlite.
      await session.idle();
    },
  };
}

/** FIFO ownership of the one PGlite session. */
function createSessionLock() {
  let owner: object | null = null;
  const waiting: { who: object; grant: () => void }[] = [];
  let drained: (() => void)[] = [];
  return {
    acquire(who: object): Promise<void> {
      if (owner === who) return Promise.resolve();
      if (owner === null) {
        owner = who;
        return Promise.resolve();
      }
      return new Promise<void>((grant) => waiting.push({ who, grant }));
    },
    release(who: object): void {
      if (owner !== who) return;
      const next = waiting.shift();
      owner = next?.who ?? null;
      if (next) next.grant();
      else {
        for (const d of drained) d();
        drained = [];
      }
    },
    /** Drops a closed connection from the queue. */
    forget(who: object): void {
      const i = waiting.findIndex((w) => w.who === who);
      if (i >= 0) waiting.splice(i, 1);
    },
    idle(): Promise<void> {
      return owner === null ? Promise.resolve() : new Promise<void>((resolve) => drained.push(resolve));
    },
  };
}

type SessionLock = ReturnType<typeof createSessionLock>;

/**
 * Splits the client's byte stream into what PGlite can run whole: the startup packet first, then batches of complete
 * messages. An SSL or GSSAPI request is answered with `refuseEncryption` (the client then carries on in the clear).
 */
function createMessageFramer(refuseEncryption: () => void) {
  let pending: Buffer = Buffer.alloc(0);
  let started = false;

  /** The next batch of whole messages to hand to PGlite, or what to do instead. */
  const take = (): Uint8Array | 'wait' | 'close' => {
    if (!started) {
      if (pending.length < 8) return 'wait';
      const len = pending.readInt32BE(0);
      const code = pending.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        pending = pending.subarray(8);
        refuseEncryption();
        return take();
      }
      // PGlite has no second backend to signal: a cancel request is read and the connection closed.
      if (code === CANCEL_REQUEST) return 'close';
      if (code !== PROTOCOL_3 || len < 8 || len > 10_000) return 'close';
      if (pending.length < len) return 'wait';
      const startup = new Uint8Array(pending.subarray(0, len));
      pending = pending.subarray(len);
      started = true;
      return startup;
    }
    let end = 0;
    while (pending.length - end >= 5) {
      if (pending[end] === TERMINATE) {
        if (end === 0) return 'close';
        break;
      }
      const len = 1 + pending.readInt32BE(end + 1);
      if (pending.length - end < len) break;
      end += len;
    }
    if (end === 0) return 'wait';
    const batch = new Uint8Array(pending.subarray(0, end));
    pending = pending.subarray(end);
    return batch;
  };

  return {
    push(chunk: Buffer): void {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    },
    take,
  };
}

function serveConnection(db: PGlite, session: SessionLock, socket: net.Socket): void {
  socket.setNoDelay(true);
  const me = {};
  const messages = createMessageFramer(() => socket.write('N'));
  let closed = false;
  let holding = false;
  let working: Promise<void> = Promise.resolve();
  // Tracks the backend's answers across chunks, to see where an exchange ends.
  const replies = createReplyScanner();

  const run = async (message: Uint8Array, forward: boolean): Promise<void> => {
    replies.reset();
    await db.runExclusive(() =>
      db.execProtocolRawStream(message, {
        onRawData: (data) => {
          replies.feed(data);
          if (forward && !socket.destroyed) socket.write(Buffer.from(data));
        },
      }),
    );
  };

  /** Runs every complete message received so far, in order, holding the session until it is idle again. */
  const pump = async (): Promise<void> => {
    while (!closed) {
      const next = messages.take();
      if (next === 'wait') return;
      if (next === 'close') {
        socket.end();
        return;
      }
      if (!holding) {
        await session.acquire(me);
        holding = true;
        if (closed) return;
      }
      await run(next, true);
      if (replies.idle()) {
        holding = false;
        session.release(me);
      }
    }
  };

  const chain = (step: () => Promise<void>) => {
    working = working.then(step).catch((err: unknown) => {
      socket.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  };

  socket.on('data', (chunk: Buffer) => {
    messages.push(chunk);
    chain(pump);
  });
  socket.on('error', () => undefined);
  socket.once('close', () => {
    closed = true;
    session.forget(me);
    chain(async () => {
      if (!holding) return;
      // Ends an unfinished exchange, then any transaction it left open, so the next connection starts clean.
      try {
        if (!replies.idle()) await run(SYNC, false);
        if (!replies.idle()) await run(simpleQuery('ROLLBACK'), false);
      } finally {
        holding = false;
        session.release(me);
      }
    });
  });
}

function simpleQuery(sql: string): Uint8Array {
  const text = Buffer.from(sql + '\0');
  const out = Buffer.alloc(5 + text.length);
  out[0] = 0x51; // 'Q'
  out.writeInt32BE(4 + text.length, 1);
  text.copy(out, 5);
  return out;
}

/** Follows backend message boundaries in a byte stream; knows whether the last message was ReadyForQuery 'I'. */
function createReplyScanner() {
  let header: number[] = []; // type byte and length of the message being read
  let type = 0;
  let body = 0; // body bytes of the current message still to come
  let atBodyStart = false;
  let lastWasIdle = false;
  return {
    reset() {
      header = [];
      body = 0;
      atBodyStart = false;
      lastWasIdle = false;
    },
    feed(data: Uint8Array) {
      let i = 0;
      while (i < data.length) {
        if (body > 0) {
          if (atBodyStart) {
            lastWasIdle = type === READY_FOR_QUERY && data[i] === IDLE;
            atBodyStart = false;
          }
          const n = Math.min(body, data.length - i);
          body -= n;
          i += n;
          continue;
        }
        header.push(data[i]!);
        i += 1;
        if (header.length === 5) {
          type = header[0]!;
          body = ((header[1]! << 24) | (header[2]! << 16) | (header[3]! << 8) | header[4]!) - 4;
          header = [];
          atBodyStart = true;
          lastWasIdle = false;
        }
      }
    },
    idle: () => lastWasIdle && body === 0,
  };
}
