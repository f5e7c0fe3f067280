import type Docker from 'dockerode';
import { connectDocker, type DockerConnect } from '../probes/docker';
import { describeNetworkError } from '../probes/http-client';
import { renderPlain } from '../probes/params-template';
import { containerLabelRefusal, containerNameRefusal } from '../probes/target-allow';
import type { ResolvedTarget } from '../probes/types';
import { RemediationRefused, type RemediationContext } from './types';

export { connectDocker, type DockerConnect };

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

/** What the preview saw of a container; `execute` acts only if the container still has this id. */
export interface ContainerSnapshot {
  id: string;
  name: string;
  state: string;
  running: boolean;
  startedAt: string;
  exitCode: number;
  restartCount: number;
}

/** The container the params name, refused unless the target's allow-list names it. */
export function containerName(template: string, ctx: RemediationContext): string {
  const name = renderPlain(template, ctx.labels);
  if (!DOCKER_NAME.test(name)) throw new RemediationRefused(`${JSON.stringify(name)} is not a Docker container name`);
  const notAllowed = containerNameRefusal(ctx.target, template, name, ctx.labels);
  if (notAllowed) throw new RemediationRefused(notAllowed);
  return name;
}

export function dockerFor(ctx: RemediationContext, connect: DockerConnect): Docker {
  const socket = ctx.target?.values.socket;
  if (!socket) throw new RemediationRefused('the docker target has no socket configured');
  return connect(socket);
}

/**
 * Inspects a container; with `target`, refuses one that lacks the container label the target's allow-list requires
 * (checked again at execution, by id, so a container swapped in under the same name is not acted on).
 */
export async function inspectContainer(docker: Docker, nameOrId: string, signal: AbortSignal, target?: ResolvedTarget): Promise<ContainerSnapshot | undefined> {
  const started = performance.now();
  try {
    const info = await docker.getContainer(nameOrId).inspect({ abortSignal: signal } as Docker.ContainerInspectOptions);
    const withoutLabel = containerLabelRefusal(target, info.Name.replace(/^\//, ''), info.Config?.Labels);
    if (withoutLabel) throw new RemediationRefused(withoutLabel);
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      state: info.State.Restarting ? 'restarting' : info.State.Status,
      running: info.State.Running && !info.State.Restarting,
      startedAt: info.State.StartedAt,
      exitCode: info.State.ExitCode,
      restartCount: info.RestartCount,
    };
  } catch (err) {
    if (err instanceof RemediationRefused) throw err;
    const e = err as { statusCode?: number; code?: string };
    if (e.statusCode === 404) return undefined;
    if (e.code || e.statusCode) throw new RemediationRefused(`Docker engine: ${e.statusCode ? `HTTP ${e.statusCode} ${(err as Error).message}` : describeNetworkError(err, performance.now() - started)}`);
    throw err;
  }
}

export function describeContainer(c: ContainerSnapshot): string {
  const state = c.running ? `running since ${c.startedAt}` : `${c.state}, exit code ${c.exitCode}`;
  return `container ${c.name} (${c.id.slice(0, 12)}, ${state}, ${c.restartCount} restarts)`;
}
