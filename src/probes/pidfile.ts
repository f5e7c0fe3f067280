import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { describeFsError, isFsError, shownPath } from './file-errors';
import { renderPathInside } from './params-template';
import type { Probe, ProbeOutcome } from './types';

export const pidfileParams = z
  .object({
    /** PID file under the target root, e.g. `memory-daemon.pid`. */
    path: z.string().min(1),
  })
  .strict();

export type PidfileParams = z.output<typeof pidfileParams>;

/** Is a process with this pid alive on this host? Signal 0 checks without signalling. */
export type ProcessChecker = (pid: number) => boolean;

export const processAlive: ProcessChecker = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
};

export function createPidfileProbe(isAlive: ProcessChecker = processAlive): Probe<PidfileParams> {
  return {
    kind: 'pidfile',
    targetKind: 'files',
    params: pidfileParams,
    async run(params, ctx): Promise<ProbeOutcome> {
      const root = ctx.target?.values.root as string;
      const file = renderPathInside(root, params.path, ctx.labels);
      const shown = shownPath(root, file);
      let text: string;
      try {
        text = await readFile(file, { encoding: 'utf8', signal: ctx.signal });
      } catch (err) {
        if (!isFsError(err)) throw err;
        const d = describeFsError(err, `PID file ${shown}`);
        return { kind: 'pidfile', status: d.missing ? 'crit' : 'unknown', summary: d.missing ? `PID file missing (${shown}): the process is not running or never started` : d.message, figures: [], evidence: { query: shown } };
      }
      const pid = Number(text.trim());
      if (!Number.isInteger(pid) || pid <= 0) {
        return { kind: 'pidfile', status: 'crit', summary: `PID file ${shown} does not hold a process id`, figures: [], evidence: { query: shown, excerpt: text.slice(0, 100) } };
      }
      const alive = isAlive(pid);
      return {
        kind: 'pidfile',
        status: alive ? 'ok' : 'crit',
        summary: alive ? `process ${pid} is running` : `stale PID file: process ${pid} is not running`,
        figures: [
          { label: 'pid', value: pid },
          { label: 'alive', value: alive ? 'yes' : 'no' },
        ],
        evidence: { query: shown },
      };
    },
  };
}

export const pidfileProbe = createPidfileProbe();
