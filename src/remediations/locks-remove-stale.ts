import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { formatAge } from '../targets/durations';
import { renderPlain } from '../targets/params-template';
import { processAlive, type ProcessChecker } from '../targets/host-processes';
import { plainName, regularFile } from '../targets/files-root';
import { resolveInsideRoot } from './safe-path';
import { RemediationRefused, type Remediation, type RemediationContext } from './types';

export const locksRemoveStaleParams = z
  .object({
    /** A lock directory under the target root (seed 001: `/shared/locks`)… */
    dir: z.string().min(1).optional(),
    /** …and the file-name prefix of this worker's locks (`{{worker}}_`), matched as plain text. */
    prefix: z.string().default(''),
    suffix: z
      .string()
      .regex(/^(\.[A-Za-z0-9]+)?$/)
      .default('.lock'),
    /** Or one file (a stale PID file, seed 000). */
    path: z.string().min(1).optional(),
    /**
     * Locks last modified longer ago than this are stale (seed 001 deadlock check: 5 min); 0 = every lock of the
     * prefix (seed 001 clean recovery of a crashed worker). Required with `dir`.
     */
    olderThanMinutes: z
      .number()
      .min(0)
      .max(7 * 24 * 60)
      .optional(),
    /** The file holds a PID: remove it only when that process is gone. */
    onlyIfProcessGone: z.boolean().default(false),
    maxFiles: z.number().int().min(1).max(1000).default(100),
  })
  .strict()
  .superRefine((p, ctx) => {
    if ((p.dir === undefined) === (p.path === undefined))
      ctx.addIssue({ code: 'custom', message: 'give either dir (with prefix/suffix) or path' });
    if (p.dir !== undefined && p.olderThanMinutes === undefined)
      ctx.addIssue({ code: 'custom', path: ['olderThanMinutes'], message: 'required with dir' });
  });

export type LocksRemoveStaleParams = z.output<typeof locksRemoveStaleParams>;

export interface LockFile {
  name: string;
  ino: number;
  mtimeMs: number;
  ageSeconds: number;
  pid?: number;
}

export interface LockData {
  dir: string;
  shownDir: string;
  files: LockFile[];
}

async function pidIn(file: string): Promise<number | undefined> {
  const pid = Number((await readFile(file, 'utf8')).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The directory and the file names the params select: one file, or the prefix/suffix matches in a directory. */
async function lockNames(params: LocksRemoveStaleParams, ctx: RemediationContext) {
  const root = ctx.target?.values.root;
  let dir: { full: string; shown: string };
  let names: string[];
  if (params.path !== undefined) {
    const file = await resolveInsideRoot(root, params.path, ctx.labels);
    dir = { full: path.dirname(file.full), shown: path.dirname(file.shown) };
    names = [path.basename(file.full)];
  } else {
    dir = await resolveInsideRoot(root, params.dir as string, ctx.labels);
    const prefix = renderPlain(params.prefix, ctx.labels);
    names = (await readdir(dir.full)).filter((n) => plainName(n) && n.startsWith(prefix) && n.endsWith(params.suffix)).sort();
  }
  return { dir, names };
}

/** The named files that are stale (old enough, their process gone when asked), and notes on those kept. */
async function staleFiles(params: LocksRemoveStaleParams, dir: string, names: string[], now: number, isAlive: ProcessChecker) {
  const files: LockFile[] = [];
  const notes: string[] = [];
  for (const name of names) {
    const full = path.join(dir, name);
    const f = await regularFile(full);
    if (!f) {
      if (params.path !== undefined) throw new RemediationRefused(`${params.path} is not a regular file: refused`);
      continue;
    }
    const ageSeconds = Math.round((now - f.mtimeMs) / 1000);
    if (params.olderThanMinutes && ageSeconds <= params.olderThanMinutes * 60) continue;
    let pid: number | undefined;
    if (params.onlyIfProcessGone) {
      pid = await pidIn(full);
      if (pid !== undefined && isAlive(pid)) {
        notes.push(`${name}: process ${pid} is running, kept`);
        continue;
      }
    }
    files.push({ name, ino: f.ino, mtimeMs: f.mtimeMs, ageSeconds, ...(pid !== undefined ? { pid } : {}) });
  }
  return { files, notes };
}

/** `rm` of stale lock files (seed 001 clean recovery) or of a stale PID file (seed 000 daemon crash). */
export function createLocksRemoveStale(isAlive: ProcessChecker = processAlive): Remediation<LocksRemoveStaleParams, LockData> {
  return {
    action: 'locks.remove-stale',
    targetKind: 'files',
    params: locksRemoveStaleParams,
    async preview(params, ctx) {
      const { dir, names } = await lockNames(params, ctx);
      const { files, notes } = await staleFiles(params, dir.full, names, ctx.now().getTime(), isAlive);
      if (files.length > params.maxFiles)
        throw new RemediationRefused(`${files.length} stale lock files (more than ${params.maxFiles}): refused`);
      const shownDir = dir.shown === '.' ? '' : `${dir.shown}/`;
      return {
        summary: files.length
          ? `remove ${files.length} stale file${files.length === 1 ? '' : 's'} in ${dir.shown}`
          : `no stale lock file in ${dir.shown}${notes.length ? ` (${notes.join('; ')})` : ''}`,
        items: [
          ...files.map(
            (f) => `${shownDir}${f.name} (${formatAge(f.ageSeconds)} old${f.pid !== undefined ? `, process ${f.pid} gone` : ''})`,
          ),
          ...notes,
        ],
        subject: `locks in ${dir.shown}${params.prefix ? ` ${renderPlain(params.prefix, ctx.labels)}*` : ''}`,
        empty: files.length === 0,
        data: { dir: dir.full, shownDir: dir.shown, files },
      };
    },
    async execute(params, preview, _ctx) {
      const removed: string[] = [];
      const skipped: string[] = [];
      for (const f of preview.data.files) {
        const full = path.join(preview.data.dir, f.name);
        const now = await regularFile(full);
        // Re-taken since the preview (new inode or touched) or its process came back: not stale any more.
        if (!now || now.ino !== f.ino || now.mtimeMs !== f.mtimeMs) {
          skipped.push(`${f.name}: gone or re-taken since the preview, left alone`);
          continue;
        }
        if (params.onlyIfProcessGone && f.pid !== undefined && isAlive(f.pid)) {
          skipped.push(`${f.name}: process ${f.pid} is running again, left alone`);
          continue;
        }
        await rm(full);
        removed.push(f.name);
      }
      return {
        summary: `removed ${removed.length} of ${preview.data.files.length} stale files`,
        items: [...removed, ...skipped],
        data: { removed },
      };
    },
    async verify(_params, preview, result) {
      const removed = (result.data as { removed?: string[] } | undefined)?.removed ?? [];
      if (removed.length === 0) return { status: 'skipped', summary: 'nothing was removed' };
      const left: string[] = [];
      for (const name of removed) {
        const f = await regularFile(path.join(preview.data.dir, name));
        const was = preview.data.files.find((x) => x.name === name);
        if (f && f.ino === was?.ino) left.push(name);
      }
      return left.length === 0
        ? { status: 'passed', summary: `${removed.length} stale file${removed.length === 1 ? '' : 's'} gone` }
        : { status: 'failed', summary: `still there: ${left.join(', ')}` };
    },
  };
}

export const locksRemoveStale = createLocksRemoveStale();
