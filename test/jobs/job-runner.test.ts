import { createJobRunner, type BackgroundJob } from '../../src/jobs/job-runner';
import { backgroundJobs } from '../../src/jobs/background-jobs';
import { systemClock } from '../../src/clock';
import { createLogger } from '../../src/logger';

function deferred(): { promise: Promise<void>; resolve(): void; reject(err: Error): void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets the promise callbacks queued so far run (the runner's bookkeeping after a run settles). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('the job runner', () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(l) } });

  beforeEach(() => {
    lines.length = 0;
    jest.useFakeTimers();
  });
  afterEach(() => jest.useRealTimers());

  it('runs each job on its interval, skips a tick while the previous run is going, and stop waits for it', async () => {
    const runs: ReturnType<typeof deferred>[] = [];
    const job: BackgroundJob = {
      name: 'sweep',
      does: 'sweeps',
      everyMs: 1_000,
      replicas: 'each',
      run: () => {
        const d = deferred();
        runs.push(d);
        return d.promise;
      },
    };
    const runner = createJobRunner([job], logger);
    runner.start();
    runner.start();
    expect(runs).toHaveLength(0);

    jest.advanceTimersByTime(1_000);
    expect(runs).toHaveLength(1);
    jest.advanceTimersByTime(3_000);
    expect(runs).toHaveLength(1);

    runs[0]!.resolve();
    await settle();
    jest.advanceTimersByTime(1_000);
    expect(runs).toHaveLength(2);

    let stopped = false;
    const stopping = runner.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    runs[1]!.resolve();
    await stopping;
    jest.advanceTimersByTime(10_000);
    expect(runs).toHaveLength(2);
  });

  it('runs a runAtStart job at once, and logs a failure with the job name without stopping the schedule', async () => {
    let calls = 0;
    const recovery: BackgroundJob = {
      name: 'recovery',
      does: 'recovers',
      everyMs: 500,
      runAtStart: true,
      replicas: 'each',
      run: async () => {
        if (calls++ === 0) throw new Error('database unreachable');
      },
    };
    const runner = createJobRunner([recovery], logger);
    runner.start();
    expect(calls).toBe(1);
    await settle();
    expect(lines.some((l) => l.includes('"job":"recovery"') && l.includes('database unreachable'))).toBe(true);
    jest.advanceTimersByTime(500);
    expect(calls).toBe(2);
    await runner.stop();
  });

  it('refuses two jobs with the same name', () => {
    const run = async () => undefined;
    expect(() =>
      createJobRunner(
        [
          { name: 'a', does: '', everyMs: 1, replicas: 'each', run },
          { name: 'a', does: '', everyMs: 1, replicas: 'one', run },
        ],
        logger,
      ),
    ).toThrow('two background jobs are named a');
  });

  it('runs only delivery pruning when Slack is not configured', () => {
    const base = { clock: systemClock, logger, pruneDeliveryRecords: async () => undefined };
    expect(backgroundJobs(base).map((j) => j.name)).toEqual(['delivery-pruning']);
  });
});
