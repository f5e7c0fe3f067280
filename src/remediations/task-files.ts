import { lstat, mkdir, readdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { formatAge } from '../targets/durations';
import { isInsideDir, plainName, regularFile } from '../targets/files-root';
import { resolveInsideRoot } from './safe-path';
import { RemediationRefused, type ExecutionResult, type RemediationContext, type RemediationPreview, type Verification } from './types';

const STATE = z.string().regex(/^[A-Za-z0-9_-]+$/, 'a plain folder name');

export const stuckTaskParamsShape = {
  /** Task directory under the target root, holding one folder per state: `tasks/{{worker}}` (seeds 001, 004). */
  dir: z.string().min(1),
  /**
   * Tasks whose file was last modified longer ago than this are stuck (seed 001: 10 min, seed 004: 5 min); 0 = every
   * task in the folder (seed 001 clean recovery after a crash).
   */
  olderThanMinutes: z
    .number()
    .min(0)
    .max(7 * 24 * 60),
  activeState: STATE.default('active'),
  suffix: z
    .string()
    .regex(/^\.[A-Za-z0-9]+$/)
    .default('.json'),
  maxFiles: z.number().int().min(1).max(1000).default(200),
};

export interface StuckTask {
  name: string;
  ino: number;
  mtimeMs: number;
  ageSeconds: number;
}

export interface StuckTaskData {
  from: string;
  to: string;
  tasks: StuckTask[];
}

/** `active` and the destination folder under `dir`, both checked to stay inside the root (realpath, no symlink escape). */
export async function taskDirs(root: string | undefined, dir: string, from: string, to: string, ctx: RemediationContext) {
  const base = await resolveInsideRoot(root, dir, ctx.labels);
  const src = await resolveInsideRoot(root, `${dir}/${from}`, ctx.labels);
  const dest = path.join(base.full, to);
  // The destination may not exist yet (seed 004 creates it); if it does, it must not lead out of the root either.
  try {
    const s = await lstat(dest);
    if (s.isSymbolicLink() || !s.isDirectory()) throw new RemediationRefused(`${base.shown}/${to} is not a plain directory: refused`);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
  return { base, src, dest, destShown: `${base.shown}/${to}` };
}

export async function previewStuckTasks(
  params: { dir: string; olderThanMinutes: number; activeState: string; suffix: string; maxFiles: number },
  to: string,
  verb: string,
  ctx: RemediationContext,
): Promise<RemediationPreview<StuckTaskData>> {
  const root = ctx.target?.values.root;
  const { src, dest, destShown } = await taskDirs(root, params.dir, params.activeState, to, ctx);
  const now = ctx.now().getTime();
  const tasks: StuckTask[] = [];
  for (const name of (await readdir(src.full)).sort()) {
    if (!plainName(name) || !name.endsWith(params.suffix)) continue;
    const f = await regularFile(path.join(src.full, name));
    if (!f) continue;
    const ageSeconds = Math.round((now - f.mtimeMs) / 1000);
    if (params.olderThanMinutes === 0 || ageSeconds > params.olderThanMinutes * 60)
      tasks.push({ name, ino: f.ino, mtimeMs: f.mtimeMs, ageSeconds });
  }
  const which = params.olderThanMinutes === 0 ? `in ${src.shown}` : `stuck in ${src.shown} > ${params.olderThanMinutes} min`;
  if (tasks.length > params.maxFiles)
    throw new RemediationRefused(`${tasks.length} stuck tasks (more than ${params.maxFiles}): refused, raise maxFiles in the catalog`);
  return {
    summary: tasks.length
      ? `${verb} ${tasks.length} task${tasks.length === 1 ? '' : 's'} ${which} → ${destShown}`
      : params.olderThanMinutes === 0
        ? `no task in ${src.shown}`
        : `no task in ${src.shown} is older than ${params.olderThanMinutes} min`,
    items: tasks.map((t) => `${src.shown}/${t.name} (${formatAge(t.ageSeconds)} old)`),
    subject: `tasks in ${src.shown}`,
    empty: tasks.length === 0,
    data: { from: src.full, to: dest, tasks },
  };
}

/**
 * Moves each previewed task that is still the same file (inode and mtime unchanged: no worker picked it up since)
 * into the destination folder; `transform` rewrites its JSON on the way (requeue), or undefined moves it as is.
 */
export async function moveStuckTasks(
  params: { dir: string; activeState: string },
  to: string,
  preview: RemediationPreview<StuckTaskData>,
  ctx: RemediationContext,
  transform?: (task: Record<string, unknown>) => Record<string, unknown>,
): Promise<ExecutionResult> {
  const root = ctx.target?.values.root;
  const { src, dest, destShown } = await taskDirs(root, params.dir, params.activeState, to, ctx);
  if (src.full !== preview.data.from || dest !== preview.data.to)
    throw new RemediationRefused('the task folders moved since the preview: nothing done');
  await mkdir(dest, { recursive: true });
  if (!isInsideDir(await realpath(root as string), await realpath(dest)))
    throw new RemediationRefused('destination outside the root: refused');
  const moved: string[] = [];
  const skipped: string[] = [];
  for (const t of preview.data.tasks) {
    const from = path.join(src.full, t.name);
    const target = path.join(dest, t.name);
    const now = await regularFile(from);
    if (!now || now.ino !== t.ino || now.mtimeMs !== t.mtimeMs) {
      skipped.push(`${t.name}: gone or changed since the preview, left alone`);
      continue;
    }
    if (await regularFile(target)) {
      skipped.push(`${t.name}: already exists in ${destShown}, left alone`);
      continue;
    }
    if (transform) {
      let task: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(await readFile(from, 'utf8'));
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        task = parsed as Record<string, unknown>;
      } catch {
        skipped.push(`${t.name}: not a JSON task object, left alone`);
        continue;
      }
      const tmp = path.join(dest, `.${t.name}.incident-bot.tmp`);
      await writeFile(tmp, JSON.stringify(transform(task), null, 2), { flag: 'wx' });
      await rename(tmp, target);
      await rm(from);
    } else {
      await rename(from, target);
    }
    moved.push(t.name);
  }
  return {
    summary: `moved ${moved.length} of ${preview.data.tasks.length} tasks to ${destShown}`,
    items: [...moved.map((n) => `${n} → ${destShown}`), ...skipped],
    data: { moved, skipped: skipped.length },
  };
}

export async function verifyMoved(preview: RemediationPreview<StuckTaskData>, result: ExecutionResult): Promise<Verification> {
  const moved = (result.data as { moved?: string[] } | undefined)?.moved ?? [];
  if (moved.length === 0) return { status: 'skipped', summary: 'no task was moved' };
  const bad: string[] = [];
  for (const name of moved) {
    const inDest = await regularFile(path.join(preview.data.to, name));
    const inSrc = await regularFile(path.join(preview.data.from, name));
    if (!inDest || inSrc) bad.push(name);
  }
  return bad.length === 0
    ? {
        status: 'passed',
        summary: `${moved.length} task file${moved.length === 1 ? '' : 's'} now in ${path.basename(preview.data.to)}, none left in ${path.basename(preview.data.from)}`,
      }
    : { status: 'failed', summary: `not where expected: ${bad.join(', ')}` };
}
