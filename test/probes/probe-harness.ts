import pino from 'pino';
import type { Probe, ProbeOutcome } from '../../src/probes/types';
import type { ResolvedTarget, TargetKind } from '../../src/targets/target';

/** Runs one probe the way the engine does (params parsed by the probe's schema), with a silent logger. */
export async function runProbe<P>(
  probe: Probe<P>,
  rawParams: unknown,
  opts: {
    target?: Record<string, string>;
    allow?: ResolvedTarget['allow'];
    labels?: Record<string, string>;
    now?: Date;
    timeoutMs?: number;
    signal?: AbortSignal;
  } = {},
): Promise<ProbeOutcome> {
  const params = probe.params.parse(rawParams);
  const target: ResolvedTarget | undefined = opts.target
    ? { name: 'test', kind: probe.targetKind as TargetKind, values: opts.target, missing: [], ...(opts.allow ? { allow: opts.allow } : {}) }
    : undefined;
  return probe.run(params, {
    signal: opts.signal ?? new AbortController().signal,
    timeoutMs: opts.timeoutMs ?? 5000,
    target,
    labels: opts.labels ?? {},
    logger: pino({ level: 'silent' }),
    now: () => opts.now ?? new Date(),
  });
}
