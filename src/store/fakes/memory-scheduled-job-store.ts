import type { NewJob, ScheduledJobStore } from '../../domain/scheduled-job';
import { copy, jsonb, type MemoryDatabase, type MemoryJobRow } from './memory-database';

/** The in-memory ScheduledJobStore: the same contract as `createScheduledJobStore` (test/store/contracts/). */
export function createMemoryScheduledJobStore(mem: MemoryDatabase): ScheduledJobStore {
  const t = mem.tables;
  const byDue = (a: MemoryJobRow, b: MemoryJobRow) => a.job.dueAt.getTime() - b.job.dueAt.getTime() || a.job.id - b.job.id;
  const insert = (job: NewJob): boolean => {
    if (job.dedupKey !== undefined && t.jobs.some((r) => r.doneAt === null && r.job.dedupKey === job.dedupKey)) return false;
    t.serials.jobs += 1;
    t.jobs.push({
      job: {
        id: t.serials.jobs,
        kind: job.kind,
        dueAt: copy(job.dueAt),
        payload: jsonb(job.payload),
        dedupKey: job.dedupKey ?? null,
        claimedBy: null,
        attempts: 0,
      },
      claimedAt: null,
      doneAt: null,
      lastError: null,
    });
    return true;
  };
  const claimedBy = (id: number, worker: string) => t.jobs.find((r) => r.job.id === id && r.job.claimedBy === worker && r.doneAt === null);
  const recurringKind = (name: string) => `recurring:${name}`;
  const store: ScheduledJobStore = {
    schedule: async (job) => insert(job),
    claimDue: async (worker, now, { limit, leaseMs, kinds }) =>
      t.jobs
        .filter(
          (r) =>
            r.doneAt === null &&
            r.job.dueAt.getTime() <= now.getTime() &&
            (!kinds || kinds.includes(r.job.kind)) &&
            (r.job.claimedBy === null || (r.claimedAt !== null && r.claimedAt.getTime() < now.getTime() - leaseMs)),
        )
        .sort(byDue)
        .slice(0, limit)
        .map((r) => {
          r.job.claimedBy = worker;
          r.claimedAt = copy(now);
          r.job.attempts += 1;
          return copy(r.job);
        }),
    complete: (id, worker, now, next = []) =>
      mem.transaction(async () => {
        const row = claimedBy(id, worker);
        if (!row) return false;
        row.doneAt = copy(now);
        for (const job of next) insert(job);
        return true;
      }),
    fail: async (id, worker, error, retryAt, maxAttempts) => {
      const row = claimedBy(id, worker);
      if (!row) return;
      row.lastError = error.slice(0, 2000);
      row.job.claimedBy = null;
      row.claimedAt = null;
      row.job.dueAt = copy(retryAt);
      row.doneAt = row.job.attempts >= maxAttempts ? copy(retryAt) : null;
    },
    listPending: async (kind) =>
      t.jobs
        .filter((r) => r.doneAt === null && (kind === undefined || r.job.kind === kind))
        .sort(byDue)
        .map((r) => copy(r.job)),
    claimRecurring: async (name, worker, now, leaseMs) => {
      const kind = recurringKind(name);
      insert({ kind, dueAt: now, payload: {}, dedupKey: kind });
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
