import type { Logger } from 'pino';
import type { z } from 'zod';
import type { ResolvedTarget, TargetKind } from '../targets/target';

export type ProbeStatus = 'ok' | 'warn' | 'crit' | 'unknown';

export interface Figure {
  label: string;
  value: string | number;
  unit?: string;
}

export interface ProbeEvidence {
  /** The query, URL or command that was run, with secrets redacted. */
  query?: string;
  raw?: unknown;
  /** A short text excerpt (log lines, statements); the renderer cuts it further. */
  excerpt?: string;
}

/** What one probe found: a status, one line, a few figures and the evidence. */
export interface ProbeResult {
  id: string;
  kind: string;
  title: string;
  status: ProbeStatus;
  summary: string;
  figures: Figure[];
  evidence: ProbeEvidence;
  durationMs: number;
  /** The catalog guesses this metric (the runbook does not name it): shown as "(assumed metric)". */
  assumed?: boolean;
}

/** What `Probe.run` returns; the engine adds id, title and duration. */
export type ProbeOutcome = Omit<ProbeResult, 'id' | 'title' | 'durationMs' | 'assumed'>;

export interface ProbeContext {
  /** Aborted at the probe's timeout or the diagnosis deadline: stop work and release connections. */
  signal: AbortSignal;
  timeoutMs: number;
  /** Present when the probe kind needs a target (already checked to be configured). */
  target?: ResolvedTarget;
  /** Label values, already validated against SAFE_LABEL_VALUE; use the helpers in `params-template.ts`. */
  labels: Readonly<Record<string, string>>;
  logger: Logger;
  now(): Date;
}

/**
 * One diagnostic check kind. A target that is down is an outcome (`crit`/`unknown`), not an exception;
 * an exception means a bug and is reported as `unknown` with the message.
 *
 * @example
 * export const pidfileProbe: Probe<PidfileParams> = {
 *   kind: 'pidfile',
 *   targetKind: 'files',
 *   params: pidfileParams,
 *   async run(params, ctx) {
 *     return { kind: 'pidfile', status: 'ok', summary: 'process 42 is running', figures: [], evidence: {} };
 *   },
 * };
 */
export interface Probe<P> {
  kind: string;
  /** The target kind this probe needs, if any. */
  targetKind?: TargetKind;
  /** Validates the `params` block of the catalog entry. String fields may hold `{{label}}` placeholders. */
  params: z.ZodType<P>;
  run(params: P, ctx: ProbeContext): Promise<ProbeOutcome>;
}
