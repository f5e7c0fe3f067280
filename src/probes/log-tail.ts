import { open } from 'node:fs/promises';
import { z } from 'zod';
import { describeFsError, isFsError, pathInsideRoot } from '../targets/files-root';
import { scrubSecrets } from '../targets/secret-scrubber';
import { statusFor, thresholdString } from './threshold';
import type { Probe, ProbeOutcome } from './types';

export const logTailParams = z
  .object({
    /** Log file under the target root, e.g. `logs/{{worker}}.log`. */
    path: z.string().min(1),
    format: z.enum(['plain', 'json']).default('plain'),
    /** How many trailing lines to examine. */
    lines: z.number().int().min(1).max(10_000).default(100),
    /** Plain format: a line is an error when this regex (case-insensitive) matches. */
    errorPattern: z
      .string()
      .default('\\b(ERROR|CRITICAL|FATAL|Traceback|panic|OOM|out of memory)\\b')
      .refine((p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      }, 'is not a valid regular expression'),
    /** JSON format: field holding the level, and the levels that count as errors. */
    levelField: z.string().default('level'),
    errorLevels: z.array(z.string()).default(['error', 'critical', 'fatal']),
    warn: thresholdString.default('> 0'),
    crit: thresholdString.optional(),
  })
  .strict();

export type LogTailParams = z.output<typeof logTailParams>;

const MAX_READ = 512 * 1024;

/** The last `n` lines of a file, reading at most the last 512 KiB. */
export async function tailLines(file: string, n: number): Promise<string[]> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, MAX_READ);
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, size - length);
    const lines = buf.toString('utf8').split('\n');
    if (size > length) lines.shift(); // first line is probably cut
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-n);
  } finally {
    await fh.close();
  }
}

export const logTailProbe: Probe<LogTailParams> = {
  kind: 'log-tail',
  targetKind: 'files',
  params: logTailParams,
  async run(params, ctx): Promise<ProbeOutcome> {
    const { full: file, shown } = await pathInsideRoot(ctx.target, params.path, ctx.labels);
    let lines: string[];
    try {
      lines = await tailLines(file, params.lines);
    } catch (err) {
      if (!isFsError(err)) throw err;
      const d = describeFsError(err, `log file ${shown}`);
      return { kind: 'log-tail', status: 'unknown', summary: d.message, figures: [], evidence: { query: shown } };
    }
    const re = new RegExp(params.errorPattern, 'i');
    const levels = new Set(params.errorLevels.map((l) => l.toLowerCase()));
    const errors = lines.filter((line) => {
      if (params.format === 'plain') return re.test(line);
      try {
        const obj = JSON.parse(line) as Record<string, unknown>;
        return levels.has(String(obj[params.levelField] ?? '').toLowerCase());
      } catch {
        return false;
      }
    });
    const status = statusFor(errors.length, params.warn, params.crit);
    return {
      kind: 'log-tail',
      status,
      summary: `${errors.length} error line${errors.length === 1 ? '' : 's'} in the last ${lines.length} lines`,
      figures: [
        { label: 'error lines', value: errors.length },
        { label: 'lines read', value: lines.length },
      ],
      evidence: { query: `tail -n ${params.lines} ${shown}`, excerpt: scrubSecrets(errors.slice(-10).join('\n')) || undefined },
    };
  },
};
