import { systemClock } from '../../src/clock';
import { createJobRunner, type BackgroundJob } from '../../src/jobs/job-runner';
import { createLogger } from '../../src/logger';
import type { Database } from '../../src/store/database';
import type { ScheduledJobStore } from '../../src/domain/scheduled-job';
import { createScheduledJobStore } from '../../src/store/scheduled-job-store';
import { createMigratedDatabase } from '../support/migrated-database';

/**
 * A `one`-replica background job runs once per due time across replicas: each run is a `scheduled_jobs` row that
 * one replica claims (FOR UPDATE SKIP LOCKED), finishes, and replaces by the next run (the store's side is in
 * test/store/contracts/scheduled-job-store-contract.ts).
 */
let db: Database;
let drop: () => Promise<void>;
let store: ScheduledJobStore;
const logger = createLogger({ level: 'silent' });

beforeAll(async () => {
  ({ db, drop } = await createMigratedDatabase('ibt_recurring_runs'));
  store = createScheduledJobStore(db);
}, 60_000);
afterAll(async () => {
  await drop();
});

describe('recurring runs on scheduled_jobs', () => {
  it('three runners of the same job: the runs never overlap, and there are no more than one per interval', async () => {
    const runs: { worker: string; start: number; end: number }[] = [];
    const everyMs = 300;
    const runners = ['r1', 'r2', 'r3'].map((workerId) => {
      const job: BackgroundJob = {
        name: 'pruning-under-test',
        does: 'records who ran it',
        everyMs,
        replicas: 'one',
        runAtStart: true,
        run: async () => {
          const start = Date.now();
          await new Promise((r) => setTimeout(r, 50));
          runs.push({ worker: workerId, start, end: Date.now() });
        },
      };
      return createJobRunner([job], logger, { claims: store, clock: systemClock, workerId });
    });
    for (const r of runners) r.start();
    await new Promise((r) => setTimeout(r, 2_000));
    await Promise.all(runners.map((r) => r.stop()));

    runs.sort((x, y) => x.start - y.start);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end);
    // three replicas each running on their own would make about three times as many
    const slack = Math.min(1000, everyMs / 10);
    expect(runs.length).toBeLessThanOrEqual(Math.floor(2_000 / (everyMs - slack)) + 1);
    const pending = await store.listPending('recurring:pruning-under-test');
    expect(pending).toHaveLength(1);
  });
});
