import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { scrubSecrets } from './secret-scrubber';

/** A host process as /proc shows it; `startTime` (clock ticks after boot) with the pid identifies it (pids are reused). */
export interface ProcessInfo {
  pid: number;
  startTime?: string;
  /** `/proc/<pid>/comm`-style name from /proc/<pid>/stat (at most 15 characters). */
  name?: string;
  /** `/proc/<pid>/cmdline`, arguments joined by spaces, secrets scrubbed, at most 300 characters. */
  cmdline?: string;
}

/** Reads a process from /proc; undefined when there is no such process (or it is a zombie). */
export async function readProcessInfo(pid: number): Promise<ProcessInfo | undefined> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EPERM') return undefined;
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
    return {
      pid,
      startTime: fields[19],
      name,
      ...(cmdline !== undefined ? { cmdline: scrubSecrets(cmdline.replace(/\0+$/, '').split('\0').join(' ')).slice(0, 300) } : {}),
    };
  } catch {
    return { pid };
  }
}

const regexString = z
  .string()
  .min(1)
  .max(200)
  .refine((p) => {
    try {
      new RegExp(p);
      return true;
    } catch {
      return false;
    }
  }, 'is not a valid regular expression');

/** Catalog fields naming the process a PID file must point at. */
export const expectedProcessFields = {
  /** Expected process name (`/proc/<pid>/comm`, compared on its first 15 characters). */
  processName: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .optional(),
  /** Or a regular expression the command line (`/proc/<pid>/cmdline`, arguments joined by spaces) must match. */
  commandLine: regexString.optional(),
};

export interface ExpectedProcess {
  processName?: string;
  commandLine?: string;
}

/** Why this process is not the one the catalog expects, or undefined when it is. Unreadable is a mismatch. */
export function processMismatch(expected: ExpectedProcess, p: ProcessInfo): string | undefined {
  if (expected.processName !== undefined) {
    if (p.name === undefined) return `the name of process ${p.pid} cannot be read, so it cannot be checked against ${expected.processName}`;
    if (p.name !== expected.processName.slice(0, 15)) return `process ${p.pid} is ${JSON.stringify(p.name)}, not ${expected.processName}`;
  }
  if (expected.commandLine !== undefined) {
    if (p.cmdline === undefined)
      return `the command line of process ${p.pid} cannot be read, so it cannot be checked against /${expected.commandLine}/`;
    if (!new RegExp(expected.commandLine).test(p.cmdline))
      return `process ${p.pid} runs ${JSON.stringify(p.cmdline.slice(0, 120))}, which does not match /${expected.commandLine}/`;
  }
  return undefined;
}

/** "name node = node, command line matches /memory_daemon\.py/" for previews and probe results. */
export function describeProcessMatch(expected: ExpectedProcess, p: ProcessInfo): string {
  const parts: string[] = [];
  if (expected.processName !== undefined) parts.push(`name ${p.name} = ${expected.processName}`);
  if (expected.commandLine !== undefined)
    parts.push(`command line ${JSON.stringify((p.cmdline ?? '').slice(0, 200))} matches /${expected.commandLine}/`);
  return parts.join(', ');
}

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
