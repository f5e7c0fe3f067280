import pino from 'pino';
import { Registry } from 'prom-client';
import { createManualClock, type Clock } from '../../src/clock';
import type { Coordination } from '../../src/coordination/coordination';
import { createMemoryCoordination } from '../../src/coordination/memory-coordination';
import type { ResolvedTarget } from '../../src/targets/target';
import type { RemediationRegistry } from '../../src/remediations/registry';
import { createRemediationMetrics } from '../../src/remediations/remediation-metrics';
import { createRemediationService, type RemediationService, type RemediationServiceDeps } from '../../src/remediations/remediation-service';
import type { RemediationContext } from '../../src/remediations/types';
import { createAuditStore } from '../../src/store/audit-store';
import type { Database } from '../../src/store/database';
import { createRemediationStore } from '../../src/store/remediation-store';

export const silent = pino({ level: 'silent' });

export function target(
  name: string,
  kind: ResolvedTarget['kind'],
  values: Record<string, string>,
  allow?: ResolvedTarget['allow'],
): ResolvedTarget {
  return { name, kind, values, missing: [], ...(allow ? { allow } : {}) };
}

/** A context for calling an action directly (preview → execute → verify), on the real clock. */
export function actionContext(t: ResolvedTarget | undefined, labels: Record<string, string> = {}, timeoutMs = 30_000): RemediationContext {
  return {
    target: t,
    labels,
    signal: AbortSignal.timeout(timeoutMs),
    logger: silent,
    now: () => new Date(),
    actors: { requestedBy: 'U0REQUEST', approvedBy: 'U0APPROVE', requestId: 'rem_test000000' },
  };
}

export interface Harness {
  service: RemediationService;
  clock: Clock & { advance(ms: number): void };
  metrics: Registry;
  coordination: Coordination;
}

export function makeService(
  db: Database,
  opts: Partial<RemediationServiceDeps> & {
    targets?: Record<string, ResolvedTarget>;
    registry?: RemediationRegistry;
    clock?: Clock & { advance(ms: number): void };
  } = {},
): Harness {
  const clock = opts.clock ?? createManualClock(new Date());
  const metrics = new Registry();
  const coordination = opts.coordination ?? createMemoryCoordination();
  const targets = opts.targets ?? {};
  const service = createRemediationService({
    store: createRemediationStore(db),
    audit: createAuditStore(db),
    clock,
    logger: silent,
    metrics: createRemediationMetrics(metrics),
    resolveTarget: ({ target: name }) => targets[name],
    ...opts,
    coordination,
  });
  return { service, clock, metrics, coordination };
}
