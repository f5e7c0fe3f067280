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
  run(): Promise<void>;
}

export interface JobRunner {
  readonly names: readonly string[];
  /** Starts every job's timer; idempotent. */
  start(): void;
  /** Stops every timer, then waits for the runs in progress to finish. */
  stop(): Promise<void>;
}

/** One start and one stop for all background work; the timers never keep the process alive. */
export function createJobRunner(jobs: readonly BackgroundJob[], logger: Logger): JobRunner {
  const names = jobs.map((j) => j.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new Error(`two background jobs are named ${duplicate}`);

  const timers: NodeJS.Timeout[] = [];
  const running = new Map<string, Promise<void>>();
  let started = false;

  const tick = (job: BackgroundJob) => {
    if (running.has(job.name)) return;
    const run = job
      .run()
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
      logger.debug({ jobs: jobs.map((j) => ({ name: j.name, everyMs: j.everyMs, does: j.does })) }, 'background jobs started');
    },
    async stop() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      await Promise.all(running.values());
    },
  };
}
