import type { Database } from '../../src/store/database';
import { createScheduledJobStore } from '../../src/store/scheduled-job-store';
import type { ScheduledJobStore } from '../../src/domain/scheduled-job';
import { createMigratedDatabase } from '../support/migrated-database';

let db: Database;
let drop: () => Promise<void>;
let jobs: ScheduledJobStore;
beforeEach(async () => {
  ({ db, drop } = await createMigratedDatabase('scheduled_jobs'));
  jobs = createScheduledJobStore(db);
}, 60_000);
afterEach(async () => drop());

const T0 = new Date('2026-01-11T10:00:00Z');
const at = (min: number) => new Date(T0.getTime() + min * 60_000);
const lease = { limit: 100, leaseMs: 5 * 60_000 };

describe('scheduled jobs', () => {
  it('keeps one pending job per dedup key, and allows a new one once it is done', async () => {
    expect(await jobs.schedule({ kind: 'k', dueAt: at(1), payload: { a: 1 }, dedupKey: 'x' })).toBe(true);
    expect(await jobs.schedule({ kind: 'k', dueAt: at(2), payload: { a: 2 }, dedupKey: 'x' })).toBe(false);
    const [job] = await jobs.claimDue('w', at(1), lease);
    expect(job).toMatchObject({ kind: 'k', payload: { a: 1 }, dedupKey: 'x', attempts: 1 });
    expect(await jobs.complete(job!.id, 'w', at(1), [{ kind: 'k', dueAt: at(5), payload: { a: 3 }, dedupKey: 'x' }])).toBe(true);
    expect((await jobs.listPending()).map((j) => j.payload)).toEqual([{ a: 3 }]);
  });

  it('gives a failed job back for a retry and gives up after maxAttempts', async () => {
    await jobs.schedule({ kind: 'k', dueAt: at(0), payload: {} });
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [job] = await jobs.claimDue('w', at(attempt), lease);
      expect(job?.attempts).toBe(attempt);
      await jobs.fail(job!.id, 'w', `boom ${attempt}`, at(attempt + 0.5), 3);
    }
    expect(await jobs.listPending()).toEqual([]);
    const row = await db.query<{ last_error: string; done_at: Date }>('SELECT last_error, done_at FROM scheduled_jobs');
    expect(row.rows[0]).toMatchObject({ last_error: 'boom 3', done_at: at(3.5) });
  });
});
