import type Docker from 'dockerode';
import { TargetUnreachable } from './http-connector';
import { describeNetworkError } from './network-errors';

/** Opens a Docker engine client for an address (a socket path, `unix://…`, or `tcp://host:port`). */
export type DockerConnect = (address: string) => Docker;

export const connectDocker: DockerConnect = (address) => {
  // dockerode (with its gRPC and SSH dependencies, a fifth of the bot's modules) is loaded by the first Docker probe or
  // remediation, not at start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Docker = require('dockerode') as typeof import('dockerode');
  const m = /^(?:tcp|http):\/\/([^:/]+)(?::(\d+))?\/?$/.exec(address);
  if (m) return new Docker({ host: m[1], port: Number(m[2] ?? 2375), protocol: 'http' });
  return new Docker({ socketPath: address.replace(/^unix:\/\//, '') });
};

/**
 * Inspects a container by name or id: undefined when the engine says there is none (404). An engine that cannot be
 * reached, or answers with an error, throws `TargetUnreachable` with a description; an abort throws the signal's
 * reason. The caller checks the container against its target's allow-list before acting on it.
 */
export async function inspectContainerInfo(
  docker: Docker,
  nameOrId: string,
  signal: AbortSignal,
): Promise<Docker.ContainerInspectInfo | undefined> {
  signal.throwIfAborted();
  const started = performance.now();
  try {
    return await docker.getContainer(nameOrId).inspect({ abortSignal: signal } as Docker.ContainerInspectOptions);
  } catch (err) {
    signal.throwIfAborted();
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    if (isDockerEngineError(err)) throw new TargetUnreachable(describeDockerError(err, performance.now() - started));
    throw err;
  }
}

/** The engine answered with an HTTP error, or the socket failed: not a bug of the caller. */
export function isDockerEngineError(err: unknown): boolean {
  const e = err as { statusCode?: number; code?: string };
  return Boolean(e.code || e.statusCode);
}

export function describeDockerError(err: unknown, elapsedMs: number): string {
  const e = err as { statusCode?: number; code?: string; address?: string; message?: string };
  if (e.statusCode) return `HTTP ${e.statusCode} ${e.message ?? ''}`.trim();
  if (e.code === 'ENOENT' && e.address) return `no Docker socket at ${e.address}`;
  if ((e.code === 'EACCES' || e.code === 'EPERM') && e.address) return `permission denied on the Docker socket ${e.address}`;
  return describeNetworkError(err, elapsedMs);
}
