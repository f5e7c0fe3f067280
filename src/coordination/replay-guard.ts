import type { Logger } from '../logger';
import type { ProcessedEventStore } from '../domain/processed-event';
import type { Coordination } from './coordination';

/**
 * A signed Slack request is accepted while its timestamp is within 5 minutes of now, either way (Bolt refuses
 * older ones, the receiver refuses ones from the future), so the same bytes can come back for at most 10 minutes.
 */
export const REPLAY_WINDOW_MS = 10 * 60_000;
const CLAIM_TTL_MS = REPLAY_WINDOW_MS + 60_000;
const SLACK_SIGNATURE = /^v0=[0-9a-f]{64}$/;
const SOURCE = 'slack-signature';

export interface ReplayGuard {
  /** False when these signed bytes were accepted before, on any replica. */
  isFirst(signature: string): Promise<boolean>;
  /**
   * Writes the signatures still waiting to be recorded in PostgreSQL and waits for the writes under way. Call it
   * after the last request was answered and before the database closes: a signature accepted but never recorded
   * would be accepted again by a replica that has to ask PostgreSQL.
   */
  close(): Promise<void>;
}

export interface ReplayGuardDeps {
  coordination: Coordination;
  /** The durable record (PostgreSQL: the source of truth), answered before the request runs when it decides. */
  durable: ProcessedEventStore;
  /**
   * True when no other replica can receive the same requests (the embedded database lives in this process): then
   * an in-process coordination store may decide too. With PostgreSQL and no Redis, PostgreSQL always decides.
   */
  singleProcess: boolean;
  logger: Logger;
  /**
   * A busy guard sends at most one batch per this many milliseconds (one round trip to Redis, and one to PostgreSQL
   * when it decides, for all the requests of a burst); a quiet one sends at once. Default 5.
   */
  batchWindowMs?: number;
  /** Signatures the claim decided are written to the durable record in one batch per this many milliseconds. Default 250. */
  writeBehindMs?: number;
}

/**
 * Every Slack request without a delivery id is checked here before it runs. The requests of a burst are decided in
 * one batch: their coordination claims (one round trip) answer first; a signature claimed before is a replay. A first
 * claim is final when the store has kept its keys for the whole replay window; otherwise (just started, Redis
 * restarted: its uptime says so) PostgreSQL, which keeps every signature, has the last word, asked for the batch's
 * claimed signatures in one INSERT right after the claims. PostgreSQL alone decides when the claim fails, or when
 * the claims are in-process and other replicas may exist. Either way every accepted signature ends up in PostgreSQL
 * (behind the ack on the fast path), for the times it has to decide again.
 */
export function createReplayGuard(deps: ReplayGuardDeps): ReplayGuard {
  const { coordination, durable, logger } = deps;
  const row = (signature: string) => `sig:${signature}`;
  const recordLater = writeBehind(
    (rows) =>
      durable.recordAll(rows, SOURCE).catch((err: unknown) => {
        logger.warn({ err: { message: (err as Error).message } }, 'could not record Slack request signatures in PostgreSQL');
      }),
    deps.writeBehindMs ?? 250,
  );
  // One batch of requests, one pipeline: their claims, then (when it has the last word) PostgreSQL for the claimed ones.
  const decide = batched(async (signatures: string[]): Promise<boolean[]> => {
    let claimed: boolean[];
    try {
      // Validated v0 signatures: the key is the hex digest.
      claimed = await coordination.claimMany(
        signatures.map((s) => `slack-signature:${s.slice(3)}`),
        CLAIM_TTL_MS,
      );
    } catch {
      return durable.markAllProcessed(signatures.map(row), SOURCE);
    }
    if (coordination.keptForMs() >= REPLAY_WINDOW_MS) {
      for (let i = 0; i < signatures.length; i++) if (claimed[i]) recordLater.add(row(signatures[i]!));
      return claimed;
    }
    // A store that may have forgotten older claims: PostgreSQL, which keeps them all, has the last word, for the
    // claimed signatures only. Claimed elsewhere, whoever claimed it decides (never both stores at once: a replica
    // that lost the claim inserting too could take PostgreSQL's answer from the one that won it, and both refuse).
    const first = await durable.markAllProcessed(signatures.filter((_, i) => claimed[i]).map(row), SOURCE);
    let next = 0;
    return claimed.map((c) => c && first[next++]!);
  }, deps.batchWindowMs ?? 5);
  return {
    isFirst: async (signature) => {
      // PostgreSQL alone decides for a signature that is not Slack's, and when the claims are in-process but other
      // replicas may exist.
      if (!SLACK_SIGNATURE.test(signature) || (coordination.kind === 'memory' && !deps.singleProcess))
        return durable.markProcessed(row(signature), SOURCE);
      return decide(signature);
    },
    close: () => recordLater.flush(),
  };
}

/**
 * Rows gathered for `windowMs` and handed to `write` together. Only the row itself waits (no promise or closure
 * per row): the requests it came from were answered long before, and what outlives them is what the GC has to move.
 * The timer does not keep the process alive; `flush` writes what is waiting at once and waits for every write.
 */
function writeBehind(write: (rows: string[]) => Promise<unknown>, windowMs: number): { add(row: string): void; flush(): Promise<void> } {
  let rows: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const writing = new Set<Promise<unknown>>();
  const send = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (rows.length === 0) return;
    const batch = rows;
    rows = [];
    const done = write(batch).finally(() => writing.delete(done));
    writing.add(done);
  };
  // After a flush (shutdown) a request that was still running writes its row at once: no timer is left to do it.
  let flushed = false;
  return {
    add: (r) => {
      rows.push(r);
      if (flushed) send();
      else timer ??= setTimeout(send, windowMs).unref();
    },
    flush: async () => {
      flushed = true;
      send();
      await Promise.all(writing);
    },
  };
}

/**
 * Calls to `one` gathered into calls to `many`: one batch in flight at a time (two in flight measured no better at the
 * ack), and a busy caller gathers for up to `windowMs` after the last batch went (a quiet one goes at once).
 */
function batched<T>(many: (keys: string[]) => Promise<T[]>, windowMs: number, maxBatch = 500): (key: string) => Promise<T> {
  const waiting: { key: string; resolve: (v: T) => void; reject: (e: unknown) => void }[] = [];
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
    clearTimeout(timer);
    timer = undefined;
    if (inFlight || waiting.length === 0) return;
    lastSentAt = performance.now();
    // A burst larger than one batch goes as several, each within what one Redis script and one INSERT take well.
    const batch = waiting.splice(0, maxBatch);
    inFlight = true;
    many(batch.map((w) => w.key))
      .then(
        (got) => batch.forEach((w, i) => w.resolve(got[i]!)),
        (err: unknown) => batch.forEach((w) => w.reject(err)),
      )
      .finally(() => {
        inFlight = false;
        schedule();
      });
  };
  return (key) =>
    new Promise<T>((resolve, reject) => {
      waiting.push({ key, resolve, reject });
      schedule();
    });
}
