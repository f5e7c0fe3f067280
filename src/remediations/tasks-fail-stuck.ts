import { z } from 'zod';
import { moveStuckTasks, previewStuckTasks, stuckTaskParamsShape, verifyMoved, type StuckTaskData } from './task-files';
import type { Remediation } from './types';

export const tasksFailParams = z
  .object({
    ...stuckTaskParamsShape,
    failedState: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('failed'),
  })
  .strict();

export type TasksFailParams = z.output<typeof tasksFailParams>;

/** Seed 004's "Clear stuck tasks": stuck files in `<dir>/active` move, unchanged, to `<dir>/failed` for investigation. */
export const tasksFailStuck: Remediation<TasksFailParams, StuckTaskData> = {
  action: 'tasks.fail-stuck',
  targetKind: 'files',
  params: tasksFailParams,
  preview: (params, ctx) => previewStuckTasks(params, params.failedState, 'fail', ctx),
  execute: (params, preview, ctx) => moveStuckTasks(params, params.failedState, preview, ctx),
  verify: (_params, preview, result) => verifyMoved(preview, result),
};
