import type { Database } from './database';
import type { ProcessedEventStore } from '../domain/processed-event';

interface Waiting {
  eventId: string;
  source: string;
  resolve: (first: boolean) => void;
  reject: (err: unknown) => void;
}

export interface ProcessedEventStoreOptions {
  /**
   * A busy store sends at most one batch per this many milliseconds, so the requests of a burst share one
   * round trip instead of a few each; a quiet one sends at once. Default 5 (Slack allows 3 s for an ack).
   */
  batchWindowMs?: number;
  /** A batch this large goes at once, window or not. Default 500. */
  maxBatch?: number;
}

export function createProcessedEventStore(db: Database, opts: ProcessedEventStoreOptions = {}): ProcessedEventStore {
  const windowMs = opts.batchWindowMs ?? 5;
  const maxBatch = opts.maxBatch ?? 500;
  // Every Slack request is recorded here before it is acted on. One INSERT each meant one round trip
  // (and its socket writes, and a reply to parse) per request; instead one batch is in flight at a time,
  // and a busy store gathers the requests that arrive for up to `windowMs` after the last batch went.
  let waiting: Waiting[] = [];
  let inFlight = false;
  let lastSentAt = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    if (inFlight || waiting.length === 0) return;
    const wait = lastSentAt + windowMs - performance.now();
    if (wait <= 0 || waiting.length >= maxBatch) return flush();
    timer ??= setTimeout(flush, wait);
  };
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (inFlight || waiting.length === 0) return;
    lastSentAt = performance.now();
    const batch = waiting;
    waiting = [];
    inFlight = true;
    const firstOf = new Map<string, Waiting>();
    for (const w of batch) if (!firstOf.has(w.eventId)) firstOf.set(w.eventId, w);
    const ids = [...firstOf.keys()];
    const sources = ids.map((id) => firstOf.get(id)!.source);
    // On the pool, never on a transaction the first caller may have open: the batch holds other callers' rows.
    db.pool
      .query<{ event_id: string }>(
        'INSERT INTO processed_events (event_id, source) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (event_id) DO NOTHING RETURNING event_id',
        [ids, sources],
      )
      .then(
        (r) => {
          const inserted = new Set(r.rows.map((row) => row.event_id));
          // The same id twice in one batch: only the first caller recorded it.
          for (const w of batch) w.resolve(inserted.has(w.eventId) && firstOf.get(w.eventId) === w);
        },
        (err: unknown) => {
          for (const w of batch) w.reject(err);
        },
      )
      .finally(() => {
        inFlight = false;
        schedule();
      });
  };
  return {
    markProcessed: async (eventId, source) => {
      // Inside a transaction the row belongs to it (and on the embedded database the pool would wait for the
      // session that transaction holds): no batching there.
      if (db.inTransaction()) {
        const r = await db.query('INSERT INTO processed_events (event_id, source) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING', [
          eventId,
          source,
        ]);
        return r.rowCount === 1;
      }
      return new Promise<boolean>((resolve, reject) => {
        waiting.push({ eventId, source, resolve, reject });
        schedule();
      });
    },
    markAllProcessed: async (eventIds, source) => {
      if (eventIds.length === 0) return [];
      // On the pool, like the batches above: the ids are other callers' (the replay guard's batch of requests).
      const r = await db.pool.query<{ event_id: string }>(
        'INSERT INTO processed_events (event_id, source) SELECT unnest($1::text[]), $2::text ON CONFLICT (event_id) DO NOTHING RETURNING event_id',
        [eventIds, source],
      );
      const inserted = new Set(r.rows.map((row) => row.event_id));
      // The same id twice: only the first recorded it.
      return eventIds.map((id) => inserted.delete(id));
    },
    recordAll: async (eventIds, source) => {
      if (eventIds.length === 0) return;
      // On the pool, like the batches above: never on a transaction some caller may have open.
      await db.pool.query(
        'INSERT INTO processed_events (event_id, source) SELECT unnest($1::text[]), $2::text ON CONFLICT (event_id) DO NOTHING',
        [eventIds, source],
      );
    },
    pruneOlderThan: async (cutoff) => {
      const r = await db.query('DELETE FROM processed_events WHERE received_at < $1', [cutoff]);
      return r.rowCount ?? 0;
    },
  };
}
