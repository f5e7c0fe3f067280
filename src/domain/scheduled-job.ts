import type { Queryable } from './queryable';

export interface NewJob {
  kind: string;
  dueAt: Date;
  payload: Record<string, unknown>;
  /** At most one pending job per key: scheduling a second one is a no-op. */
  dedupKey?: string;
}

export interface ScheduledJob {
  id: number;
  kind: string;
  dueAt: Date;
  payload: Record<string, unknown>;
  dedupKey: string | null;
  claimedBy: string | null;
  attempts: number;
}

/**
 * Jobs in PostgreSQL: claimed with `FOR UPDATE SKIP LOCKED` so that one worker gets each due job,
 * completed by the claimant only. A claim held longer than the lease (a worker that died) is
 * taken over by the next worker, so work survives crashes as well as restarts.
 */
export interface ScheduledJobStore {
  /** Returns false when a pending job with the same dedupKey exists. */
  schedule(job: NewJob, tx?: Queryable): Promise<boolean>;
  /** Claims up to `limit` due jobs (of `kinds`, when given) for `worker`. */
  claimDue(worker: string, now: Date, opts: { limit: number; leaseMs: number; kinds?: readonly string[] }): Promise<ScheduledJob[]>;
  /** Marks the job done and schedules its follow-ups in one transaction; false when the claim was lost. */
  complete(id: number, worker: string, now: Date, next?: NewJob[]): Promise<boolean>;
  /** Gives the job back after a failure: due again at `retryAt`, or done (dead) with the error after `maxAttempts`. */
  fail(id: number, worker: string, error: string, retryAt: Date, maxAttempts: number): Promise<void>;
  listPending(kind?: string): Promise<ScheduledJob[]>;
  /**
   * Claims the due run of a recurring background job (one pending row per name, created due now when there is none):
   * its id, or undefined when the run is not due yet or another worker holds it.
   */
  claimRecurring(name: string, worker: string, now: Date, leaseMs: number): Promise<number | undefined>;
  /** Marks the run done and schedules the next one at `nextAt`; false when the claim was lost. */
  finishRecurring(id: number, name: string, worker: string, now: Date, nextAt: Date): Promise<boolean>;
}
