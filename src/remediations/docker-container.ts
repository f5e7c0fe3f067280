import type Docker from 'dockerode';
import { inspectContainerInfo, type DockerConnect } from '../targets/docker-connector';
import { TargetUnreachable } from '../targets/http-connector';
import { renderPlain } from '../targets/params-template';
import { containerLabelRefusal, containerNameRefusal } from '../targets/target-allow';
import type { ResolvedTarget } from '../targets/target';
import { RemediationRefused, type RemediationContext } from './types';

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
export async function inspectContainer(
  docker: Docker,
  nameOrId: string,
  signal: AbortSignal,
  target?: ResolvedTarget,
): Promise<ContainerSnapshot | undefined> {
  let info: Docker.ContainerInspectInfo | undefined;
  try {
    info = await inspectContainerInfo(docker, nameOrId, signal);
  } catch (err) {
    if (err instanceof TargetUnreachable) throw new RemediationRefused(`Docker engine: ${err.message}`);
    throw err;
  }
  if (!info) return undefined;
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
}

export function describeContainer(c: ContainerSnapshot): string {
  const state = c.running ? `running since ${c.startedAt}` : `${c.state}, exit code ${c.exitCode}`;
  return `container ${c.name} (${c.id.slice(0, 12)}, ${state}, ${c.restartCount} restarts)`;
}
