import type { Logger } from 'pino';
import type { z } from 'zod';
import type { ExecutionResult, RemediationPreview, Verification } from '../domain/remediation';
import type { ResolvedTarget, TargetKind } from '../targets/target';

export type { ExecutionResult, RemediationPreview, Risk, Verification } from '../domain/remediation';

/** Who asked and who approved: actions that leave a trace elsewhere (an Alertmanager silence) name them. */
export interface RemediationActors {
  requestId?: string;
  requestedBy: string;
  approvedBy?: string;
  incidentId?: string;
}

export interface RemediationContext {
  /** The catalog target after `${ENV}` resolution (socket, connection, url, root); present when the action needs one. */
  target?: ResolvedTarget;
  /** Label values (alert labels and `label=value` from the command), already checked against SAFE_LABEL_VALUE. */
  labels: Readonly<Record<string, string>>;
  /** Aborted at the preview/execution deadline: stop and release connections. */
  signal: AbortSignal;
  logger: Logger;
  now(): Date;
  actors: RemediationActors;
  /** Another target of the same runbook, by name (only those the action's `extraTargets` declares are meaningful). */
  targetNamed?(name: string): ResolvedTarget | undefined;
  /** The environment a started process gets (`Config.childProcessEnv`: PATH, HOME, LANG, TZ); none when absent. */
  childEnv?: Readonly<Record<string, string>>;
}

/** Per-subject run limits (seed 001's supervisor: at most 3 restarts, 60 s apart). */
export interface RunLimits {
  cooldownSeconds?: number;
  maxRunsPerWindow?: number;
  windowSeconds?: number;
}

/**
 * One remediation kind. Params are validated by `params` in their template form (strings may hold `{{label}}`);
 * label values reach a key, path, query or URL only through `src/targets/params-template.ts`.
 *
 * @example
 * export const dockerRestart: Remediation<DockerRestartParams, ContainerSnapshot> = {
 *   action: 'docker.restart',
 *   targetKind: 'docker',
 *   params: dockerRestartParams,
 *   limits: (p) => ({ maxRunsPerWindow: p.maxRestarts, cooldownSeconds: p.cooldownSeconds }),
 *   async preview(p, ctx) { … inspect → { summary, items, subject: `container ${name}`, empty: false, data: { id, startedAt } } },
 *   async execute(p, preview, ctx) { … restart preview.data.id only if it is still the same container … },
 *   async verify(p, preview, result, ctx) { … running again with a new StartedAt … },
 * };
 */
export interface Remediation<P = unknown, D = unknown> {
  action: string;
  /** The catalog target kind this action needs, if any. */
  targetKind?: TargetKind;
  params: z.ZodType<P>;
  /** Further runbook targets the params name (a health endpoint, a working directory); the catalog checks them. */
  extraTargets?(params: P): { name: string; kind: TargetKind }[];
  /** Default limits from the params; the declaration's own cooldownSeconds / maxRunsPerWindow / windowSeconds win. */
  limits?(params: P): RunLimits;
  /** Look, never touch. Throws RemediationRefused when the thing cannot be acted on (container missing, stale PID file). */
  preview(params: P, ctx: RemediationContext): Promise<RemediationPreview<D>>;
  /** Act on what the preview listed and nothing else; skip (and report) what changed since. */
  execute(params: P, preview: RemediationPreview<D>, ctx: RemediationContext): Promise<ExecutionResult>;
  /** An independent check afterwards (container running with a new start time, keys gone, silence active). */
  verify(params: P, preview: RemediationPreview<D>, result: ExecutionResult, ctx: RemediationContext): Promise<Verification>;
}

/** The action cannot run as asked (target down, container missing, unsafe pattern): shown to the user as is. */
export class RemediationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemediationRefused';
  }
}

/** Polls `check` until it returns a value or `timeoutMs` passes (waits on a real condition; the deadline is real time). */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  signal?: AbortSignal,
  intervalMs = 200,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() >= deadline || signal?.aborted) return undefined;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
