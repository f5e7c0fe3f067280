import { z } from 'zod';
import { moveStuckTasks, previewStuckTasks, stuckTaskParamsShape, verifyMoved, type StuckTaskData } from './task-files';
import type { Remediation } from './types';

export const tasksRequeueParams = z
  .object({
    ...stuckTaskParamsShape,
    pendingState: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('pending'),
    /** Written to the task as `failure_reason` (seed 001: worker_crash). */
    reason: z
      .string()
      .regex(/^[A-Za-z0-9_. -]{1,80}$/)
      .default('stuck'),
  })
  .strict();

export type TasksRequeueParams = z.output<typeof tasksRequeueParams>;

/**
 * Seed 001's clean recovery: stuck task files in `<dir>/active` go back to `<dir>/pending` with `retry_count` + 1,
 * `last_failure` (epoch seconds) and `failure_reason`.
 */
export const tasksRequeueStuck: Remediation<TasksRequeueParams, StuckTaskData> = {
  action: 'tasks.requeue-stuck',
  targetKind: 'files',
  params: tasksRequeueParams,
  preview: (params, ctx) => previewStuckTasks(params, params.pendingState, 'requeue', ctx),
  execute: (params, preview, ctx) =>
    moveStuckTasks(params, params.pendingState, preview, ctx, (task) => ({
      ...task,
      retry_count: (typeof task.retry_count === 'number' ? task.retry_count : 0) + 1,
      last_failure: ctx.now().getTime() / 1000,
      failure_reason: params.reason,
    })),
  verify: (_params, preview, result) => verifyMoved(preview, result),
};
