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

export function createInboxProcessor(deps: InboxProcessorDeps): InboxProcessor {
  const { store, spool, owner, logger } = deps;
  const concurrency = deps.concurrency ?? 16;
  const leaseMs = deps.leaseMs ?? INBOX_LEASE_MS;
  const pollMs = deps.pollMs ?? 250;
  const maxAttempts = deps.maxAttempts ?? 5;
  const insertTimeoutMs = deps.insertTimeoutMs ?? 1_500;
  const prefetch = concurrency * 4;

  let stopping = false;
  let started = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let beatTimer: NodeJS.Timeout | undefined;
  let claiming = false;
  let replaying = false;
  let storageDownUntil = 0;
  const queues = new Map<string, ClaimedDelivery[]>();
  const activeKeys = new Set<string>();
  const running = new Map<string, Promise<void>>();
  /** Claimed rows this process is still working on (queued or running): the only leases the heartbeat renews. */
  const heldIds = new Set<string>();
  let held = 0;
  let free = concurrency;
  const slotWaiters: (() => void)[] = [];

  const acquire = () => (free > 0 ? (free--, Promise.resolve()) : new Promise<void>((r) => slotWaiters.push(r)));
  const releaseSlot = () => {
    const next = slotWaiters.shift();
    if (next) next();
    else free++;
  };
  const changed = () => deps.onChange?.({ spooled: spool.size() });

  // Finished deliveries are marked done in batches, off the path of the next delivery of their key: one statement
  // for all that finished meanwhile. Until its mark is written a row stays leased to this replica (the heartbeat
  // renews it); one whose mark is lost with the process runs again, which is a duplicate to the handlers.
  const finished: string[] = [];
  let marking: Promise<void> | undefined;
  const markDone = (eventId: string) => {
    finished.push(eventId);
    marking ??= writeMarks();
  };
  const writeMarks = async () => {
    await new Promise<void>((r) => setImmediate(r));
    while (finished.length) {
      const batch = finished.splice(0, 500);
      // Recording the outcome must outlive a brief outage, or the deliveries would run twice.
      for (let attempt = 0; ; attempt++) {
        try {
          await store.complete(batch, owner);
          break;
        } catch (err) {
          if (stopping || attempt >= 20) {
            logger.warn(
              { count: batch.length, err: { message: (err as Error).message } },
              'could not mark deliveries done; their lease will run out and they will run again',
            );
            break;
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      for (const id of batch) heldIds.delete(id);
    }
    marking = undefined;
  };

  /** Records a failed run: handed back to be run again, or given up. */
  const finishFailed = async (d: ClaimedDelivery, err: unknown) => {
    if (isConnectionError(err)) {
      // The effects were not all recorded: the delivery goes back and is run again when storage answers.
      logger.warn({ reqId: d.eventId, err: { message: (err as Error).message } }, 'delivery handed back: storage unavailable');
      return store.release([d.eventId], owner, 1_000);
    }
    if (deps.isTransient?.(err)) {
      // An upstream outage (Slack): kept, and tried again for as long as it lasts — never given up.
      logger.warn(
        { reqId: d.eventId, attempts: d.attempts, err: { message: (err as Error).message } },
        'delivery handed back: upstream unavailable',
      );
      return store.release([d.eventId], owner, Math.min(30_000, 1_000 * 2 ** Math.min(d.attempts, 5)));
    }
    if (d.attempts >= maxAttempts) {
      logger.error(
        { reqId: d.eventId, attempts: d.attempts, err: { message: (err as Error).message } },
        'delivery given up after repeated failures',
      );
      return store.fail(d.eventId, owner, (err as Error).message ?? String(err));
    }
    logger.warn(
      { reqId: d.eventId, attempts: d.attempts, err: { message: (err as Error).message } },
      'delivery failed; it will be retried',
    );
    return store.release([d.eventId], owner, Math.min(30_000, 500 * 2 ** d.attempts));
  };

  const run = async (d: ClaimedDelivery) => {
    let error: unknown;
    try {
      await deps.handle(d);
    } catch (err) {
      error = err ?? new Error('handler failed');
    }
    if (error === undefined) return markDone(d.eventId);
    // Recording the outcome must outlive a brief outage, or the delivery would run twice.
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await finishFailed(d, error);
          return;
        } catch (err) {
          if (stopping || attempt >= 20) {
            logger.warn(
              { reqId: d.eventId, err: { message: (err as Error).message } },
              'could not record the delivery outcome; its lease will run out and it will run again',
            );
            return;
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    } finally {
      heldIds.delete(d.eventId);
    }
  };

  const drainKey = async (key: string) => {
    activeKeys.add(key);
    try {
      for (;;) {
        const q = queues.get(key);
        if (!q?.length || stopping) break;
        await acquire();
        if (stopping) {
          releaseSlot();
          break;
        }
        const d = q.shift()!;
        const p = run(d);
        running.set(d.eventId, p);
        try {
          await p;
        } finally {
          running.delete(d.eventId);
          held--;
          releaseSlot();
        }
        kick();
      }
    } finally {
      activeKeys.delete(key);
      if (!queues.get(key)?.length) queues.delete(key);
    }
    if (!stopping) kick();
  };

  const enqueue = (d: ClaimedDelivery) => {
    held++;
    heldIds.add(d.eventId);
    const q = queues.get(d.orderKey) ?? [];
    q.push(d);
    queues.set(d.orderKey, q);
    if (!activeKeys.has(d.orderKey)) void drainKey(d.orderKey);
  };

  const claimSome = async () => {
    // A claim scans the pending rows: while a backlog keeps the local queues stocked, claim once half of them is
    // worked off (one bigger claim) rather than after every delivery.
    if (claiming || stopping || held > prefetch / 2) return;
    claiming = true;
    try {
      const rows = await store.claim(owner, prefetch - held, leaseMs);
      if (stopping) {
        await store
          .release(
            rows.map((r) => r.eventId),
            owner,
          )
          .catch(() => undefined);
        return;
      }
      for (const d of rows) enqueue(d);
    } catch (err) {
      if (!isConnectionError(err)) logger.warn({ err: { message: (err as Error).message } }, 'claiming inbox deliveries failed');
    } finally {
      claiming = false;
    }
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

  const kick = () => {
    if (started && !stopping) void claimSome();
  };

  const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> => {
    let timer: NodeJS.Timeout;
    return Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(`the inbox insert took longer than ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  };

  return {
    accept: async (delivery) => {
      if (stopping) throw new Error('stopping: not accepting new deliveries');
      if (Date.now() >= storageDownUntil) {
        try {
          const added = await withTimeout(store.add(delivery), insertTimeoutMs);
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
    },
    accepting: () => !stopping,
    start: () => {
      if (started) return;
      started = true;
      const beat = () =>
        store.heartbeat(owner, leaseMs, [...heldIds]).catch((err: Error) => {
          if (!isConnectionError(err)) logger.warn({ err: { message: err.message } }, 'inbox heartbeat failed');
        });
      void beat();
      beatTimer = setInterval(() => void beat(), Math.max(500, Math.floor(leaseMs / 3)));
      // Deliveries this replica accepts kick the claim at once; the poll finds the others' and taken-over rows.
      let ticks = 0;
      pollTimer = setInterval(() => {
        void claimSome();
        if (ticks++ % 5 === 0) void replaySpool();
      }, pollMs);
      void replaySpool();
    },
    stop: async (timeoutMs) => {
      stopping = true;
      clearInterval(pollTimer);
      clearInterval(beatTimer);
      for (const w of slotWaiters.splice(0)) w();
      // Queued, not started: back to the inbox at once, for the other replicas.
      const notStarted = [...queues.values()].flat().map((d) => d.eventId);
      queues.clear();
      for (const id of notStarted) heldIds.delete(id);
      held -= notStarted.length;
      while (claiming) await new Promise((r) => setTimeout(r, 20));
      try {
        await store.release(notStarted, owner);
      } catch (err) {
        logger.warn(
          { err: { message: (err as Error).message }, count: notStarted.length },
          'could not hand deliveries back; their lease will run out',
        );
      }
      let timer: NodeJS.Timeout | undefined;
      const inFlight = [...running.keys()];
      await Promise.race([Promise.allSettled([...running.values()]), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
      const unfinished = [...running.keys()];
      await marking;
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
    },
    spooled: () => spool.size(),
  };
}
