/**
 * Containers for integration tests, from the busybox image imported by `bash scripts/start-services.sh`
 * (incident-bot/busybox:latest: busybox-static with sh, sleep, cat, echo, ls, kill, top, ps, wc, tail, head, date,
 * yes, true, false, env, printf and more). Every container has no network (NetworkMode none) and carries the label
 * `incident-bot-test=1`; `removeTestContainers(docker)` removes them all.
 *
 *   const docker = await requireDocker();
 *   const c = await makeExitedContainer(docker, uniqueContainerName('oom'), { oom: true });   // exited, 137
 *   afterAll(() => removeTestContainers(docker));
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { BUSYBOX_IMAGE } from './services';

export const TEST_CONTAINER_LABEL = 'incident-bot-test';

export type RestartPolicyName = 'no' | 'always' | 'unless-stopped' | 'on-failure';

export interface RunContainerOptions {
  name: string;
  cmd: string[];
  labels?: Record<string, string>;
  memoryLimitBytes?: number;
  restartPolicy?: RestartPolicyName | { Name: RestartPolicyName; MaximumRetryCount?: number };
  env?: Record<string, string>;
  /** run docker-init (tini) as PID 1 so SIGTERM stops the container at once; default true */
  init?: boolean;
  /** default BUSYBOX_IMAGE */
  image?: string;
  /** create without starting; default false */
  createOnly?: boolean;
}

/** `<prefix>-<random>`: unique across parallel Jest workers. */
export function uniqueContainerName(prefix: string): string {
  return `ibt-${prefix.replace(/[^a-zA-Z0-9_.-]/g, '-')}-${randomBytes(4).toString('hex')}`;
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404;
}

/** Create (and start) a labelled, network-less container from the busybox image. */
export async function runContainer(docker: Docker, opts: RunContainerOptions): Promise<Docker.Container> {
  // a leftover test container of the same name (from a crashed run) is replaced; anything else is an error
  try {
    const existing = await docker.getContainer(opts.name).inspect();
    if (existing.Config.Labels?.[TEST_CONTAINER_LABEL] === '1') {
      await docker.getContainer(opts.name).remove({ force: true, v: true });
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const restartPolicy = typeof opts.restartPolicy === 'string' ? { Name: opts.restartPolicy } : (opts.restartPolicy ?? { Name: 'no' });
  const container = await docker.createContainer({
    name: opts.name,
    Image: opts.image ?? BUSYBOX_IMAGE,
    Cmd: opts.cmd,
    Env: opts.env ? Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) : undefined,
    Labels: { ...opts.labels, [TEST_CONTAINER_LABEL]: '1' },
    HostConfig: {
      NetworkMode: 'none',
      Init: opts.init ?? true,
      RestartPolicy: restartPolicy,
      ...(opts.memoryLimitBytes !== undefined ? { Memory: opts.memoryLimitBytes, MemorySwap: opts.memoryLimitBytes } : {}),
    },
  });
  if (!opts.createOnly) await container.start();
  return container;
}

/** Poll `inspect()` until `predicate` holds; throws with the last state after `timeoutMs`. */
export async function waitForContainer(
  container: Docker.Container,
  predicate: (info: Docker.ContainerInspectInfo) => boolean,
  timeoutMs = 20_000,
  what = 'the expected state',
): Promise<Docker.ContainerInspectInfo> {
  const deadline = Date.now() + timeoutMs;
  let info = await container.inspect();
  while (!predicate(info)) {
    if (Date.now() > deadline) {
      throw new Error(
        `container ${info.Name} did not reach ${what} within ${timeoutMs} ms: ` +
          `status=${info.State.Status} exitCode=${info.State.ExitCode} restartCount=${info.RestartCount}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
    info = await container.inspect();
  }
  return info;
}

/** A running container (`sleep` forever, docker-init as PID 1 so it stops promptly). */
export async function makeRunningContainer(
  docker: Docker,
  name: string,
  opts: Partial<Omit<RunContainerOptions, 'name'>> = {},
): Promise<Docker.Container> {
  const container = await runContainer(docker, { cmd: ['sleep', '3600'], ...opts, name });
  await waitForContainer(container, (i) => i.State.Running, 20_000, 'running');
  return container;
}

/**
 * An exited container with exit code 137.
 * Default: a `sleep` killed with SIGKILL from outside (`docker kill`), OOMKilled=false.
 * `{ oom: true }`: memory-limited to 16 MiB and allocating until the kernel's OOM killer stops it (OOMKilled=true).
 */
export async function makeExitedContainer(
  docker: Docker,
  name: string,
  opts: { oom?: boolean; labels?: Record<string, string> } = {},
): Promise<Docker.Container> {
  if (opts.oom) {
    const mem = 16 * 1024 * 1024;
    // `tail` of an endless stream without newlines keeps the whole "line" in memory
    const container = await runContainer(docker, {
      name,
      cmd: ['tail', '/dev/zero'],
      memoryLimitBytes: mem,
      labels: opts.labels,
      init: false,
    });
    await waitForContainer(container, (i) => i.State.Status === 'exited', 30_000, 'exited (OOM)');
    return container;
  }
  const container = await runContainer(docker, { name, cmd: ['sleep', '3600'], labels: opts.labels });
  await waitForContainer(container, (i) => i.State.Running, 20_000, 'running');
  await container.kill({ signal: 'SIGKILL' });
  await waitForContainer(container, (i) => i.State.Status === 'exited', 20_000, 'exited');
  return container;
}

/**
 * A container in a restart loop: restart policy `always` and a command that exits 1. Resolves once Docker has
 * restarted it at least `minRestarts` times (default 1) and reports it as `restarting`.
 */
export async function makeRestartingContainer(
  docker: Docker,
  name: string,
  opts: { minRestarts?: number; labels?: Record<string, string> } = {},
): Promise<Docker.Container> {
  const container = await runContainer(docker, {
    name,
    cmd: ['sh', '-c', 'echo "crashing on purpose" >&2; exit 1'],
    restartPolicy: 'always',
    labels: opts.labels,
  });
  const min = opts.minRestarts ?? 1;
  await waitForContainer(container, (i) => i.RestartCount >= min && i.State.Restarting, 30_000, `restarting with RestartCount >= ${min}`);
  return container;
}

/** Force-remove every container labelled incident-bot-test=1 (optionally only those with extra labels). */
export async function removeTestContainers(docker: Docker, extraLabels: Record<string, string> = {}): Promise<number> {
  const label = [`${TEST_CONTAINER_LABEL}=1`, ...Object.entries(extraLabels).map(([k, v]) => `${k}=${v}`)];
  const list = await docker.listContainers({ all: true, filters: { label } });
  await Promise.all(
    list.map(async (c) => {
      try {
        await docker.getContainer(c.Id).remove({ force: true, v: true });
      } catch (err) {
        // already gone, or removal already in progress
        const status = (err as { statusCode?: number }).statusCode;
        if (status !== 404 && status !== 409) throw err;
      }
    }),
  );
  return list.length;
}
