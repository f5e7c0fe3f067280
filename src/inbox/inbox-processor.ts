import { isConnectionError } from '../errors';
import type { Logger } from '../logger';
import type { ClaimedDelivery, InboxDelivery, InboxStore } from '../domain/inbox-delivery';
import type { DeliverySpool } from './delivery-spool';

/**
 * The durable inbox: `accept` records a delivery (in PostgreSQL, or in the spool file while PostgreSQL is
 * down) and only then may the caller acknowledge it; the processor claims recorded deliveries under a lease,
 * runs the handler, and marks a delivery done only when the handler has finished. A replica killed mid-way
 * leaves its rows to be taken over when the lease runs out; one stopped with SIGTERM finishes what it has
 * started and hands the rest back.
 *
 * @example
 *   const inbox = createInboxProcessor({ store, spool, owner: replicaId, handle: (d) => app.processEvent(...), logger });
 *   inbox.start();
 *   const outcome = await inbox.accept({ eventId, orderKey: channel, body });   // then answer Slack 200
 *   await inbox.stop(10_000);                                                   // on SIGTERM
 */
export interface InboxProcessor {
  /** 'recorded' (new), 'duplicate' (already in the inbox), 'spooled' (PostgreSQL down: kept on disk). Throws when neither could keep it. */
  accept(delivery: InboxDelivery): Promise<'recorded' | 'duplicate' | 'spooled'>;
  /** False once stopping: new deliveries are refused so that Slack sends them to another replica. */
  accepting(): boolean;
  start(): void;
  /** Stops claiming, hands back what has not started, waits up to `timeoutMs` for handlers running now. */
  stop(timeoutMs: number): Promise<{ handedBack: number; unfinished: number }>;
  /** Deliveries in the spool file of this process, waiting for PostgreSQL. */
  spooled(): number;
}

export interface InboxProcessorDeps {
  store: InboxStore;
  spool: DeliverySpool;
  /** This replica's id: the lease owner. */
  owner: string;
  /** Runs a delivery to completion; throws when its effects could not all be recorded. */
  handle(delivery: ClaimedDelivery): Promise<void>;
  logger: Logger;
  /** How many deliveries run at once (different order keys). */
  concurrency?: number;
  leaseMs?: number;
  pollMs?: number;
  /** Failures that are an outage upstream: retried without limit, like storage outages. */
  isTransient?(err: unknown): boolean;
  /** A handler failing this many times on something other than an outage is given up (logged, kept in the table). */
  maxAttempts?: number;
  /** How long an insert may take before the delivery goes to the spool instead (Slack wants an answer within 3 s). */
  insertTimeoutMs?: number;
  onChange?(counts: { spooled: number }): void;
}

export const INBOX_LEASE_MS = 10_000;

/** The deps with their defaults filled in. */
interface Settings extends InboxProcessorDeps {
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  maxAttempts: number;
  insertTimeoutMs: number;
  /** How many claimed deliveries this process keeps queued or running at most. */
  prefetch: number;
}

/** Where the processor is in its life: read by every part, set only by `start` and `stop`. */
interface Status {
  started: boolean;
  stopping: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`the inbox insert took longer than ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
    }),
  ]).finally(() => clearTimeout(timer));
};

/** Recording an outcome must outlive a brief outage, or the delivery would run twice: retried 20 times, 500 ms apart. */
async function retryThroughOutage(status: Status, write: () => Promise<unknown>, giveUp: (err: unknown) => void): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await write();
      return;
    } catch (err) {
      if (status.stopping || attempt >= 20) {
        giveUp(err);
        return;
      }
      await sleep(500);
    }
  }
}

/** At most `n` handlers at once. */
function createSlots(n: number) {
  let free = n;
  const waiters: (() => void)[] = [];
  return {
    acquire: () => (free > 0 ? (free--, Promise.resolve()) : new Promise<void>((r) => waiters.push(r))),
    release: () => {
      const next = waiters.shift();
      if (next) next();
      else free++;
    },
    /** Lets every waiter go (they see `stopping` and give their slot back). */
    wakeAll: () => {
      for (const w of waiters.splice(0)) w();
    },
  };
}

type DoneMarks = ReturnType<typeof createDoneMarks>;

/**
 * Finished deliveries are marked done in batches, off the path of the next delivery of their key: one statement
 * for all that finished meanwhile. Until its mark is written a row stays leased to this replica (the heartbeat
 * renews it); one whose mark is lost with the process runs again, which is a duplicate to the handlers.
 */
function createDoneMarks(s: Settings, status: Status, forget: (eventId: string) => void) {
  const finished: string[] = [];
  let marking: Promise<void> | undefined;
  const writeMarks = async () => {
    await new Promise<void>((r) => setImmediate(r));
    while (finished.length) {
      const batch = finished.splice(0, 500);
      await retryThroughOutage(
        status,
        () => s.store.complete(batch, s.owner),
        (err) =>
          s.logger.warn(
            { count: batch.length, err: { message: (err as Error).message } },
            'could not mark deliveries done; their lease will run out and they will run again',
          ),
      );
      for (const id of batch) forget(id);
    }
    marking = undefined;
  };
  return {
    add: (eventId: string) => {
      finished.push(eventId);
      marking ??= writeMarks();
    },
    /** The batch being written now, if any. */
    writing: () => marking,
  };
}

/** Records a failed run: handed back to be run again, or given up. */
async function recordFailure(s: Settings, d: ClaimedDelivery, err: unknown): Promise<void> {
  const { store, owner, logger } = s;
  if (isConnectionError(err)) {
    // The effects were not all recorded: the delivery goes back and is run again when storage answers.
    logger.warn({ reqId: d.eventId, err: { message: (err as Error).message } }, 'delivery handed back: storage unavailable');
    return store.release([d.eventId], owner, 1_000);
  }
  if (s.isTransient?.(err)) {
    // An upstream outage (Slack): kept, and tried again for as long as it lasts — never given up.
    logger.warn(
      { reqId: d.eventId, attempts: d.attempts, err: { message: (err as Error).message } },
      'delivery handed back: upstream unavailable',
    );
    return store.release([d.eventId], owner, Math.min(30_000, 1_000 * 2 ** Math.min(d.attempts, 5)));
  }
  if (d.attempts >= s.maxAttempts) {
    logger.error(
      { reqId: d.eventId, attempts: d.attempts, err: { message: (err as Error).message } },
      'delivery given up after repeated failures',
    );
    return store.fail(d.eventId, owner, (err as Error).message ?? String(err));
  }
  logger.warn({ reqId: d.eventId, attempts: d.attempts, err: { message: (err as Error).message } }, 'delivery failed; it will be retried');
  return store.release([d.eventId], owner, Math.min(30_000, 500 * 2 ** d.attempts));
}

/** Runs the handler, then records the outcome: done (in the next batch of marks), handed back, or given up. */
async function runDelivery(s: Settings, status: Status, marks: DoneMarks, d: ClaimedDelivery, forget: (eventId: string) => void) {
  let error: unknown;
  try {
    await s.handle(d);
  } catch (err) {
    error = err ?? new Error('handler failed');
  }
  if (error === undefined) return marks.add(d.eventId);
  try {
    await retryThroughOutage(
      status,
      () => recordFailure(s, d, error),
      (err) =>
        s.logger.warn(
          { reqId: d.eventId, err: { message: (err as Error).message } },
          'could not record the delivery outcome; its lease will run out and it will run again',
        ),
    );
  } finally {
    forget(d.eventId);
  }
}

type KeyQueues = ReturnType<typeof createKeyQueues>;

/**
 * The claimed deliveries of this process, one queue per order key: a key's deliveries run one after another, different
 * keys side by side (up to `concurrency`). `kick` is called whenever a slot frees up, to claim more.
 */
function createKeyQueues(s: Settings, status: Status, kick: () => void) {
  const queues = new Map<string, ClaimedDelivery[]>();
  const activeKeys = new Set<string>();
  const running = new Map<string, Promise<void>>();
  /** Claimed rows this process is still working on (queued or running): the only leases the heartbeat renews. */
  const heldIds = new Set<string>();
  let held = 0;
  const slots = createSlots(s.concurrency);
  const forget = (eventId: string) => heldIds.delete(eventId);
  const marks = createDoneMarks(s, status, forget);

  const drainKey = async (key: string) => {
    activeKeys.add(key);
    try {
      for (;;) {
        const q = queues.get(key);
        if (!q?.length || status.stopping) break;
        await slots.acquire();
        if (status.stopping) {
          slots.release();
          break;
        }
        const d = q.shift()!;
        const p = runDelivery(s, status, marks, d, forget);
        running.set(d.eventId, p);
        try {
          await p;
        } finally {
          running.delete(d.eventId);
          held--;
          slots.release();
        }
        kick();
      }
    } finally {
      activeKeys.delete(key);
      if (!queues.get(key)?.length) queues.delete(key);
    }
    if (!status.stopping) kick();
  };

  return {
    enqueue: (d: ClaimedDelivery) => {
      held++;
      heldIds.add(d.eventId);
      const q = queues.get(d.orderKey) ?? [];
      q.push(d);
      queues.set(d.orderKey, q);
      if (!activeKeys.has(d.orderKey)) void drainKey(d.orderKey);
    },
    held: () => held,
    heldIds: () => [...heldIds],
    /** On stop: empties the queues and returns what had not started, which is no longer this process's. */
    takeQueued: (): string[] => {
      slots.wakeAll();
      const notStarted = [...queues.values()].flat().map((d) => d.eventId);
      queues.clear();
      for (const id of notStarted) heldIds.delete(id);
      held -= notStarted.length;
      return notStarted;
    },
    running: () => [...running.keys()],
    /** Waits up to `timeoutMs` for the running handlers; returns those still running. */
    settle: async (timeoutMs: number): Promise<string[]> => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...running.values()]), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
      return [...running.keys()];
    },
    marksWritten: () => marks.writing(),
  };
}

/** Leases recorded deliveries into the key queues; one claim at a time. */
function createClaimer(s: Settings, status: Status, queues: KeyQueues) {
  let claiming = false;
  const claimSome = async () => {
    // A claim scans the pending rows: while a backlog keeps the local queues stocked, claim once half of them is
    // worked off (one bigger claim) rather than after every delivery.
    if (claiming || status.stopping || queues.held() > s.prefetch / 2) return;
    claiming = true;
    try {
      const rows = await s.store.claim(s.owner, s.prefetch - queues.held(), s.leaseMs);
      if (status.stopping) {
        await s.store
          .release(
            rows.map((r) => r.eventId),
            s.owner,
          )
          .catch(() => undefined);
        return;
      }
      for (const d of rows) queues.enqueue(d);
    } catch (err) {
      if (!isConnectionError(err)) s.logger.warn({ err: { message: (err as Error).message } }, 'claiming inbox deliveries failed');
    } finally {
      claiming = false;
    }
  };
  return {
    claimSome,
    /** Resolves once no claim is under way (one started before stop hands its rows back itself). */
    settled: async () => {
      while (claiming) await sleep(20);
    },
  };
}

/** Getting deliveries into the inbox: straight into the store, or into the spool while the store is down. */
function createIntake(s: Settings, status: Status, kick: () => void) {
  const { store, spool, logger } = s;
  let replaying = false;
  let storageDownUntil = 0;
  const changed = () => s.onChange?.({ spooled: spool.size() });

  const accept = async (delivery: InboxDelivery): Promise<'recorded' | 'duplicate' | 'spooled'> => {
    if (status.stopping) throw new Error('stopping: not accepting new deliveries');
    if (Date.now() >= storageDownUntil) {
      try {
        const added = await withTimeout(store.add(delivery), s.insertTimeoutMs);
        kick();
        return added ? 'recorded' : 'duplicate';
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        // Skip the database for a moment: each try would cost Slack's 3 s answer window.
        storageDownUntil = Date.now() + 1_000;
      }
    }
    // An insert that timed out may still land: the replay's ON CONFLICT makes that harmless.
    await spool.append(delivery);
    changed();
    return 'spooled';
  };

  const replaySpool = async () => {
    if (replaying) return;
    replaying = true;
    try {
      const added = await spool.replay((batch) => store.addMany(batch));
      if (added) logger.info({ replayed: added }, 'spooled deliveries moved into the inbox after the storage outage');
      changed();
    } catch (err) {
      if (!isConnectionError(err)) logger.warn({ err: { message: (err as Error).message } }, 'replaying the delivery spool failed');
    } finally {
      replaying = false;
    }
  };

  return { accept, replaySpool };
}

/** The heartbeat (this replica alive, its leases renewed) and the poll; returns what stops both. */
function startTimers(s: Settings, queues: KeyQueues, claimSome: () => Promise<void>, replaySpool: () => Promise<void>): () => void {
  const { store, owner, leaseMs, logger } = s;
  const beat = () =>
    store.heartbeat(owner, leaseMs, queues.heldIds()).catch((err: Error) => {
      if (!isConnectionError(err)) logger.warn({ err: { message: err.message } }, 'inbox heartbeat failed');
    });
  void beat();
  const beatTimer = setInterval(() => void beat(), Math.max(500, Math.floor(leaseMs / 3)));
  // Deliveries this replica accepts kick the claim at once; the poll finds the others' and taken-over rows.
  let ticks = 0;
  const pollTimer = setInterval(() => {
    void claimSome();
    if (ticks++ % 5 === 0) void replaySpool();
  }, s.pollMs);
  void replaySpool();
  return () => {
    clearInterval(pollTimer);
    clearInterval(beatTimer);
  };
}

/** Hands back what has not started, waits up to `timeoutMs` for handlers running now, and retires this replica. */
async function handBack(s: Settings, queues: KeyQueues, claimer: ReturnType<typeof createClaimer>, timeoutMs: number) {
  const { store, owner, logger } = s;
  // Queued, not started: back to the inbox at once, for the other replicas.
  const notStarted = queues.takeQueued();
  await claimer.settled();
  try {
    await store.release(notStarted, owner);
  } catch (err) {
    logger.warn(
      { err: { message: (err as Error).message }, count: notStarted.length },
      'could not hand deliveries back; their lease will run out',
    );
  }
  const inFlight = queues.running();
  const unfinished = await queues.settle(timeoutMs);
  await queues.marksWritten();
  if (unfinished.length) {
    await store.release(unfinished, owner).catch(() => undefined);
    logger.error(
      { unfinished: unfinished.length },
      'handlers still running at shutdown: their deliveries were handed back and will run again',
    );
  }
  await store.retire(owner).catch(() => undefined);
  logger.info({ handedBack: notStarted.length + unfinished.length, finished: inFlight.length - unfinished.length }, 'inbox stopped');
  return { handedBack: notStarted.length + unfinished.length, unfinished: unfinished.length };
}

export function createInboxProcessor(deps: InboxProcessorDeps): InboxProcessor {
  const concurrency = deps.concurrency ?? 16;
  const s: Settings = {
    ...deps,
    concurrency,
    leaseMs: deps.leaseMs ?? INBOX_LEASE_MS,
    pollMs: deps.pollMs ?? 250,
    maxAttempts: deps.maxAttempts ?? 5,
    insertTimeoutMs: deps.insertTimeoutMs ?? 1_500,
    prefetch: concurrency * 4,
  };
  const status: Status = { started: false, stopping: false };
  const kick = () => {
    if (status.started && !status.stopping) void claimer.claimSome();
  };
  const queues = createKeyQueues(s, status, kick);
  const claimer = createClaimer(s, status, queues);
  const intake = createIntake(s, status, kick);
  let stopTimers: (() => void) | undefined;

  return {
    accept: intake.accept,
    accepting: () => !status.stopping,
    start: () => {
      if (status.started) return;
      status.started = true;
      stopTimers = startTimers(s, queues, claimer.claimSome, intake.replaySpool);
    },
    stop: async (timeoutMs) => {
      status.stopping = true;
      stopTimers?.();
      return handBack(s, queues, claimer, timeoutMs);
    },
    spooled: () => s.spool.size(),
  };
}
