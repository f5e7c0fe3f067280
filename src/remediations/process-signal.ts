import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { describeProcessMatch, expectedProcessFields, processMismatch, readProcessInfo, type ProcessInfo } from '../targets/host-processes';
import { resolveInsideRoot } from './safe-path';
import { RemediationRefused, waitFor, type Remediation } from './types';

/** The signals a catalog may name: reloads and graceful stops, never KILL. */
export const ALLOWED_SIGNALS = ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2'] as const;
type AllowedSignal = (typeof ALLOWED_SIGNALS)[number];
const STOPPING: readonly AllowedSignal[] = ['SIGTERM', 'SIGINT'];

export const processSignalParams = z
  .object({
    /** PID file under the target root (seed 000: `memory-daemon.pid`); `{{label}}` allowed. */
    pidfile: z.string().min(1),
    signal: z
      .enum([...ALLOWED_SIGNALS, 'HUP', 'TERM', 'INT', 'USR1', 'USR2'])
      .transform((s) => (s.startsWith('SIG') ? s : `SIG${s}`) as AllowedSignal),
    /** The process the PID file must name (at least one): a PID that belongs to anything else is refused. */
    ...expectedProcessFields,
    verifySeconds: z.number().int().min(1).max(120).default(10),
  })
  .strict()
  .refine((p) => p.processName !== undefined || p.commandLine !== undefined, {
    message: 'name the process the PID file must point at: processName (as in /proc/<pid>/comm) or commandLine (a regular expression)',
    path: ['processName'],
  });

export type ProcessSignalParams = z.output<typeof processSignalParams>;

export type ProcessSnapshot = ProcessInfo;

/** Host process table access; injectable so tests and non-Linux hosts can replace it. */
export interface ProcessTable {
  /** undefined: no such process (or a zombie). */
  inspect(pid: number): Promise<ProcessSnapshot | undefined>;
  kill(pid: number, signal: AllowedSignal): void;
}

export const procProcessTable: ProcessTable = {
  inspect: readProcessInfo,
  kill: (pid, signal) => {
    process.kill(pid, signal);
  },
};

export function createProcessSignal(table: ProcessTable = procProcessTable): Remediation<ProcessSignalParams, ProcessSnapshot> {
  const readPid = async (full: string, shown: string): Promise<number> => {
    const text = await readFile(full, 'utf8');
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 1) throw new RemediationRefused(`PID file ${shown} does not hold a process id`);
    return pid;
  };
  return {
    action: 'process.signal',
    targetKind: 'files',
    params: processSignalParams,
    async preview(params, ctx) {
      const file = await resolveInsideRoot(ctx.target?.values.root, params.pidfile, ctx.labels);
      const pid = await readPid(file.full, file.shown);
      const p = await table.inspect(pid);
      if (!p) throw new RemediationRefused(`stale PID file ${file.shown}: process ${pid} is not running, nothing to signal`);
      const mismatch = processMismatch(params, p);
      if (mismatch) throw new RemediationRefused(`${mismatch} (PID file ${file.shown}): refused, nothing signalled`);
      const match = describeProcessMatch(params, p);
      return {
        summary: `send ${params.signal} to process ${pid}${p.name ? ` (${p.name})` : ''} from ${file.shown}; ${match}`,
        items: [`process ${pid}${p.name ? ` ${p.name}` : ''} (PID file ${file.shown}; ${match})`],
        subject: `process from ${file.shown}`,
        empty: false,
        data: p,
      };
    },
    async execute(params, preview, ctx) {
      const file = await resolveInsideRoot(ctx.target?.values.root, params.pidfile, ctx.labels);
      const pid = await readPid(file.full, file.shown);
      const p = await table.inspect(pid);
      if (pid !== preview.data.pid || !p || p.startTime !== preview.data.startTime) {
        throw new RemediationRefused(
          `the process behind ${file.shown} changed since the preview (pid ${preview.data.pid} → ${pid}${p ? '' : ', not running'}): no signal sent`,
        );
      }
      const mismatch = processMismatch(params, p);
      if (mismatch) throw new RemediationRefused(`${mismatch} (PID file ${file.shown}): no signal sent`);
      table.kill(pid, params.signal);
      return { summary: `sent ${params.signal} to process ${pid}`, items: [`process ${pid}${p.name ? ` ${p.name}` : ''}`] };
    },
    async verify(params, preview, _result, ctx) {
      const { pid, startTime } = preview.data;
      const same = async () => {
        const p = await table.inspect(pid);
        return p !== undefined && p.startTime === startTime;
      };
      if (STOPPING.includes(params.signal)) {
        const gone = await waitFor(async () => ((await same()) ? undefined : true), params.verifySeconds * 1000, ctx.signal, 100);
        return gone
          ? { status: 'passed', summary: `process ${pid} has stopped` }
          : { status: 'failed', summary: `process ${pid} is still running ${params.verifySeconds} s after ${params.signal}` };
      }
      return (await same())
        ? { status: 'passed', summary: `process ${pid} is still running after ${params.signal} (reloaded)` }
        : { status: 'failed', summary: `process ${pid} exited after ${params.signal}` };
    },
  };
}

export const processSignal = createProcessSignal();
