import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { renderPathInside } from '../targets/params-template';
import { regularFile } from '../targets/files-root';
import { resolveInsideRoot } from './safe-path';
import { RemediationRefused, type Remediation, type RemediationContext } from './types';

const FIELD = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a JSON field name');

export const jsonFileUpdateParams = z
  .object({
    /** A JSON state file under the target root: `workers/{{worker}}/state.json` (seed 001). */
    path: z
      .string()
      .min(1)
      .regex(/\.json$/, 'a .json file'),
    /** Fields written with a fixed value (`status: recovering`). */
    set: z.record(FIELD, z.union([z.string().max(200), z.number(), z.boolean()])).default({}),
    /** Fields written with the current time in epoch seconds (`last_crash`), as Python's time.time(). */
    now: z.array(FIELD).default([]),
    /** Fields written as the previous value + 1, or 1 when the file or field is absent (`recovery_count`). */
    increment: z.array(FIELD).default([]),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (Object.keys(p.set).length + p.now.length + p.increment.length === 0)
      ctx.addIssue({ code: 'custom', message: 'nothing to write: give set, now or increment' });
  });

export type JsonFileUpdateParams = z.output<typeof jsonFileUpdateParams>;

export interface JsonFileUpdateData {
  full: string;
  shown: string;
  /** The file as previewed: absent, or its inode and mtime (execute refuses if it changed). */
  before: { ino: number; mtimeMs: number } | null;
  /** Previous values of the increment fields. */
  counters: Record<string, number>;
}

async function locate(params: JsonFileUpdateParams, ctx: RemediationContext): Promise<{ full: string; shown: string }> {
  const root = ctx.target?.values.root;
  if (!root) throw new RemediationRefused('the files target has no root configured');
  try {
    return await resolveInsideRoot(root, params.path, ctx.labels);
  } catch (err) {
    if (!(err instanceof RemediationRefused && /does not exist/.test(err.message))) throw err;
    // the file may be written for the first time; its folder must exist inside the root
    const full = renderPathInside(root, params.path, ctx.labels);
    const dir = await resolveInsideRoot(root, path.dirname(path.relative(root, full)) || '.', {});
    return { full: path.join(dir.full, path.basename(full)), shown: path.relative(path.resolve(root), full) };
  }
}

/**
 * Rewrites a small JSON state file (seed 001 clean recovery: `state.json` → `{status: recovering, last_crash: now,
 * recovery_count: n + 1}`), replacing its content with exactly the declared fields, atomically.
 */
export const jsonFileUpdate: Remediation<JsonFileUpdateParams, JsonFileUpdateData> = {
  action: 'json-file.update',
  targetKind: 'files',
  params: jsonFileUpdateParams,
  async preview(params, ctx) {
    const file = await locate(params, ctx);
    const meta = await regularFile(file.full);
    let current: Record<string, unknown> = {};
    if (meta) {
      try {
        const parsed: unknown = JSON.parse(await readFile(file.full, 'utf8'));
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) current = parsed as Record<string, unknown>;
      } catch {
        // an unreadable state file is replaced, as the runbook does
      }
    }
    const counters: Record<string, number> = {};
    for (const f of params.increment) counters[f] = typeof current[f] === 'number' ? (current[f] as number) : 0;
    const items = [
      ...Object.entries(params.set).map(([k, v]) => `${k}: ${JSON.stringify(current[k] ?? null)} → ${JSON.stringify(v)}`),
      ...params.now.map((k) => `${k}: ${JSON.stringify(current[k] ?? null)} → the time of the run`),
      ...params.increment.map((k) => `${k}: ${counters[k]} → ${(counters[k] as number) + 1}`),
    ];
    return {
      summary: `${meta ? 'rewrite' : 'create'} ${file.shown}`,
      items,
      subject: `file ${file.shown}`,
      empty: false,
      data: { full: file.full, shown: file.shown, before: meta ? { ino: meta.ino, mtimeMs: meta.mtimeMs } : null, counters },
    };
  },
  async execute(params, preview, ctx) {
    const file = await locate(params, ctx);
    if (file.full !== preview.data.full) throw new RemediationRefused('the file moved since the preview: nothing written');
    const meta = await regularFile(file.full);
    const before = preview.data.before;
    if ((meta === undefined) !== (before === null) || (meta && before && (meta.ino !== before.ino || meta.mtimeMs !== before.mtimeMs))) {
      throw new RemediationRefused(`${file.shown} changed since the preview: nothing written`);
    }
    const now = ctx.now().getTime() / 1000;
    const content: Record<string, unknown> = { ...params.set };
    for (const k of params.now) content[k] = now;
    for (const k of params.increment) content[k] = (preview.data.counters[k] ?? 0) + 1;
    const tmp = path.join(path.dirname(file.full), `.${path.basename(file.full)}.incident-bot.tmp`);
    await writeFile(tmp, JSON.stringify(content, null, 2), { flag: 'w' });
    await rename(tmp, file.full);
    return {
      summary: `wrote ${file.shown}`,
      items: Object.entries(content).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
      data: { content },
    };
  },
  async verify(_params, preview, result) {
    const want = (result.data as { content: Record<string, unknown> }).content;
    let got: unknown;
    try {
      got = JSON.parse(await readFile(preview.data.full, 'utf8'));
    } catch (err) {
      return { status: 'failed', summary: `${preview.data.shown} cannot be read back: ${(err as Error).message}` };
    }
    return JSON.stringify(got) === JSON.stringify(want)
      ? { status: 'passed', summary: `${preview.data.shown} holds the new state` }
      : { status: 'failed', summary: `${preview.data.shown} does not hold what was written (another writer?)` };
  },
};
