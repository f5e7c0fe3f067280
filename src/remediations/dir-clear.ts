import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { plainName } from '../targets/files-root';
import { resolveInsideRoot } from './safe-path';
import { RemediationRefused, type Remediation } from './types';

export const dirClearParams = z
  .object({
    /** A folder under the target root whose contents go (seed 001: `/tmp/{{worker}}`); the folder itself stays. */
    path: z.string().min(1),
    maxEntries: z.number().int().min(1).max(10_000).default(1000),
  })
  .strict();

export type DirClearParams = z.output<typeof dirClearParams>;

export interface DirEntrySnapshot {
  name: string;
  ino: number;
  kind: 'file' | 'dir' | 'other';
}

export interface DirClearData {
  full: string;
  shown: string;
  entries: DirEntrySnapshot[];
}

/** Empties a worker's temporary folder (seed 001 clean recovery: `rm -rf /tmp/<worker>; mkdir`), only what was previewed. */
export const dirClear: Remediation<DirClearParams, DirClearData> = {
  action: 'dir.clear',
  targetKind: 'files',
  params: dirClearParams,
  async preview(params, ctx) {
    const dir = await resolveInsideRoot(ctx.target?.values.root, params.path, ctx.labels).catch((err: unknown) => {
      if (err instanceof RemediationRefused && /does not exist/.test(err.message)) return undefined;
      throw err;
    });
    if (!dir)
      return {
        summary: `${params.path} does not exist: nothing to clear`,
        items: [],
        subject: `folder ${params.path}`,
        empty: true,
        data: { full: '', shown: params.path, entries: [] },
      };
    const realRoot = await resolveInsideRoot(ctx.target?.values.root, '.', {});
    if (dir.full === realRoot.full) throw new RemediationRefused(`${params.path} is the target root itself: refused`);
    const s = await lstat(dir.full);
    if (!s.isDirectory()) throw new RemediationRefused(`${dir.shown} is not a folder: refused`);
    const entries: DirEntrySnapshot[] = [];
    for (const name of (await readdir(dir.full)).sort()) {
      if (!plainName(name)) continue;
      const e = await lstat(path.join(dir.full, name));
      entries.push({ name, ino: e.ino, kind: e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other' });
    }
    if (entries.length > params.maxEntries)
      throw new RemediationRefused(
        `${entries.length} entries in ${dir.shown} (more than ${params.maxEntries}): refused, raise maxEntries in the catalog`,
      );
    return {
      summary: entries.length
        ? `remove the ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} of ${dir.shown}`
        : `${dir.shown} is already empty`,
      items: entries
        .slice(0, 50)
        .map((e) => `${dir.shown}/${e.name}${e.kind === 'dir' ? '/ (folder, with its contents)' : ''}`)
        .concat(entries.length > 50 ? [`… and ${entries.length - 50} more`] : []),
      subject: `folder ${dir.shown}`,
      empty: entries.length === 0,
      data: { full: dir.full, shown: dir.shown, entries },
    };
  },
  async execute(params, preview, ctx) {
    const dir = await resolveInsideRoot(ctx.target?.values.root, params.path, ctx.labels);
    if (dir.full !== preview.data.full) throw new RemediationRefused('the folder moved since the preview: nothing removed');
    const removed: string[] = [];
    const skipped: string[] = [];
    for (const e of preview.data.entries) {
      const full = path.join(dir.full, e.name);
      const now = await lstat(full).catch(() => undefined);
      if (!now || now.ino !== e.ino) {
        skipped.push(`${e.name}: gone or replaced since the preview, left alone`);
        continue;
      }
      // rm does not follow symbolic links: a link is removed, never what it points to
      await rm(full, { recursive: true, force: true });
      removed.push(e.name);
    }
    return {
      summary: `removed ${removed.length} of ${preview.data.entries.length} entries of ${dir.shown}`,
      items: [...removed, ...skipped],
      data: { removed },
    };
  },
  async verify(_params, preview, result) {
    const removed = (result.data as { removed: string[] }).removed;
    const left = [];
    for (const name of removed) if (await lstat(path.join(preview.data.full, name)).catch(() => undefined)) left.push(name);
    const folder = await lstat(preview.data.full).catch(() => undefined);
    if (!folder?.isDirectory()) return { status: 'failed', summary: `${preview.data.shown} itself is gone` };
    return left.length
      ? { status: 'failed', summary: `still there: ${left.join(', ')}` }
      : { status: 'passed', summary: `${removed.length} entries gone; ${preview.data.shown} is still there` };
  },
};
