import type { Database } from './database';
import type { NewJob, ScheduledJob, ScheduledJobStore } from '../domain/scheduled-job';
import type { Queryable } from '../domain/queryable';

const recurringKind = (name: string) => `recurring:${name}`;

interface JobRow {
  id: string;
  kind: string;
  due_at: Date;
  payload: Record<string, unknown>;
  dedup_key: string | null;
  claimed_by: string | null;
  attempts: number;
}

const toJob = (r: JobRow): ScheduledJob => ({
  id: Number(r.id),
  kind: r.kind,
  dueAt: r.due_at,
  payload: r.payload,
  dedupKey: r.dedup_key,
  claimedBy: r.claimed_by,
  attempts: r.attempts,
});

const insertJob = async (q: Queryable, job: NewJob): Promise<boolean> => {
  const r = await q.query(
    `INSERT INTO scheduled_jobs (kind, due_at, payload, dedup_key) VALUES ($1, $2, $3, $4)
     ON CONFLICT (dedup_key) WHERE done_at IS NULL DO NOTHING`,
    [job.kind, job.dueAt, JSON.stringify(job.payload), job.dedupKey ?? null],
  );
  return r.rowCount === 1;
};

export function createScheduledJobStore(db: Database): ScheduledJobStore {
  const store: ScheduledJobStore = {
    schedule: (job, tx) => insertJob(tx ?? db, job),

    claimDue: async (worker, now, { limit, leaseMs, kinds }) => {
      const r = await db.query<JobRow>(
        `UPDATE scheduled_jobs SET claimed_by = $1, claimed_at = $2, attempts = attempts + 1
         WHERE id IN (
           SELECT id FROM scheduled_jobs
           WHERE done_at IS NULL AND due_at <= $2 AND ($5::text[] IS NULL OR kind = ANY($5::text[]))
             AND (claimed_by IS NULL OR claimed_at < $2::timestamptz - make_interval(secs => $4::double precision / 1000))
           ORDER BY due_at, id
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [worker, now, limit, leaseMs, kinds ? [...kinds] : null],
      );
      return r.rows.map(toJob).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.id - b.id);
    },

    complete: (id, worker, now, next = []) =>
      db.transaction(async (tx) => {
        const r = await tx.query('UPDATE scheduled_jobs SET done_at = $3 WHERE id = $1 AND claimed_by = $2 AND done_at IS NULL', [
          id,
          worker,
          now,
        ]);
        if (r.rowCount !== 1) return false;
        for (const job of next) await insertJob(tx, job);
        return true;
      }),

    fail: async (id, worker, error, retryAt, maxAttempts) => {
      await db.query(
        `UPDATE scheduled_jobs
         SET last_error = $3, claimed_by = NULL, claimed_at = NULL, due_at = $4::timestamptz,
             done_at = CASE WHEN attempts >= $5 THEN $4::timestamptz ELSE NULL END
         WHERE id = $1 AND claimed_by = $2 AND done_at IS NULL`,
        [id, worker, error.slice(0, 2000), retryAt, maxAttempts],
      );
    },

    listPending: async (kind) => {
      const r = await db.query<JobRow>(
        'SELECT * FROM scheduled_jobs WHERE done_at IS NULL AND ($1::text IS NULL OR kind = $1) ORDER BY due_at, id',
        [kind ?? null],
      );
      return r.rows.map(toJob);
    },

    claimRecurring: async (name, worker, now, leaseMs) => {
      const kind = recurringKind(name);
      await insertJob(db, { kind, dueAt: now, payload: {}, dedupKey: kind });
      const [run] = await store.claimDue(worker, now, { limit: 1, leaseMs, kinds: [kind] });
      return run?.id;
    },

    finishRecurring: (id, name, worker, now, nextAt) => {
      const kind = recurringKind(name);
      return store.complete(id, worker, now, [{ kind, dueAt: nextAt, payload: {}, dedupKey: kind }]);
    },
  };
  return store;
}
