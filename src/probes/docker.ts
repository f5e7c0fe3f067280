import type Docker from 'dockerode';
import { z } from 'zod';
import { connectDocker, inspectContainerInfo, type DockerConnect } from '../targets/docker-connector';
import { TargetUnreachable } from '../targets/http-connector';
import { renderPlain } from '../targets/params-template';
import { round } from './prometheus';
import { scrubSecrets } from '../targets/secret-scrubber';
import { containerLabelRefusal, containerNameRefusal } from '../targets/target-allow';
import { statusFor, thresholdString, worst } from './threshold';
import type { Figure, Probe, ProbeContext, ProbeOutcome, ProbeStatus } from './types';

const CHECKS = ['state', 'logs', 'memory', 'fds'] as const;

export const dockerParams = z
  .object({
    /** Container name or id; `{{worker}}` allowed (must also be a valid Docker name). */
    container: z.string().min(1),
    checks: z.array(z.enum(CHECKS)).min(1).default(['state', 'logs', 'memory']),
    restartCountWarn: thresholdString.default('> 0'),
    restartCountCrit: thresholdString.default('>= 3'),
    /** logs: the last N minutes, at most `logLines` lines; error lines by regex (case-insensitive). */
    logMinutes: z
      .number()
      .positive()
      .max(24 * 60)
      .default(10),
    logLines: z.number().int().min(1).max(5000).default(200),
    errorPattern: z.string().default('\\b(ERROR|CRITICAL|FATAL|Traceback|panic|Killed|out of memory)\\b'),
    errorLinesWarn: thresholdString.default('> 0'),
    errorLinesCrit: thresholdString.optional(),
    /** memory: thresholds on usage / limit (0–1). */
    memoryWarn: thresholdString.default('>= 0.85'),
    memoryCrit: thresholdString.default('>= 0.95'),
    /** fds: open file descriptors of PID 1 in the container. */
    fdsWarn: thresholdString.optional(),
    fdsCrit: thresholdString.optional(),
  })
  .strict();

export type DockerParams = z.output<typeof dockerParams>;

const DOCKER_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

/** Splits Docker's multiplexed log stream (8-byte frame headers) into text; passes TTY output through. */
export function demuxDockerLog(buf: Buffer): string {
  if (buf.length < 8 || ![0, 1, 2].includes(buf[0] as number) || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0) return buf.toString('utf8');
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return Buffer.concat(parts).toString('utf8');
}

async function readAll(stream: NodeJS.ReadableStream, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer | string>) {
    chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
    if (signal.aborted) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createDockerProbe(connect: DockerConnect = connectDocker): Probe<DockerParams> {
  return {
    kind: 'docker',
    targetKind: 'docker',
    params: dockerParams,
    async run(params, ctx): Promise<ProbeOutcome> {
      const name = renderPlain(params.container, ctx.labels);
      if (!DOCKER_NAME.test(name)) {
        return {
          kind: 'docker',
          status: 'unknown',
          summary: `refused: ${JSON.stringify(name)} is not a Docker container name`,
          figures: [],
          evidence: {},
        };
      }
      const notAllowed = containerNameRefusal(ctx.target, params.container, name, ctx.labels);
      if (notAllowed) return { kind: 'docker', status: 'unknown', summary: `refused: ${notAllowed}`, figures: [], evidence: {} };
      const docker = connect(ctx.target?.values.socket as string);
      const inspected = `docker inspect ${name}`;
      let info: Docker.ContainerInspectInfo | undefined;
      try {
        info = await inspectContainerInfo(docker, name, ctx.signal);
      } catch (err) {
        if (!(err instanceof TargetUnreachable)) throw err;
        return {
          kind: 'docker',
          status: 'unknown',
          summary: `Docker engine unreachable: ${err.message}`,
          figures: [],
          evidence: { query: inspected },
        };
      }
      if (!info)
        return { kind: 'docker', status: 'crit', summary: `container ${name} not found`, figures: [], evidence: { query: inspected } };
      const withoutLabel = containerLabelRefusal(ctx.target, name, info.Config?.Labels);
      if (withoutLabel) return { kind: 'docker', status: 'unknown', summary: `refused: ${withoutLabel}`, figures: [], evidence: {} };
      return runChecks(params, ctx, docker.getContainer(name), name, info);
    },
  };
}

/** What one check found; the probe's result is all of them together. */
interface CheckFinding {
  statuses: ProbeStatus[];
  notes: string[];
  figures: Figure[];
  raw?: Record<string, unknown>;
  command?: string;
  excerpt?: string;
}

async function runChecks(
  params: DockerParams,
  ctx: ProbeContext,
  container: Docker.Container,
  name: string,
  info: Docker.ContainerInspectInfo,
): Promise<ProbeOutcome> {
  const running = info.State.Running;
  const findings: CheckFinding[] = [];
  if (params.checks.includes('state')) findings.push(checkState(params, info));
  if (params.checks.includes('logs') && !ctx.signal.aborted) findings.push(await checkLogs(params, ctx, container, name));
  if (params.checks.includes('memory') && running && !ctx.signal.aborted) findings.push(await checkMemory(params, ctx, container, name));
  if (params.checks.includes('fds') && running && !ctx.signal.aborted) findings.push(await checkFds(params, ctx, container, name));
  const notes = findings.flatMap((f) => f.notes);
  const excerpt = findings.find((f) => f.excerpt !== undefined)?.excerpt;
  return {
    kind: 'docker',
    status: worst(findings.flatMap((f) => f.statuses)),
    summary: notes.length ? `${name}: ${notes.join('; ')}` : `${name}: running${info.RestartCount ? '' : ', no restarts'}`,
    figures: findings.flatMap((f) => f.figures),
    evidence: {
      query: [`docker inspect ${name}`, ...findings.flatMap((f) => (f.command ? [f.command] : []))].join('; '),
      raw: Object.assign({}, ...findings.map((f) => f.raw ?? {})) as Record<string, unknown>,
      ...(excerpt ? { excerpt } : {}),
    },
  };
}

function checkState(params: DockerParams, info: Docker.ContainerInspectInfo): CheckFinding {
  const st = info.State;
  const stateStatus: ProbeStatus = st.OOMKilled ? 'crit' : st.Running && !st.Restarting ? 'ok' : 'crit';
  const state = st.Restarting ? 'restarting' : st.Status;
  const notes: string[] = [];
  if (stateStatus !== 'ok')
    notes.push(`${state}${!st.Running || st.Restarting ? ` (exit code ${st.ExitCode})` : ''}${st.OOMKilled ? ', OOM-killed' : ''}`);
  if (info.RestartCount > 0) notes.push(`restarted ${info.RestartCount}×`);
  return {
    statuses: [stateStatus, statusFor(info.RestartCount, params.restartCountWarn, params.restartCountCrit)],
    notes,
    figures: [
      { label: 'state', value: state },
      { label: 'restarts', value: info.RestartCount },
      { label: 'exit code', value: st.ExitCode },
      { label: 'OOM killed', value: st.OOMKilled ? 'yes' : 'no' },
      { label: 'started', value: st.StartedAt },
    ],
    raw: {
      state: {
        status: st.Status,
        running: st.Running,
        restarting: st.Restarting,
        exitCode: st.ExitCode,
        oomKilled: st.OOMKilled,
        startedAt: st.StartedAt,
        finishedAt: st.FinishedAt,
        error: st.Error,
        restartCount: info.RestartCount,
      },
    },
  };
}

async function checkLogs(params: DockerParams, ctx: ProbeContext, container: Docker.Container, name: string): Promise<CheckFinding> {
  const since = Math.floor(ctx.now().getTime() / 1000 - params.logMinutes * 60);
  const options = {
    stdout: true,
    stderr: true,
    since,
    tail: params.logLines,
    follow: false,
    abortSignal: ctx.signal,
  } as Docker.ContainerLogsOptions & { follow: false };
  const buf = (await container.logs(options)) as unknown as Buffer;
  const lines = demuxDockerLog(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)))
    .split('\n')
    .filter((l) => l.trim() !== '');
  const re = new RegExp(params.errorPattern, 'i');
  const errors = lines.filter((l) => re.test(l));
  return {
    statuses: [statusFor(errors.length, params.errorLinesWarn, params.errorLinesCrit)],
    notes: errors.length ? [`${errors.length} error line${errors.length === 1 ? '' : 's'} in the last ${params.logMinutes} min`] : [],
    figures: [{ label: `error lines (${params.logMinutes} min)`, value: errors.length }],
    excerpt: scrubSecrets((errors.length ? errors : lines).slice(-10).join('\n')) || undefined,
    command: `docker logs ${name} --since ${params.logMinutes}m --tail ${params.logLines}`,
  };
}

async function checkMemory(params: DockerParams, ctx: ProbeContext, container: Docker.Container, name: string): Promise<CheckFinding> {
  const stats = (await container.stats({ stream: false, 'one-shot': true, abortSignal: ctx.signal } as {
    stream: false;
  })) as Docker.ContainerStats;
  const usage = Number(stats.memory_stats?.usage ?? 0);
  const cache = Number((stats.memory_stats?.stats as Record<string, number> | undefined)?.inactive_file ?? 0);
  const limit = Number(stats.memory_stats?.limit ?? 0);
  const used = Math.max(0, usage - cache);
  const ratio = limit > 0 ? used / limit : NaN;
  const s = limit > 0 ? statusFor(ratio, params.memoryWarn, params.memoryCrit) : 'unknown';
  return {
    statuses: [s],
    notes: s === 'warn' || s === 'crit' ? [`memory at ${round(ratio * 100)}% of its limit`] : [],
    figures: [
      { label: 'memory', value: `${round(used / 1048576)} / ${round(limit / 1048576)} MiB` },
      { label: 'memory used', value: round(ratio * 100), unit: '%' },
    ],
    raw: { memory: { usage: used, limit } },
    command: `docker stats --no-stream ${name}`,
  };
}

async function checkFds(params: DockerParams, ctx: ProbeContext, container: Docker.Container, name: string): Promise<CheckFinding> {
  // Fixed argv, no shell: list PID 1's descriptors and count the entries here.
  const exec = await container.exec({ Cmd: ['ls', '/proc/1/fd'], AttachStdout: true, AttachStderr: true, Tty: true });
  const stream = await exec.start({ hijack: true, stdin: false, Tty: true } as Docker.ExecStartOptions);
  const out = await readAll(stream, ctx.signal);
  const fds = out.split(/\s+/).filter((x) => /^\d+$/.test(x)).length;
  const s = statusFor(fds, params.fdsWarn, params.fdsCrit);
  return {
    statuses: [s],
    notes: s === 'warn' || s === 'crit' ? [`${fds} open file descriptors`] : [],
    figures: [{ label: 'open fds', value: fds }],
    command: `docker exec ${name} ls /proc/1/fd`,
  };
}

export const dockerProbe = createDockerProbe();
