import { z } from 'zod';
import { connectDocker, type DockerConnect } from '../targets/docker-connector';
import { containerName, describeContainer, dockerFor, inspectContainer, type ContainerSnapshot } from './docker-container';
import { RemediationRefused, waitFor, type Remediation } from './types';

export const dockerRestartParams = z
  .object({
    /** Container name; `{{worker}}` allowed (the result must be a valid Docker name). */
    container: z.string().min(1),
    /** Seconds Docker waits after SIGTERM before SIGKILL. */
    stopTimeoutSeconds: z.number().int().min(0).max(120).default(10),
    /** Seed 001's supervisor: at most 3 restarts… */
    maxRestarts: z.number().int().min(1).max(100).default(3),
    /** …60 s apart… */
    cooldownSeconds: z.number().int().min(0).max(86_400).default(60),
    /** …counted over this window. */
    windowSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 86_400)
      .default(3600),
    /** How long the verification waits for the container to run again. */
    verifySeconds: z.number().int().min(1).max(300).default(20),
  })
  .strict();

export type DockerRestartParams = z.output<typeof dockerRestartParams>;

/** `docker restart <container>` (seed 001 "Quick Recovery"), verified by a running container with a new start time. */
export function createDockerRestart(connect: DockerConnect = connectDocker): Remediation<DockerRestartParams, ContainerSnapshot> {
  return {
    action: 'docker.restart',
    targetKind: 'docker',
    params: dockerRestartParams,
    limits: (p) => ({ maxRunsPerWindow: p.maxRestarts, cooldownSeconds: p.cooldownSeconds, windowSeconds: p.windowSeconds }),
    async preview(params, ctx) {
      const name = containerName(params.container, ctx);
      const c = await inspectContainer(dockerFor(ctx, connect), name, ctx.signal, ctx.target);
      if (!c) throw new RemediationRefused(`container ${name} not found`);
      return {
        summary: `restart ${describeContainer(c)}`,
        items: [describeContainer(c)],
        subject: `container ${c.name}`,
        empty: false,
        data: c,
      };
    },
    async execute(params, preview, ctx) {
      const docker = dockerFor(ctx, connect);
      const before = preview.data;
      const now = await inspectContainer(docker, before.id, ctx.signal, ctx.target);
      if (!now) throw new RemediationRefused(`container ${before.name} (${before.id.slice(0, 12)}) no longer exists: nothing restarted`);
      await docker.getContainer(before.id).restart({ t: params.stopTimeoutSeconds, abortSignal: ctx.signal } as object);
      return { summary: `restarted container ${before.name}`, items: [describeContainer(now)], data: { startedAtBefore: now.startedAt } };
    },
    async verify(params, preview, result, ctx) {
      const docker = dockerFor(ctx, connect);
      const before = (result.data as { startedAtBefore?: string } | undefined)?.startedAtBefore ?? preview.data.startedAt;
      let last: ContainerSnapshot | undefined;
      const ok = await waitFor(
        async () => {
          last = await inspectContainer(docker, preview.data.id, ctx.signal);
          return last?.running && last.startedAt !== before ? last : undefined;
        },
        params.verifySeconds * 1000,
        ctx.signal,
      );
      if (ok) return { status: 'passed', summary: `${ok.name} is running again (started ${ok.startedAt})`, data: ok };
      return {
        status: 'failed',
        summary: last
          ? `${last.name} is ${last.state} (exit code ${last.exitCode}) ${params.verifySeconds} s after the restart`
          : `${preview.data.name} disappeared after the restart`,
        data: last,
      };
    },
  };
}

export const dockerRestart = createDockerRestart();
