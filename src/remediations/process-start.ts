import { spawn } from 'node:child_process';
import { readFile, stat, unlink } from 'node:fs/promises';
import { z } from 'zod';
import { httpGet, TargetUnreachable } from '../targets/http-connector';
import { placeholdersIn, redactUrl, renderPlain, renderUrl } from '../targets/params-template';
import { procProcessTable, type ProcessTable } from './process-signal';
import { regularFile } from '../targets/files-root';
import { resolveInsideRoot } from './safe-path';
import { RemediationRefused, waitFor, type Remediation, type RemediationContext } from './types';

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const processStartParams = z
  .object({
    /**
     * The program and its arguments exactly as the runbook types them (seed 000: `uv run python
     * scripts/core/memory_daemon.py start`). Started without a shell; `{{label}}` only in later arguments.
     */
    argv: z
      .array(
        z
          .string()
          .min(1)
          .max(500)
          .refine((s) => !s.includes('\0'), 'no NUL characters'),
      )
      .min(1)
      .max(32)
      .refine((a) => placeholdersIn(a[0]).size === 0, 'the program (argv[0]) comes from the catalog only, never from a label'),
    /** A files target whose root is the working directory (the daemon's checkout); default: the action's target root. */
    workdirTarget: z.string().regex(NAME).optional(),
    /** PID file under the action's target root that the started process writes. */
    pidfile: z.string().min(1),
    /** Health endpoint on an http target of the runbook, answered 2xx once the process is up. */
    health: z
      .object({
        target: z.string().regex(NAME),
        path: z
          .string()
          .regex(/^\/[^\s{}]*$/)
          .default('/health'),
      })
      .strict()
      .optional(),
    /** How long verification waits for the PID file and the health endpoint. */
    verifySeconds: z.number().int().min(1).max(300).default(30),
  })
  .strict();

export type ProcessStartParams = z.output<typeof processStartParams>;

export interface ProcessStartPreview {
  argv: string[];
  /** Working directory, as shown (target name). */
  workdir: string;
  /** A PID file left by a dead process, removed before starting (the runbook's `rm -f memory-daemon.pid`). */
  stalePidfile?: { pid: number; ino: number; mtimeMs: number };
}

/** What each started child did, by pid, so verification can tell "exited with 1" from "still starting". */
const exits = new Map<number, { code: number | null; signal: NodeJS.Signals | null }>();

function renderArgv(argv: string[], labels: Readonly<Record<string, string>>): string[] {
  return argv.map((a, i) => {
    if (i === 0) return a;
    const out = renderPlain(a, labels);
    // a label value is data, never an option the program would parse
    if (out !== a && out.startsWith('-')) throw new RemediationRefused(`argument ${i} would start with "-" from a label value: refused`);
    return out;
  });
}

async function workdirOf(params: ProcessStartParams, ctx: RemediationContext): Promise<{ full: string; shown: string }> {
  const t = params.workdirTarget ? ctx.targetNamed?.(params.workdirTarget) : ctx.target;
  if (!t) throw new RemediationRefused(`working directory target ${params.workdirTarget} is not in the catalog`);
  if (t.kind !== 'files')
    throw new RemediationRefused(`target ${t.name} is a ${t.kind} target; the working directory needs a files target`);
  if (t.missing.length) throw new RemediationRefused(`target ${t.name} is not configured: set ${t.missing.join(', ')}`);
  const dir = await resolveInsideRoot(t.values.root, '.', {});
  if (!(await stat(dir.full)).isDirectory()) throw new RemediationRefused(`${t.name} root is not a directory`);
  return { full: dir.full, shown: t.name };
}

function healthUrl(params: ProcessStartParams, ctx: RemediationContext): URL | undefined {
  if (!params.health) return undefined;
  const t = ctx.targetNamed?.(params.health.target);
  if (!t || t.kind !== 'http') throw new RemediationRefused(`health target ${params.health.target} is not an http target of this runbook`);
  if (t.missing.length) throw new RemediationRefused(`health target ${t.name} is not configured: set ${t.missing.join(', ')}`);
  return renderUrl(t.values.url as string, params.health.path, undefined, {});
}

type PidfileState =
  | { kind: 'none' }
  | { kind: 'running'; pid: number; shown: string }
  | { kind: 'stale'; pid: number; full: string; shown: string; ino: number; mtimeMs: number };

/** The PID file's process when it is alive; `stale` when the file names a dead one. */
async function pidfileState(table: ProcessTable, params: ProcessStartParams, ctx: RemediationContext): Promise<PidfileState> {
  const root = ctx.target?.values.root;
  let file;
  try {
    file = await resolveInsideRoot(root, params.pidfile, ctx.labels);
  } catch (err) {
    if (err instanceof RemediationRefused && /does not exist/.test(err.message)) return { kind: 'none' };
    throw err;
  }
  const meta = await regularFile(file.full);
  if (!meta) throw new RemediationRefused(`${file.shown} is not a regular file: refused`);
  const pid = Number((await readFile(file.full, 'utf8')).trim());
  const alive = Number.isInteger(pid) && pid > 1 ? await table.inspect(pid) : undefined;
  if (alive) return { kind: 'running', pid, shown: file.shown };
  return { kind: 'stale', pid, full: file.full, shown: file.shown, ino: meta.ino, mtimeMs: meta.mtimeMs };
}

/** Starts the program detached, without a shell, with only the environment the configuration hands on. */
async function spawnDetached(argv: string[], cwd: string, env: Readonly<Record<string, string>> | undefined): Promise<number> {
  const [program, ...args] = argv as [string, ...string[]];
  const child = spawn(program, args, { cwd, env: { ...env }, detached: true, stdio: 'ignore', shell: false });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('error', (err) => reject(new RemediationRefused(`could not start ${program}: ${err.message}`)));
    child.once('spawn', () => resolve(child.pid as number));
  });
  child.once('exit', (code, signal) => exits.set(pid, { code, signal }));
  child.unref();
  return pid;
}

/** One look at the started process: passed, failed (it exited), or undefined with what is still missing in `note`. */
async function upYet(
  table: ProcessTable,
  params: ProcessStartParams,
  ctx: RemediationContext,
  started: number | undefined,
  health: URL | undefined,
  note: (text: string) => void,
): Promise<{ passed: string } | { failed: string } | undefined> {
  const exit = started !== undefined ? exits.get(started) : undefined;
  if (exit && exit.code !== 0)
    return { failed: `process ${started} exited with ${exit.code === null ? exit.signal : `code ${exit.code}`}` };
  const state = await pidfileState(table, params, ctx);
  if (state.kind !== 'running') {
    note(state.kind === 'stale' ? `PID file names process ${state.pid}, which is not running` : 'no PID file yet');
    return undefined;
  }
  if (!health) return { passed: `process ${state.pid} is running (${state.shown})` };
  try {
    const answer = await httpGet(health, { signal: ctx.signal, timeoutMs: 2000 });
    if (answer.status >= 200 && answer.status < 300)
      return { passed: `process ${state.pid} is running (${state.shown}); ${redactUrl(health)} answered ${answer.status}` };
    note(`process ${state.pid} is running but ${redactUrl(health)} answered ${answer.status}`);
  } catch (err) {
    if (!(err instanceof TargetUnreachable)) throw err;
    note(`process ${state.pid} is running but ${redactUrl(health)} does not answer yet`);
  }
  return undefined;
}

export function createProcessStart(table: ProcessTable = procProcessTable): Remediation<ProcessStartParams, ProcessStartPreview> {
  return {
    action: 'process.start',
    targetKind: 'files',
    params: processStartParams,
    extraTargets: (p) => [
      ...(p.workdirTarget ? [{ name: p.workdirTarget, kind: 'files' as const }] : []),
      ...(p.health ? [{ name: p.health.target, kind: 'http' as const }] : []),
    ],
    limits: () => ({ maxRunsPerWindow: 3, cooldownSeconds: 60 }),
    async preview(params, ctx) {
      const argv = renderArgv(params.argv, ctx.labels);
      const workdir = await workdirOf(params, ctx);
      const health = healthUrl(params, ctx);
      const state = await pidfileState(table, params, ctx);
      if (state.kind === 'running')
        throw new RemediationRefused(`already running: process ${state.pid} from ${state.shown}; nothing to start`);
      const items = [
        ...(state.kind === 'stale' ? [`remove stale PID file ${state.shown} (process ${state.pid} gone)`] : []),
        `run ${argv.map((a) => JSON.stringify(a)).join(' ')} in ${workdir.shown} (no shell, no inherited secrets)`,
        `then wait up to ${params.verifySeconds} s for a running process in ${params.pidfile}${health ? ` and HTTP 2xx from ${redactUrl(health)}` : ''}`,
      ];
      return {
        summary: `start ${argv.join(' ')}`,
        items,
        subject: `process from ${params.pidfile}`,
        empty: false,
        data: {
          argv,
          workdir: workdir.shown,
          ...(state.kind === 'stale' ? { stalePidfile: { pid: state.pid, ino: state.ino, mtimeMs: state.mtimeMs } } : {}),
        },
      };
    },
    async execute(params, preview, ctx) {
      const state = await pidfileState(table, params, ctx);
      if (state.kind === 'running')
        throw new RemediationRefused(`process ${state.pid} from ${state.shown} started since the preview: not starting a second one`);
      const items: string[] = [];
      if (state.kind === 'stale') {
        const seen = preview.data.stalePidfile;
        if (!seen || seen.ino !== state.ino || seen.mtimeMs !== state.mtimeMs) {
          throw new RemediationRefused(`${state.shown} changed since the preview: nothing started`);
        }
        await unlink(state.full);
        items.push(`removed stale PID file ${state.shown}`);
      }
      const workdir = await workdirOf(params, ctx);
      const pid = await spawnDetached(preview.data.argv, workdir.full, ctx.childEnv);
      items.push(`started ${preview.data.argv[0]} as process ${pid}`);
      return { summary: `started ${preview.data.argv.join(' ')} (process ${pid})`, items, data: { pid } };
    },
    async verify(params, _preview, result, ctx) {
      const started = (result.data as { pid?: number } | undefined)?.pid;
      const health = healthUrl(params, ctx);
      let last = 'no PID file yet';
      const look = () => upYet(table, params, ctx, started, health, (text) => (last = text));
      const ok = await waitFor(look, params.verifySeconds * 1000, ctx.signal, 200);
      if (ok && 'passed' in ok) return { status: 'passed', summary: ok.passed };
      if (ok && 'failed' in ok) return { status: 'failed', summary: ok.failed };
      return { status: 'failed', summary: `not up after ${params.verifySeconds} s: ${last}` };
    },
  };
}

export const processStart = createProcessStart();
