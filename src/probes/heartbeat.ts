import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { describeFsError, isFsError, pathInsideRoot } from '../targets/files-root';
import { formatAge } from '../targets/durations';
import { statusFor, thresholdString } from './threshold';
import type { Probe, ProbeOutcome } from './types';

export const heartbeatParams = z
  .object({
    /** JSON file under the target root, e.g. `workers/{{worker}}/heartbeat.json`. */
    path: z.string().min(1),
    /** Field holding the timestamp: ISO 8601, or epoch seconds/milliseconds. */
    field: z.string().default('timestamp'),
    warnAgeSeconds: thresholdString.default('> 60'),
    critAgeSeconds: thresholdString.default('> 300'),
  })
  .strict();

export type HeartbeatParams = z.output<typeof heartbeatParams>;

export const heartbeatProbe: Probe<HeartbeatParams> = {
  kind: 'heartbeat',
  targetKind: 'files',
  params: heartbeatParams,
  async run(params, ctx): Promise<ProbeOutcome> {
    const { full: file, shown } = await pathInsideRoot(ctx.target, params.path, ctx.labels);
    let text: string;
    try {
      text = await readFile(file, { encoding: 'utf8', signal: ctx.signal });
    } catch (err) {
      if (!isFsError(err)) throw err;
      const d = describeFsError(err, `heartbeat file ${shown}`);
      return {
        kind: 'heartbeat',
        status: d.missing ? 'crit' : 'unknown',
        summary: d.missing ? `no heartbeat file (${shown})` : d.message,
        figures: [],
        evidence: { query: shown },
      };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return {
        kind: 'heartbeat',
        status: 'unknown',
        summary: `heartbeat file ${shown} is not JSON`,
        figures: [],
        evidence: { query: shown, excerpt: text.slice(0, 200) },
      };
    }
    const value = (raw as Record<string, unknown> | null)?.[params.field];
    const at = toDate(value);
    if (!at) {
      return {
        kind: 'heartbeat',
        status: 'unknown',
        summary: `heartbeat field ${params.field} is missing or not a time`,
        figures: [],
        evidence: { query: shown, raw },
      };
    }
    const ageSeconds = Math.max(0, Math.round((ctx.now().getTime() - at.getTime()) / 1000));
    const status = statusFor(ageSeconds, params.warnAgeSeconds, params.critAgeSeconds);
    return {
      kind: 'heartbeat',
      status,
      summary: `last heartbeat ${formatAge(ageSeconds)} ago (${at.toISOString()})`,
      figures: [{ label: 'age', value: ageSeconds, unit: 's' }],
      evidence: { query: shown, raw },
    };
  },
};

function toDate(v: unknown): Date | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v > 1e12 ? v : v * 1000);
  if (typeof v === 'string' && v.trim() !== '') {
    if (/^\d+(\.\d+)?$/.test(v)) return toDate(Number(v));
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}
