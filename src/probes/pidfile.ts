import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { describeFsError, isFsError, pathInsideRoot } from '../targets/files-root';
import {
  describeProcessMatch,
  expectedProcessFields,
  processAlive,
  processMismatch,
  readProcessInfo,
  type ProcessChecker,
  type ProcessInfo,
} from '../targets/host-processes';
import type { Probe, ProbeOutcome } from './types';

export const pidfileParams = z
  .object({
    /** PID file under the target root, e.g. `memory-daemon.pid`. */
    path: z.string().min(1),
    /** The process the PID file should name; a live PID of another program is reported as crit (stale, pid reused). */
    ...expectedProcessFields,
  })
  .strict();

export type PidfileParams = z.output<typeof pidfileParams>;

export function createPidfileProbe(
  isAlive: ProcessChecker = processAlive,
  readProcess: (pid: number) => Promise<ProcessInfo | undefined> = readProcessInfo,
): Probe<PidfileParams> {
  return {
    kind: 'pidfile',
    targetKind: 'files',
    params: pidfileParams,
    async run(params, ctx): Promise<ProbeOutcome> {
      const { full: file, shown } = await pathInsideRoot(ctx.target, params.path, ctx.labels);
      let text: string;
      try {
        text = await readFile(file, { encoding: 'utf8', signal: ctx.signal });
      } catch (err) {
        if (!isFsError(err)) throw err;
        const d = describeFsError(err, `PID file ${shown}`);
        return {
          kind: 'pidfile',
          status: d.missing ? 'crit' : 'unknown',
          summary: d.missing ? `PID file missing (${shown}): the process is not running or never started` : d.message,
          figures: [],
          evidence: { query: shown },
        };
      }
      const pid = Number(text.trim());
      if (!Number.isInteger(pid) || pid <= 0) {
        return {
          kind: 'pidfile',
          status: 'crit',
          summary: `PID file ${shown} does not hold a process id`,
          figures: [],
          evidence: { query: shown, excerpt: text.slice(0, 100) },
        };
      }
      const alive = isAlive(pid);
      if (alive && (params.processName !== undefined || params.commandLine !== undefined)) {
        const info = (await readProcess(pid)) ?? { pid };
        const mismatch = processMismatch(params, info);
        if (mismatch) {
          return {
            kind: 'pidfile',
            status: 'crit',
            summary: `PID file ${shown} names the wrong process: ${mismatch} (the daemon is not running and its pid was reused)`,
            figures: [
              { label: 'pid', value: pid },
              { label: 'process', value: info.name ?? 'unknown' },
            ],
            evidence: { query: shown },
          };
        }
        return {
          kind: 'pidfile',
          status: 'ok',
          summary: `process ${pid} is running (${describeProcessMatch(params, info)})`,
          figures: [
            { label: 'pid', value: pid },
            { label: 'alive', value: 'yes' },
            { label: 'process', value: info.name ?? 'unknown' },
          ],
          evidence: { query: shown },
        };
      }
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
