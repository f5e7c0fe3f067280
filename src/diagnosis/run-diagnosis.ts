import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { LabelError, placeholdersIn, SAFE_LABEL_VALUE } from '../targets/params-template';
import { probeRegistry, getProbe, type ProbeRegistry } from '../probes/registry';
import { scrubSecrets } from '../targets/secret-scrubber';
import { labelSelectionRefusal } from '../targets/target-allow';
import { worst } from '../probes/threshold';
import type { Probe, ProbeResult, ProbeStatus } from '../probes/types';
import type { ResolvedTarget } from '../targets/target';
import type { AlertEntry, ProbeDefinition, Runbook } from '../runbooks/loader';
import type { DiagnosisMetrics } from './metrics';

export const DEFAULT_PROBE_TIMEOUT_MS = 5000;
export const DEFAULT_DEADLINE_MS = 15_000;

export interface PendingProbe {
  id: string;
  title: string;
  kind: string;
}

export interface LikelyCause {
  probe: string;
  status: ProbeStatus;
  cause: string;
  fix: string;
}

export interface OfferedRemediation {
  id: string;
  kind: string;
  title: string;
  risk: 'low' | 'medium' | 'high';
}

/** A diagnosis, partial (`complete: false`, some probes pending) or final. Plain data: safe to JSON.stringify. */
export interface DiagnosisResult {
  /** `link` is absent when no real address is configured. */
  runbook: { id: string; title: string; link?: string; file: string };
  /** Dashboards the runbook names whose base URL is configured (GRAFANA_URL, …). */
  dashboards: { title: string; url: string }[];
  alert: { name: string; severity: string; summary?: string; labelHints: string[] };
  labels: Record<string, string>;
  startedAt: string;
  finishedAt?: string;
  complete: boolean;
  /** Worst probe status so far: crit > warn > unknown > ok. */
  status: ProbeStatus;
  /** Finished probes, in catalog order. */
  probes: ProbeResult[];
  pending: PendingProbe[];
  causes: LikelyCause[];
  manualSteps: string[];
  remediations: OfferedRemediation[];
}

export interface DiagnosisOptions {
  runbook: Runbook;
  alert: AlertEntry;
  /** Labels from the command or the alert; only values matching SAFE_LABEL_VALUE reach a probe. */
  labels?: Readonly<Record<string, string>>;
  logger: Logger;
  registry?: ProbeRegistry;
  now?: () => Date;
  /** Per-probe timeout unless the catalog sets `timeoutMs`. Default 5000. */
  probeTimeoutMs?: number;
  /** Overall deadline for the whole diagnosis. Default 15000. */
  deadlineMs?: number;
  /** Cancels the whole diagnosis (e.g. on shutdown). */
  signal?: AbortSignal;
  /** Called once at the start (all pending) and after each probe finishes. Errors thrown here are logged and ignored. */
  onProgress?: (partial: DiagnosisResult) => void;
  metrics?: DiagnosisMetrics;
}

/**
 * Runs the alert's probes in parallel. Every probe is cut at its timeout (its AbortSignal fires, and the engine
 * stops waiting even if the probe ignores the signal), so one hanging target never holds the others.
 *
 * @example
 * const { runbook, alert } = findAlert(catalog, 'StuckDetected') as Extract<AlertLookup, { found: true }>;
 * const result = await runDiagnosis({ runbook, alert, labels: { agent: 'agent-7' }, logger, onProgress: render });
 */
export async function runDiagnosis(opts: DiagnosisOptions): Promise<DiagnosisResult> {
  const { runbook, alert } = opts;
  const labels = { ...(opts.labels ?? {}) };
  const now = opts.now ?? (() => new Date());
  const plan = planProbes(runbook, alert, labels);
  const results = new Map<string, ProbeResult>();
  const startedAt = now();
  const logger = opts.logger.child({ runbook: runbook.id, alert: alert.name });
  const snapshot = (complete: boolean) =>
    diagnosisSnapshot({ runbook, alert, labels, plan, results, startedAt, finishedAt: complete ? now() : undefined });
  const progress = (complete: boolean) => {
    if (!opts.onProgress) return;
    try {
      opts.onProgress(snapshot(complete));
    } catch (err) {
      logger.warn({ err }, 'diagnosis progress callback failed');
    }
  };

  const overall = new AbortController();
  setMaxListeners(0, overall.signal); // one listener per probe
  const cancel = () => overall.abort(opts.signal?.reason);
  if (opts.signal?.aborted) cancel();
  opts.signal?.addEventListener('abort', cancel, { once: true });
  const run: ProbeRun = {
    registry: opts.registry ?? probeRegistry,
    runbook,
    alert,
    probeTimeoutMs: opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
    deadlineAt: performance.now() + (opts.deadlineMs ?? DEFAULT_DEADLINE_MS),
    overall: overall.signal,
    logger,
    now,
  };

  progress(false);
  try {
    await Promise.all(
      plan.defs.map(async (def) => {
        const result = await runProbe(run, def, plan.instanceLabels.get(def.id) ?? labels);
        results.set(def.id, result);
        opts.metrics?.probeDuration.observe({ kind: def.kind, status: result.status }, result.durationMs / 1000);
        opts.metrics?.probeOutcomes.inc({ kind: def.kind, status: result.status });
        progress(results.size === plan.defs.length);
      }),
    );
  } finally {
    opts.signal?.removeEventListener('abort', cancel);
  }
  const final = snapshot(true);
  opts.metrics?.diagnoses.inc({ runbook: runbook.id, status: final.status });
  return final;
}

/** The probes to run, with the labels of each fanned-out instance and the catalog probe each result stands for. */
interface ProbePlan {
  defs: ProbeDefinition[];
  instanceLabels: Map<string, Record<string, string>>;
  baseId: Map<string, string>;
}

/**
 * The alert's probes. A probe that needs a label the alert fans out over (seed 004: every worker) runs once per value
 * when the label is not given; each run is its own result, "Worker heartbeat (worker=marie)".
 */
function planProbes(runbook: Runbook, alert: AlertEntry, labels: Readonly<Record<string, string>>): ProbePlan {
  const wanted = alert.probes ? new Set(alert.probes) : undefined;
  const instanceLabels = new Map<string, Record<string, string>>();
  const baseId = new Map<string, string>();
  const defs: ProbeDefinition[] = runbook.probes
    .filter((p) => !wanted || wanted.has(p.id))
    .flatMap((p) => {
      const uses = placeholdersIn(p.params);
      if (p.targetByLabel) uses.add(p.targetByLabel.label);
      const fan = Object.entries(alert.eachLabel ?? {}).find(([name]) => uses.has(name) && labels[name] === undefined);
      if (!fan) {
        baseId.set(p.id, p.id);
        return [p];
      }
      const [name, values] = fan;
      return values.map((v) => {
        const id = `${p.id}[${v}]`;
        instanceLabels.set(id, { ...labels, [name]: v });
        baseId.set(id, p.id);
        return { ...p, id, title: `${p.title} (${name}=${v})` };
      });
    });
  return { defs, instanceLabels, baseId };
}

function diagnosisSnapshot(d: {
  runbook: Runbook;
  alert: AlertEntry;
  labels: Readonly<Record<string, string>>;
  plan: ProbePlan;
  results: ReadonlyMap<string, ProbeResult>;
  startedAt: Date;
  finishedAt: Date | undefined;
}): DiagnosisResult {
  const { runbook, alert, plan, results } = d;
  const probes = plan.defs.map((def) => results.get(def.id)).filter((r): r is ProbeResult => !!r);
  return {
    runbook: { id: runbook.id, title: runbook.title, ...(runbook.link ? { link: runbook.link } : {}), file: runbook.file },
    dashboards: runbook.dashboards,
    alert: {
      name: alert.name,
      severity: alert.severity,
      ...(alert.summary ? { summary: alert.summary } : {}),
      labelHints: alert.labels ?? [],
    },
    labels: { ...d.labels },
    startedAt: d.startedAt.toISOString(),
    ...(d.finishedAt ? { finishedAt: d.finishedAt.toISOString() } : {}),
    complete: d.finishedAt !== undefined,
    status: worst(
      probes.map((p) => p.status),
      'unknown',
    ),
    probes,
    pending: plan.defs.filter((def) => !results.has(def.id)).map((def) => ({ id: def.id, title: def.title, kind: def.kind })),
    causes: likelyCauses(runbook, results, plan.baseId),
    manualSteps: [...(alert.manualSteps ?? []), ...runbook.manualSteps],
    // only what the runbook's section for this alert names: no key, no actions
    remediations: runbook.remediations
      .filter((r) => (alert.remediations ?? []).includes(r.id))
      .map((r) => ({ id: r.id, kind: r.kind, title: r.title, risk: r.risk })),
  };
}

/** The runbook's causes whose probe came back with the status they name; a dependency that is down comes first. */
function likelyCauses(runbook: Runbook, results: ReadonlyMap<string, ProbeResult>, baseId: ReadonlyMap<string, string>): LikelyCause[] {
  return runbook.causes
    .map((c) => {
      const statuses = Array.isArray(c.when.status) ? c.when.status : [c.when.status];
      const hits = [...results.values()].filter((r) => baseId.get(r.id) === c.when.probe && statuses.includes(r.status));
      return { c, hits };
    })
    .filter(({ hits }) => hits.length > 0)
    .sort((a, b) => Number(!!b.c.dependency) - Number(!!a.c.dependency))
    .map(({ c, hits }) => ({
      probe: hits.length === 1 ? (hits[0] as ProbeResult).id : c.when.probe,
      status: worst(hits.map((h) => h.status)),
      cause: c.cause,
      fix: c.fix,
    }));
}

/** What every probe of one diagnosis runs with. */
interface ProbeRun {
  registry: ProbeRegistry;
  runbook: Runbook;
  alert: AlertEntry;
  probeTimeoutMs: number;
  /** performance.now() at which the whole diagnosis is cut. */
  deadlineAt: number;
  /** Aborted when the whole diagnosis is cancelled. */
  overall: AbortSignal;
  logger: Logger;
  now: () => Date;
}

type ProbeDone = (status: ProbeStatus, summary: string) => ProbeResult;

async function runProbe(run: ProbeRun, def: ProbeDefinition, labels: Readonly<Record<string, string>>): Promise<ProbeResult> {
  const started = performance.now();
  const done: ProbeDone = (status, summary) => ({
    id: def.id,
    kind: def.kind,
    title: def.title,
    ...(def.assumed ? { assumed: true } : {}),
    status,
    summary,
    figures: [],
    evidence: {},
    durationMs: Math.round(performance.now() - started),
  });
  const probe = getProbe(run.registry, def.kind);
  if (!probe) return done('unknown', `no probe of kind ${def.kind} is registered`);
  const ready = probeReadiness(run, def, probe, labels);
  if ('refusal' in ready) return done('unknown', ready.refusal);
  const parsed = probe.params.safeParse(def.params);
  if (!parsed.success) return done('unknown', `invalid params: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  if (run.overall.aborted) return done('unknown', 'cancelled before it started');
  return runWithinTime(run, def, probe, parsed.data, ready.target, labels, started, done);
}

/** The probe's target, or why it cannot run: a missing or unsafe label, an unconfigured target, a refused selection. */
function probeReadiness(
  run: ProbeRun,
  def: ProbeDefinition,
  probe: Probe<unknown>,
  labels: Readonly<Record<string, string>>,
): { target: ResolvedTarget | undefined } | { refusal: string } {
  for (const name of placeholdersIn(def.params)) {
    const v = labels[name];
    if (v === undefined) return { refusal: `skipped: needs ${name}=<value> (e.g. diagnose ${run.alert.name} ${name}=…)` };
    if (!SAFE_LABEL_VALUE.test(v))
      return { refusal: `refused: label ${name} must match ${SAFE_LABEL_VALUE.source} (letters, digits, _ . : @ / -)` };
  }
  let target: ResolvedTarget | undefined;
  if (probe.targetKind) {
    let targetName = def.target;
    if (def.targetByLabel) {
      // the label only selects among targets the catalog declares; it never becomes part of an address
      const value = labels[def.targetByLabel.label];
      const known = Object.keys(def.targetByLabel.targets);
      if (value === undefined) return { refusal: `skipped: needs ${def.targetByLabel.label}=<value> (one of ${known.join(', ')})` };
      if (!Object.prototype.hasOwnProperty.call(def.targetByLabel.targets, value)) {
        return {
          refusal: `refused: no target for ${def.targetByLabel.label}=${value.slice(0, 64)} (the catalog knows ${known.join(', ')})`,
        };
      }
      targetName = def.targetByLabel.targets[value];
    }
    target = targetName ? run.runbook.targets[targetName] : undefined;
    if (!target) return { refusal: `not configured: no ${probe.targetKind} target` };
    if (target.missing.length) return { refusal: `not configured: set ${target.missing.join(', ')}` };
  }
  // values the alert's own fan-out list names are declared by the catalog too
  const refusal = labelSelectionRefusal(target, def.params, labels, run.alert.eachLabel ?? {});
  return refusal ? { refusal: `refused: ${refusal}` } : { target };
}

/**
 * Runs the probe with its own AbortSignal, cut at its timeout or the diagnosis deadline, whichever comes first; the
 * engine stops waiting then even if the probe ignores the signal.
 */
async function runWithinTime(
  run: ProbeRun,
  def: ProbeDefinition,
  probe: Probe<unknown>,
  params: unknown,
  target: ResolvedTarget | undefined,
  labels: Readonly<Record<string, string>>,
  started: number,
  done: ProbeDone,
): Promise<ProbeResult> {
  const remaining = Math.max(0, run.deadlineAt - performance.now());
  const timeoutMs = Math.max(1, Math.min(def.timeoutMs ?? run.probeTimeoutMs, remaining));
  const cutByDeadline = timeoutMs < (def.timeoutMs ?? run.probeTimeoutMs);
  const ac = new AbortController();
  const onParentAbort = () => ac.abort(run.overall.reason);
  run.overall.addEventListener('abort', onParentAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      ac.abort(new DOMException(`probe ${def.id} timed out`, 'TimeoutError'));
      resolve('timeout');
    }, timeoutMs);
  });
  const cancelled = new Promise<'cancelled'>((resolve) => {
    if (run.overall.aborted) resolve('cancelled');
    ac.signal.addEventListener('abort', () => run.overall.aborted && resolve('cancelled'), { once: true });
  });
  const timeoutText = () =>
    `no answer within ${formatMs(timeoutMs)} (${cutByDeadline ? 'diagnosis deadline' : 'timed out'}): the target may be hung`;
  try {
    const running = probe.run(params, {
      signal: ac.signal,
      timeoutMs,
      target,
      labels,
      logger: run.logger.child({ probe: def.id }),
      now: run.now,
    });
    running.catch(() => undefined); // a probe that rejects after being cut must not become an unhandled rejection
    const outcome = await Promise.race([running, timedOut, cancelled]);
    if (outcome === 'timeout') return done('unknown', timeoutText());
    if (outcome === 'cancelled') return done('unknown', 'cancelled');
    // Whatever a target sent back (log lines, statements, error text) is scrubbed before anyone sees it.
    const excerpt = outcome.evidence.excerpt === undefined ? {} : { excerpt: scrubSecrets(outcome.evidence.excerpt) };
    return {
      ...outcome,
      summary: scrubSecrets(outcome.summary),
      evidence: { ...outcome.evidence, ...excerpt },
      id: def.id,
      title: def.title,
      kind: def.kind,
      ...(def.assumed ? { assumed: true } : {}),
      durationMs: Math.round(performance.now() - started),
    };
  } catch (err) {
    if (ac.signal.aborted) return done('unknown', run.overall.aborted ? 'cancelled' : timeoutText());
    if (err instanceof LabelError) return done('unknown', `refused: ${err.message}`);
    run.logger.error({ err, probe: def.id, kind: def.kind }, 'probe failed unexpectedly');
    return done('unknown', `probe error: ${(err as Error).message ?? String(err)}`);
  } finally {
    clearTimeout(timer);
    run.overall.removeEventListener('abort', onParentAbort);
  }
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}
