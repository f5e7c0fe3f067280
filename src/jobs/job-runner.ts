import type { Clock } from '../clock';
import type { Logger } from '../logger';

/**
 * A piece of background work: `run` is called every `everyMs` (and once at start when `runAtStart`). A tick that
 * finds the previous run still going is skipped, never queued, so a slow database cannot pile runs up. `run`
 * reports its own failures where it knows what failed; anything it throws is logged here with the job's name.
 */
export interface BackgroundJob<Name extends string = string> {
  name: Name;
  /** What it does, in one line: logged at start and listed in ARCHITECTURE.md. */
  does: string;
  everyMs: number;
  runAtStart?: boolean;
  /**
   * With several replicas: `each` runs on every replica (the job shares its work out itself, claiming rows);
   * `one` runs once per due time across all of them, the run claimed as a `scheduled_jobs` row.
   */
  replicas: 'each' | 'one';
  run(): Promise<void>;
}

/** Claims of the runs of `one`-replica jobs; the scheduled-job store implements it on `scheduled_jobs`. */
export interface RecurringRunClaims {
  claimRecurring(name: string, worker: string, now: Date, leaseMs: number): Promise<number | undefined>;
  finishRecurring(id: number, name: string, worker: string, now: Date, nextAt: Date): Promise<boolean>;
}

/** Where `one`-replica jobs claim their runs. Without it (one process: the CLI, tests) they run on every tick. */
export interface SharedRuns {
  claims: RecurringRunClaims;
  clock: Clock;
  workerId: string;
}

export interface JobRunner {
  readonly names: readonly string[];
  /** Starts every job's timer; idempotent. */
  start(): void;
  /** Stops every timer, then waits for the runs in progress to finish. */
  stop(): Promise<void>;
}

/** A claimed run that takes longer than this is presumed dead (its replica stopped) and another may take it. */
const leaseFor = (job: BackgroundJob) => Math.max(2 * job.everyMs, 5_000);
/** The next run is due a little before the next tick, so that timer drift does not skip a whole interval. */
const nextDueAfter = (job: BackgroundJob, at: Date) => new Date(at.getTime() + job.everyMs - Math.min(1000, job.everyMs / 10));

/** Runs a `one`-replica job if this replica wins its due run. */
async function runClaimed(job: BackgroundJob, shared: SharedRuns): Promise<void> {
  const claimedAt = shared.clock.now();
  const id = await shared.claims.claimRecurring(job.name, shared.workerId, claimedAt, leaseFor(job));
  if (id === undefined) return;
  try {
    await job.run();
  } finally {
    await shared.claims.finishRecurring(id, job.name, shared.workerId, shared.clock.now(), nextDueAfter(job, claimedAt));
  }
}

/** One start and one stop for all background work; the timers never keep the process alive. */
export function createJobRunner(jobs: readonly BackgroundJob[], logger: Logger, shared?: SharedRuns): JobRunner {
  const names = jobs.map((j) => j.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new Error(`two background jobs are named ${duplicate}`);

  const timers: NodeJS.Timeout[] = [];
  const running = new Map<string, Promise<void>>();
  let started = false;

  const tick = (job: BackgroundJob) => {
    if (running.has(job.name)) return;
    const run = (job.replicas === 'one' && shared ? runClaimed(job, shared) : job.run())
      .catch((err: Error) => logger.warn({ job: job.name, err: { message: err.message } }, 'background job failed; its next run retries'))
      .finally(() => running.delete(job.name));
    running.set(job.name, run);
  };

  return {
    names,
    start() {
      if (started) return;
      started = true;
      for (const job of jobs) {
        if (job.runAtStart) tick(job);
        const timer = setInterval(() => tick(job), job.everyMs);
        timer.unref();
        timers.push(timer);
      }
      const listed = jobs.map((j) => ({ name: j.name, everyMs: j.everyMs, replicas: j.replicas, does: j.does }));
      logger.debug({ jobs: listed, worker: shared?.workerId }, 'background jobs started');
    },
    async stop() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      await Promise.all(running.values());
    },
  };
}
