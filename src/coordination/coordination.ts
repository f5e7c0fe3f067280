import { createHash } from 'node:crypto';
import path from 'node:path';

/**
 * Short-lived coordination between replicas: "did anyone already handle this?",
 * mutual exclusion, and a per-channel posting budget. PostgreSQL stays the source of
 * truth; these are fast paths and politeness, never the only guard.
 *
 * @example
 *   if (await coordination.claim(`event:${eventId}`, 10 * 60_000)) handle();
 *   const lock = await coordination.acquireLock(`remediation:${id}`, 30_000);
 *   const waitMs = await coordination.reserveRate(`channel:${channel}`, 1);
 *   const lastMinute = await coordination.countInWindow(`storm-window:${channel}`, ['alert-17'], 60_000);
 *   const storm = await coordination.updateRecord(`storm:${channel}`, { increment: { total: 1 } }, { ttlMs: 120_000, create: true });
 */
export interface Coordination {
  readonly kind: 'redis' | 'memory';
  /** True for the first caller of `key` within `ttlMs`, false for every other. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** `claim` for many keys in one round trip, in order (a key twice: only its first place is true). */
  claimMany(keys: readonly string[], ttlMs: number): Promise<boolean[]>;
  /** A lock held until released or `ttlMs` passes; null when someone else holds it. */
  acquireLock(key: string, ttlMs: number): Promise<Lock | null>;
  /**
   * Reserves the next slot in a budget of `perSecond` operations per second for `bucket`
   * and returns how many milliseconds the caller must wait before using it (0 = now).
   */
  reserveRate(bucket: string, perSecond: number): Promise<number>;
  /** Which of `keys` are claimed now (set by `claim`/`claimMany` and not expired). */
  areClaimed(keys: readonly string[]): Promise<boolean[]>;
  /**
   * Adds `members` to the sliding window `key`, timed by the store's clock, and returns how many members were added
   * within the last `windowMs` (these included): every replica counts into the same window.
   */
  countInWindow(key: string, members: readonly string[], windowMs: number): Promise<number>;
  /**
   * Changes the shared record `key` (a small map of strings) in one step and returns it as it is afterwards:
   * `setIfAbsent` fields first, then `set`, then `increment` (as integers). Without `create` an absent record stays
   * absent (null). The record expires `ttlMs` after its last change.
   */
  updateRecord(key: string, change: RecordChange, opts: { ttlMs: number; create: boolean }): Promise<SharedRecord | null>;
  readRecord(key: string): Promise<SharedRecord | null>;
  /** Deletes the record if `field` still holds `value`: the record as it was then, else null (changed or gone). */
  deleteRecordIf(key: string, field: string, value: string): Promise<SharedRecord | null>;
  /**
   * How long this store has been keeping keys, as far as it knows: a claim older than that may have been
   * forgotten (a restarted Redis starts empty). 0 while unknown.
   */
  keptForMs(): number;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type SharedRecord = Record<string, string>;

export interface RecordChange {
  setIfAbsent?: Record<string, string>;
  set?: Record<string, string>;
  increment?: Record<string, number>;
}

export interface Lock {
  release(): Promise<void>;
}

const SAFE_KEY = /^[A-Za-z0-9:_.@-]{1,200}$/;

/** Keys are built from ids that may come from Slack: refuse anything that is not a plain key. */
export function checkKey(key: string): string {
  if (!SAFE_KEY.test(key))
    throw new Error(`refused coordination key ${JSON.stringify(key.slice(0, 60))}: only letters, digits and :_.@- are allowed`);
  return key;
}

/**
 * A short name for the database a bot keeps its records in, for the coordination keys that hold its ids (alert ids
 * restart at 1 in every database) or its channels' state: two bots sharing one Redis never read each other's,
 * while the replicas of one bot, given the same database, share theirs. No credentials go into it.
 */
export function databaseKeyPrefix(where: { databaseUrl?: string; dataDir: string }): string {
  let place = `embedded:${path.resolve(where.dataDir)}`;
  if (where.databaseUrl) {
    const url = new URL(where.databaseUrl);
    place = `postgres:${url.hostname}:${url.port || '5432'}${url.pathname}`;
  }
  return `db-${createHash('sha256').update(place).digest('hex').slice(0, 12)}`;
}
