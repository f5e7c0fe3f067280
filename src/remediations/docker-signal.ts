import { z } from 'zod';
import { connectDocker, type DockerConnect } from '../targets/docker-connector';
import { containerName, describeContainer, dockerFor, inspectContainer, type ContainerSnapshot } from './docker-container';
import { RemediationRefused, waitFor, type Remediation } from './types';

export const dockerSignalParams = z
  .object({
    container: z.string().min(1),
    /** Only a reload (HUP) or a graceful stop (TERM); never KILL. */
    signal: z.enum(['HUP', 'TERM', 'SIGHUP', 'SIGTERM']).transform((s) => (s.startsWith('SIG') ? s : `SIG${s}`) as 'SIGHUP' | 'SIGTERM'),
    cooldownSeconds: z.number().int().min(0).max(86_400).optional(),
    verifySeconds: z.number().int().min(1).max(300).default(15),
  })
  .strict();

export type DockerSignalParams = z.output<typeof dockerSignalParams>;

/**
 * `docker kill --signal HUP|TERM <container>`. Verification: after HUP the container is still running with the same
 * start time (it reloaded, not died); after TERM it stopped or was restarted by its policy.
 */
export function createDockerSignal(connect: DockerConnect = connectDocker): Remediation<DockerSignalParams, ContainerSnapshot> {
  return {
    action: 'docker.signal',
    targetKind: 'docker',
    params: dockerSignalParams,
    limits: (p) => (p.cooldownSeconds !== undefined ? { cooldownSeconds: p.cooldownSeconds } : {}),
    async preview(params, ctx) {
      const name = containerName(params.container, ctx);
      const c = await inspectContainer(dockerFor(ctx, connect), name, ctx.signal, ctx.target);
      if (!c) throw new RemediationRefused(`container ${name} not found`);
      if (!c.running) throw new RemediationRefused(`container ${name} is ${c.state}: there is no process to signal`);
      return {
        summary: `send ${params.signal} to ${describeContainer(c)}`,
        items: [describeContainer(c)],
        subject: `container ${c.name}`,
        empty: false,
        data: c,
      };
    },
    async execute(params, preview, ctx) {
      const docker = dockerFor(ctx, connect);
      const now = await inspectContainer(docker, preview.data.id, ctx.signal, ctx.target);
      if (!now) throw new RemediationRefused(`container ${preview.data.name} no longer exists: no signal sent`);
      if (!now.running || now.startedAt !== preview.data.startedAt) {
        throw new RemediationRefused(
          `container ${preview.data.name} changed since the preview (now ${now.state}, started ${now.startedAt}): no signal sent`,
        );
      }
      await docker.getContainer(preview.data.id).kill({ signal: params.signal, abortSignal: ctx.signal } as object);
      return { summary: `sent ${params.signal} to container ${now.name}`, items: [describeContainer(now)] };
    },
    async verify(params, preview, _result, ctx) {
      const docker = dockerFor(ctx, connect);
      if (params.signal === 'SIGHUP') {
        const c = await inspectContainer(docker, preview.data.id, ctx.signal);
        if (c?.running && c.startedAt === preview.data.startedAt)
          return { status: 'passed', summary: `${c.name} is still running (reloaded)`, data: c };
        return {
          status: 'failed',
          summary: c ? `${c.name} is ${c.state} after HUP (it did not just reload)` : `${preview.data.name} disappeared after HUP`,
          data: c,
        };
      }
      const c = await waitFor(
        async () => {
          const s = await inspectContainer(docker, preview.data.id, ctx.signal);
          return !s || !s.running || s.startedAt !== preview.data.startedAt ? (s ?? null) : undefined;
        },
        params.verifySeconds * 1000,
        ctx.signal,
      );
      if (c === undefined)
        return { status: 'failed', summary: `${preview.data.name} is still running ${params.verifySeconds} s after TERM` };
      if (c === null) return { status: 'passed', summary: `${preview.data.name} stopped and was removed` };
      return {
        status: 'passed',
        summary: c.running
          ? `${c.name} stopped and was restarted by its policy (started ${c.startedAt})`
          : `${c.name} stopped (exit code ${c.exitCode})`,
        data: c,
      };
    },
  };
}

export const dockerSignal = createDockerSignal();
