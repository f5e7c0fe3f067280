import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { describeFsError, isFsError, pathInsideRoot } from '../targets/files-root';
import { formatAge } from '../targets/durations';
import { renderPlain } from '../targets/params-template';
import { statusFor, thresholdString, worst } from './threshold';
import type { Figure, Probe, ProbeOutcome } from './types';

export const taskQueueParams = z
  .object({
    /** Task directory under the root holding one folder per state: `tasks/{{worker}}`. */
    dir: z.string().min(1),
    states: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/)).default(['pending', 'active', 'completed', 'failed']),
    /** The state whose files count as in progress. */
    activeState: z.string().default('active'),
    /** Files matching this suffix count as tasks. */
    suffix: z.string().default('.json'),
    stuckMinutes: z.number().positive().default(10),
    /** Lock directory under the root and the file-name prefix of this worker's locks (`{{worker}}_`). */
    locksDir: z.string().optional(),
    lockPrefix: z.string().default(''),
    lockStaleMinutes: z.number().positive().default(5),
    stuckWarn: thresholdString.default('> 0'),
    stuckCrit: thresholdString.optional(),
    staleLocksWarn: thresholdString.default('> 0'),
    staleLocksCrit: thresholdString.optional(),
    pendingWarn: thresholdString.optional(),
    pendingCrit: thresholdString.optional(),
  })
  .strict();

export type TaskQueueParams = z.output<typeof taskQueueParams>;

interface Entry {
  name: string;
  ageSeconds: number;
}

async function listAged(dir: string, accept: (name: string) => boolean, now: number): Promise<Entry[]> {
  const names = (await readdir(dir)).filter(accept);
  const out: Entry[] = [];
  for (const name of names) {
    try {
      const s = await stat(path.join(dir, name));
      if (s.isFile()) out.push({ name, ageSeconds: Math.max(0, Math.round((now - s.mtimeMs) / 1000)) });
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err; // moved between readdir and stat
    }
  }
  return out;
}

export const taskQueueProbe: Probe<TaskQueueParams> = {
  kind: 'task-queue',
  targetKind: 'files',
  params: taskQueueParams,
  async run(params, ctx): Promise<ProbeOutcome> {
    const { full: dir, shown } = await pathInsideRoot(ctx.target, params.dir, ctx.labels);
    const now = ctx.now().getTime();
    const counts: Record<string, number> = {};
    let active: Entry[] = [];
    let found = 0;
    for (const state of params.states) {
      try {
        const entries = await listAged(path.join(dir, state), (n) => n.endsWith(params.suffix), now);
        counts[state] = entries.length;
        found++;
        if (state === params.activeState) active = entries;
      } catch (err) {
        if (!isFsError(err)) throw err;
        if (!describeFsError(err, '').missing) throw err;
        counts[state] = 0;
      }
      if (ctx.signal.aborted) break;
    }
    if (found === 0) {
      return {
        kind: 'task-queue',
        status: 'unknown',
        summary: `task directory ${shown} not found (no state folders)`,
        figures: [],
        evidence: { query: shown },
      };
    }
    const stuck = active.filter((e) => e.ageSeconds > params.stuckMinutes * 60).sort((a, b) => b.ageSeconds - a.ageSeconds);
    const oldest = active.reduce<Entry | undefined>((a, b) => (!a || b.ageSeconds > a.ageSeconds ? b : a), undefined);

    let staleLocks: Entry[] = [];
    let locksShown: string | undefined;
    if (params.locksDir) {
      const locks = await pathInsideRoot(ctx.target, params.locksDir, ctx.labels);
      const lockDir = locks.full;
      locksShown = locks.shown;
      const prefix = renderPlain(params.lockPrefix, ctx.labels);
      try {
        const lockEntries = await listAged(lockDir, (n) => n.startsWith(prefix) && n.endsWith('.lock'), now);
        staleLocks = lockEntries.filter((l) => l.ageSeconds > params.lockStaleMinutes * 60);
      } catch (err) {
        if (!isFsError(err) || !describeFsError(err, '').missing) throw err;
      }
    }

    const status = worst([
      statusFor(stuck.length, params.stuckWarn, params.stuckCrit),
      statusFor(staleLocks.length, params.staleLocksWarn, params.staleLocksCrit),
      statusFor(counts.pending ?? 0, params.pendingWarn, params.pendingCrit),
    ]);
    const figures: Figure[] = [
      ...params.states.map((s) => ({ label: s, value: counts[s] ?? 0 })),
      { label: `stuck > ${params.stuckMinutes} min`, value: stuck.length },
    ];
    if (oldest) figures.push({ label: `oldest ${params.activeState}`, value: formatAge(oldest.ageSeconds) });
    if (params.locksDir) figures.push({ label: `locks > ${params.lockStaleMinutes} min`, value: staleLocks.length });
    const parts = [params.states.map((s) => `${counts[s] ?? 0} ${s}`).join(', ')];
    if (stuck.length)
      parts.push(`${stuck.length} stuck > ${params.stuckMinutes} min (oldest ${formatAge((stuck[0] as Entry).ageSeconds)})`);
    if (staleLocks.length) parts.push(`${staleLocks.length} stale lock${staleLocks.length === 1 ? '' : 's'}`);
    return {
      kind: 'task-queue',
      status,
      summary: parts.join('; '),
      figures,
      evidence: {
        query: locksShown ? `${shown} + ${locksShown}` : shown,
        raw: { counts, stuck: stuck.slice(0, 20), staleLocks: staleLocks.slice(0, 20) },
        excerpt:
          [
            ...stuck.slice(0, 5).map((s) => `stuck: ${s.name} (${formatAge(s.ageSeconds)})`),
            ...staleLocks.slice(0, 5).map((l) => `stale lock: ${l.name} (${formatAge(l.ageSeconds)})`),
          ].join('\n') || undefined,
      },
    };
  },
};
