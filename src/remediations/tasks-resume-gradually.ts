import { mkdir, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { plainName, regularFile } from '../targets/files-root';
import { taskDirs } from './task-files';
import { RemediationRefused, type Remediation } from './types';

const STATE = z.string().regex(/^[A-Za-z0-9_-]+$/, 'a plain folder name');

export const tasksResumeGraduallyParams = z
  .object({
    /** Task directory under the target root: `tasks/{{worker}}` (seed 001). */
    dir: z.string().min(1),
    fromState: STATE.default('pending'),
    toState: STATE.default('staged'),
    failedState: STATE.default('failed'),
    suffix: z
      .string()
      .regex(/^\.[A-Za-z0-9]+$/)
      .default('.json'),
    /** Seed 001: batches of 5, 30 s apart. */
    batchSize: z.number().int().min(1).max(100).default(5),
    delaySeconds: z.number().int().min(0).max(120).default(30),
    /** Stop when more than this share of a batch size is in the failed folder after the wait (seed 001: 0.5). */
    stopAboveFailureRatio: z.number().min(0).max(1).default(0.5),
    /** One run resumes at most this many batches (the rest stay pending for the next run). */
    maxBatches: z.number().int().min(1).max(50).default(8),
  })
  .strict()
  .refine((p) => p.maxBatches * p.delaySeconds <= 240, {
    message: 'maxBatches × delaySeconds must stay within 240 s (one run)',
    path: ['maxBatches'],
  });

export type TasksResumeGraduallyParams = z.output<typeof tasksResumeGraduallyParams>;

interface PendingTask {
  name: string;
  ino: number;
  mtimeMs: number;
}

export interface ResumeData {
  from: string;
  to: string;
  failed: string;
  tasks: PendingTask[];
  pendingTotal: number;
}

function batches<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Seed 001's gradual resume: moves pending tasks to `staged` in batches, waits between batches, and stops as soon as
 * more than half a batch has landed in `failed` — a worker that still crashes does not eat the whole queue.
 */
export const tasksResumeGradually: Remediation<TasksResumeGraduallyParams, ResumeData> = {
  action: 'tasks.resume-gradually',
  targetKind: 'files',
  params: tasksResumeGraduallyParams,
  limits: () => ({ maxRunsPerWindow: 1, cooldownSeconds: 60 }),
  async preview(params, ctx) {
    const root = ctx.target?.values.root;
    const { src, dest, destShown, base } = await taskDirs(root, params.dir, params.fromState, params.toState, ctx);
    const all: PendingTask[] = [];
    for (const name of await readdir(src.full)) {
      if (!plainName(name) || !name.endsWith(params.suffix)) continue;
      const f = await regularFile(path.join(src.full, name));
      if (f) all.push({ name, ino: f.ino, mtimeMs: f.mtimeMs });
    }
    all.sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name));
    const tasks = all.slice(0, params.batchSize * params.maxBatches);
    const n = batches(tasks, params.batchSize).length;
    return {
      summary: tasks.length
        ? `resume ${tasks.length} of ${all.length} pending tasks of ${base.shown} in ${n} batch${n === 1 ? '' : 'es'} of ${params.batchSize}, ${params.delaySeconds} s apart → ${destShown}; stop when more than ${Math.round(params.stopAboveFailureRatio * 100)} % of a batch fails`
        : `no pending task in ${src.shown}`,
      items: batches(tasks, params.batchSize).map((b, i) => `batch ${i + 1}: ${b.map((t) => t.name).join(', ')}`),
      subject: `tasks in ${base.shown}`,
      empty: tasks.length === 0,
      data: { from: src.full, to: dest, failed: path.join(base.full, params.failedState), tasks, pendingTotal: all.length },
    };
  },
  async execute(params, preview, ctx) {
    const { src, dest, destShown } = await taskDirs(ctx.target?.values.root, params.dir, params.fromState, params.toState, ctx);
    if (src.full !== preview.data.from || dest !== preview.data.to)
      throw new RemediationRefused('the task folders moved since the preview: nothing done');
    await mkdir(dest, { recursive: true });
    const moved: string[] = [];
    const items: string[] = [];
    const limit = params.batchSize * params.stopAboveFailureRatio;
    let stoppedAfter: number | undefined;
    const all = batches(preview.data.tasks, params.batchSize);
    for (const [i, batch] of all.entries()) {
      const inBatch: string[] = [];
      for (const t of batch) {
        const now = await regularFile(path.join(src.full, t.name));
        if (!now || now.ino !== t.ino || now.mtimeMs !== t.mtimeMs) {
          items.push(`${t.name}: gone or changed since the preview, left alone`);
          continue;
        }
        if (await regularFile(path.join(dest, t.name))) {
          items.push(`${t.name}: already in ${destShown}, left alone`);
          continue;
        }
        await rename(path.join(src.full, t.name), path.join(dest, t.name));
        inBatch.push(t.name);
      }
      moved.push(...inBatch);
      if (params.delaySeconds > 0) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, params.delaySeconds * 1000);
          ctx.signal.addEventListener(
            'abort',
            () => (clearTimeout(timer), reject(new RemediationRefused('cut at the execution deadline'))),
            { once: true },
          );
        });
      }
      const failedNames = new Set(await readdir(preview.data.failed).catch(() => [] as string[]));
      const failed = inBatch.filter((n) => failedNames.has(n)).length;
      items.push(`batch ${i + 1}: ${inBatch.length} resumed, ${failed} failed`);
      if (failed > limit) {
        stoppedAfter = i + 1;
        items.push(
          `stopped: ${failed} of ${params.batchSize} failed (more than ${Math.round(params.stopAboveFailureRatio * 100)} %); ${preview.data.pendingTotal - moved.length} tasks stay pending`,
        );
        break;
      }
    }
    return {
      summary: stoppedAfter
        ? `stopped after batch ${stoppedAfter}: high failure rate; ${moved.length} tasks resumed`
        : `resumed ${moved.length} tasks in ${all.length} batches`,
      items,
      data: { moved, stoppedAfter },
    };
  },
  async verify(_params, preview, result) {
    const { moved, stoppedAfter } = result.data as { moved: string[]; stoppedAfter?: number };
    const stillPending = [];
    for (const n of moved) if (await regularFile(path.join(preview.data.from, n))) stillPending.push(n);
    if (stillPending.length) return { status: 'failed', summary: `back in pending: ${stillPending.join(', ')}` };
    if (stoppedAfter)
      return {
        status: 'failed',
        summary: `gradual resume stopped after batch ${stoppedAfter}: the worker still fails tasks; investigate before resuming more`,
      };
    return {
      status: 'passed',
      summary: `${moved.length} tasks moved to ${path.basename(preview.data.to)}; no batch failed beyond the limit`,
    };
  },
};
