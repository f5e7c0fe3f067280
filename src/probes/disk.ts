import { statfs } from 'node:fs/promises';
import { z } from 'zod';
import { describeFsError, isFsError, pathInsideRoot } from '../targets/files-root';
import { statusFor, thresholdString } from './threshold';
import type { Probe, ProbeOutcome } from './types';

export const diskParams = z
  .object({
    /** Directory under the target root whose filesystem is measured. */
    path: z.string().default('.'),
    /** Thresholds on the used fraction (0–1). */
    warn: thresholdString.default('>= 0.9'),
    crit: thresholdString.default('>= 0.95'),
  })
  .strict();

export type DiskParams = z.output<typeof diskParams>;

export const diskProbe: Probe<DiskParams> = {
  kind: 'disk',
  targetKind: 'files',
  params: diskParams,
  async run(params, ctx): Promise<ProbeOutcome> {
    const { full: dir, shown } = await pathInsideRoot(ctx.target, params.path, ctx.labels);
    let s;
    try {
      s = await statfs(dir);
    } catch (err) {
      if (!isFsError(err)) throw err;
      return { kind: 'disk', status: 'unknown', summary: describeFsError(err, shown).message, figures: [], evidence: { query: shown } };
    }
    const total = s.blocks * s.bsize;
    const free = s.bavail * s.bsize;
    // df's Use%: used / (used + available to unprivileged users); the blocks reserved for root count as neither.
    const usedBytes = (s.blocks - s.bfree) * s.bsize;
    const used = usedBytes + free > 0 ? usedBytes / (usedBytes + free) : NaN;
    const status = statusFor(used, params.warn, params.crit);
    return {
      kind: 'disk',
      status,
      summary: `${(used * 100).toFixed(1)}% used, ${formatBytes(free)} free of ${formatBytes(total)}`,
      figures: [
        { label: 'used', value: Number((used * 100).toFixed(1)), unit: '%' },
        { label: 'free', value: formatBytes(free) },
      ],
      evidence: { query: `statfs ${shown}`, raw: { total, free, used } },
    };
  },
};

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}
