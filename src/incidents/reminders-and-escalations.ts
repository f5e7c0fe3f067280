import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { ESCALATION_JOB, type EscalationJobPayload } from '../alerts/alert-service';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { AlertRecord, AlertStore } from '../domain/alert';
import type { Incident, IncidentStore } from '../domain/incident';
import type { NewJob, ScheduledJob, ScheduledJobStore } from '../domain/scheduled-job';
import { climbsLadder, ESCALATION_LEVELS, escalationDueAt, type EscalationLevelName } from '../domain/escalation';
import type { Severity } from '../domain/severity';
import type { IncidentMetrics } from './incident-metrics';
import {
  INCIDENT_ESCALATION_JOB,
  INCIDENT_PROMOTION_JOB,
  STATUS_REMINDER_JOB,
  STATUS_UPDATE_INTERVAL_MINUTES,
  type IncidentEscalationJobPayload,
  type IncidentService,
} from './incident-service';

/**
 * Who is paged, and when, while an alert stays unacknowledged or an incident unmitigated. Each level fires
 * `afterMinutes` after the start of the alert or incident (the runbooks' ladder: L1 5, L2 15, L3 30 minutes) for
 * P0/P1; P2/P3 get one L1 page when their response SLA lapses (docs/severity.md). Targets are Slack user ids and
 * user-group ids (`S0ONCALL`); the runbook's contacts of the level are added when the runner is given them.
 *
 * @example
 *   const escalation: EscalationConfig = { levels: [
 *     { level: 1, name: 'L1', targets: ['S0ONCALL'], afterMinutes: 5 },
 *     { level: 2, name: 'L2', targets: ['U0INFRALEAD'], afterMinutes: 15 },
 *     { level: 3, name: 'L3', targets: ['S0DEVTEAM'], afterMinutes: 30 },
 *   ] };
 */
export interface EscalationConfig {
  levels: EscalationLevel[];
}

export interface EscalationLevel {
  /** 1 = L1, stepping up by one. */
  level: number;
  name: string;
  /** Configured targets (ESCALATION_Ln); may be empty when the runbooks' contacts supply them. */
  targets: string[];
  afterMinutes: number;
}

/**
 * The escalation section as operators write it (catalog or config YAML), e.g.
 * `{ L1: { targets: [S0ONCALL] }, L2: { targets: [U0LEAD], afterMinutes: 20 } }`; parse it with
 * `.parse()` and pass the result to `createReminderRunner`. Omitted timings are the runbooks'.
 */
export const escalationConfigSchema = z
  .object({
    L1: z.object({ targets: z.array(z.string().min(1)).min(1), afterMinutes: z.number().nonnegative().optional() }).optional(),
    L2: z.object({ targets: z.array(z.string().min(1)).min(1), afterMinutes: z.number().nonnegative().optional() }).optional(),
    L3: z.object({ targets: z.array(z.string().min(1)).min(1), afterMinutes: z.number().nonnegative().optional() }).optional(),
  })
  .strict()
  .transform((c): EscalationConfig => ({
    levels: ESCALATION_LEVELS.map((l) => ({
      ...l,
      targets: c[l.name]?.targets ?? [],
      afterMinutes: c[l.name]?.afterMinutes ?? l.afterMinutes,
    })),
  }));

/** Seeds 001/004, counted from the start of the alert or incident. */
export const DEFAULT_ESCALATION_AFTER_MINUTES = Object.fromEntries(ESCALATION_LEVELS.map((l) => [l.name, l.afterMinutes])) as Record<
  EscalationLevelName,
  number
>;

/** All three levels with the runbooks' timings and the configured targets (ESCALATION_L1..3; a level may have none). */
export function escalationConfig(
  targets: { L1?: string[]; L2?: string[]; L3?: string[] },
  afterMinutes = DEFAULT_ESCALATION_AFTER_MINUTES,
): EscalationConfig {
  return {
    levels: ESCALATION_LEVELS.map((l) => ({
      level: l.level,
      name: l.name,
      targets: targets[l.name] ?? [],
      afterMinutes: afterMinutes[l.name],
    })),
  };
}

export interface ReminderCallbacks {
  /** An incident's status update is overdue: remind its thread (P0/P1 more insistently, docs/severity.md). */
  remind(incident: Incident): Promise<void>;
  /** An alert is still unacknowledged: page `target` at `level`. */
  escalate(alert: AlertRecord, level: EscalationLevel, target: string): Promise<void>;
  /** An incident is still unmitigated (or, at L1, unacknowledged): page `targets` at `level` in its thread. */
  escalateIncident(incident: Incident, level: EscalationLevel, targets: string[]): Promise<void>;
  /** The bot raised the incident's severity by the runbook rule (P1 → P0): say so where it lives. */
  promoted(incident: Incident, from: Severity): Promise<void>;
}

export interface RunSummary {
  claimed: number;
  reminded: string[];
  escalated: { alertId: number; level: number; target: string }[];
  escalatedIncidents: { incidentId: string; level: number; targets: string[] }[];
  promoted: string[];
  failed: number;
}

export interface ReminderRunner {
  /**
   * Claims the jobs due at `now` (FOR UPDATE SKIP LOCKED: each job goes to one worker, across
   * replicas), runs them, marks them done and schedules their next step in the same transaction.
   */
  runDueJobs(now?: Date): Promise<RunSummary>;
  readonly workerId: string;
}

export interface ReminderRunnerDeps {
  jobs: ScheduledJobStore;
  incidents: IncidentStore;
  /** The incident life cycle: promotion and the escalation timeline go through it. */
  incidentService: Pick<IncidentService, 'promoteUnresolved' | 'recordEscalation' | 'escalatedLevels'>;
  alerts: AlertStore;
  escalation: EscalationConfig;
  /** The runbook contacts to page at `level` for alerts of these names (the catalog's `contacts:`); none when absent. */
  contactsFor?: (alertNames: readonly string[], level: EscalationLevel) => string[];
  callbacks: ReminderCallbacks;
  clock: Clock;
  logger?: Logger;
  metrics?: Pick<IncidentMetrics, 'escalations' | 'statusReminders'>;
  workerId?: string;
  /** A claim older than this is presumed dead and taken over; longer than any callback can take. */
  leaseMs?: number;
  batchSize?: number;
  /** A job whose callback threw is retried this much later, up to `maxAttempts` times. */
  retryAfterMs?: number;
  maxAttempts?: number;
}

const MINUTE = 60_000;
/** P0/P1 reminders repeat sooner while the update stays overdue. */
export const URGENT_REMINDER_REPEAT_MINUTES = 15;
const CATCH_UP_ROUNDS = 4;
const JOB_KINDS = [STATUS_REMINDER_JOB, ESCALATION_JOB, INCIDENT_ESCALATION_JOB, INCIDENT_PROMOTION_JOB] as const;

export function createReminderRunner(deps: ReminderRunnerDeps): ReminderRunner {
  const workerId = deps.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const leaseMs = deps.leaseMs ?? 5 * MINUTE;
  const ctx: JobContext = { deps, ladder: escalationLadder(deps) };
  return {
    workerId,
    runDueJobs: async (now = deps.clock.now()) => {
      const summary: RunSummary = { claimed: 0, reminded: [], escalated: [], escalatedIncidents: [], promoted: [], failed: 0 };
      // A job whose follow-up is already due (levels passed while nobody ran, an incident opened from an old alert)
      // is caught up in the same run, a few rounds at most, rather than one level per tick.
      for (let round = 0; round < CATCH_UP_ROUNDS; round++) {
        const jobs = await deps.jobs.claimDue(workerId, now, { limit: deps.batchSize ?? 50, leaseMs, kinds: JOB_KINDS });
        summary.claimed += jobs.length;
        let dueAgain = false;
        for (const job of jobs) if (await runAndComplete(ctx, workerId, job, now, summary)) dueAgain = true;
        if (!dueAgain) break;
      }
      return summary;
    },
  };
}

/** The escalation levels in order, and who each pages for alerts of given names. */
interface EscalationLadder {
  at(level: number): EscalationLevel | undefined;
  after(level: number): EscalationLevel | undefined;
  targets(alertNames: readonly string[], level: EscalationLevel): string[];
}

function escalationLadder(deps: Pick<ReminderRunnerDeps, 'escalation' | 'contactsFor'>): EscalationLadder {
  const levels = [...deps.escalation.levels].sort((a, b) => a.level - b.level);
  return {
    at: (n) => levels.find((l) => l.level === n),
    after: (n) => levels.find((l) => l.level > n),
    targets: (names, level) => [...new Set([...level.targets, ...(deps.contactsFor?.(names, level) ?? [])])],
  };
}

interface JobContext {
  deps: ReminderRunnerDeps;
  ladder: EscalationLadder;
}

/**
 * Runs one claimed job and completes it with its next step, or records the failure for a retry. True when the job
 * completed with a next step already due (the run goes round again).
 */
async function runAndComplete(ctx: JobContext, workerId: string, job: ScheduledJob, now: Date, summary: RunSummary): Promise<boolean> {
  const { deps } = ctx;
  try {
    const next = await runJob(ctx, job, now, summary);
    const completed = await deps.jobs.complete(job.id, workerId, now, next);
    if (!completed)
      deps.logger?.warn({ jobId: job.id, kind: job.kind }, 'scheduled job was taken over by another worker before it completed');
    return completed && next.some((j) => j.dueAt <= now);
  } catch (err) {
    summary.failed++;
    deps.logger?.error({ err, jobId: job.id, kind: job.kind }, 'scheduled job failed; it will be retried');
    await deps.jobs.fail(
      job.id,
      workerId,
      (err as Error).message ?? String(err),
      new Date(now.getTime() + (deps.retryAfterMs ?? MINUTE)),
      deps.maxAttempts ?? 5,
    );
    return false;
  }
}

function runJob(ctx: JobContext, job: ScheduledJob, now: Date, summary: RunSummary): Promise<NewJob[]> {
  switch (job.kind) {
    case STATUS_REMINDER_JOB:
      return statusReminder(ctx, job, now, summary);
    case ESCALATION_JOB:
      return alertEscalation(ctx, job, now, summary);
    case INCIDENT_ESCALATION_JOB:
      return incidentEscalation(ctx, job, now, summary);
    case INCIDENT_PROMOTION_JOB:
      return promotion(ctx, job, now, summary);
    default:
      return Promise.resolve([]);
  }
}

async function statusReminder({ deps }: JobContext, job: ScheduledJob, now: Date, summary: RunSummary): Promise<NewJob[]> {
  const incidentId = String(job.payload.incidentId);
  const inc = await deps.incidents.get(incidentId);
  if (!inc || inc.status === 'resolved' || !inc.nextUpdateDueAt) return [];
  const next = (dueAt: Date): NewJob => ({
    kind: STATUS_REMINDER_JOB,
    dueAt,
    payload: { incidentId },
    dedupKey: `status_reminder:${incidentId}`,
  });
  // An update was posted since this job was scheduled: wait for the new due time.
  if (inc.nextUpdateDueAt > now) return [next(inc.nextUpdateDueAt)];
  await deps.callbacks.remind(inc);
  deps.metrics?.statusReminders.inc({ severity: inc.severity });
  summary.reminded.push(inc.id);
  const repeat = climbsLadder(inc.severity) ? URGENT_REMINDER_REPEAT_MINUTES : STATUS_UPDATE_INTERVAL_MINUTES;
  return [next(new Date(now.getTime() + repeat * MINUTE))];
}

async function alertEscalation({ deps, ladder }: JobContext, job: ScheduledJob, now: Date, summary: RunSummary): Promise<NewJob[]> {
  const payload = job.payload as unknown as EscalationJobPayload;
  const alert = await deps.alerts.get(Number(payload.alertId));
  // Part of an incident: the incident's own escalation pages from here on.
  if (!alert || alert.status !== 'firing' || alert.acknowledgedAt || alert.incidentId) return [];
  const level = ladder.at(payload.level);
  if (!level) return [];
  const due = escalationDueAt(alert.startsAt, alert.severity, level);
  if (!due) return [];
  const job_ = (l: EscalationLevel, dueAt: Date): NewJob => {
    const p: EscalationJobPayload = { alertId: alert.id, level: l.level };
    return { kind: ESCALATION_JOB, dueAt, payload: { ...p }, dedupKey: `escalation:${alert.id}` };
  };
  if (due > now) return [job_(level, due)];
  const targets = ladder.targets([alert.name], level);
  if (targets.length === 0)
    deps.logger?.info(
      { alertId: alert.id, level: level.name },
      'escalation level has no targets (ESCALATION_Ln or runbook contacts): nobody paged',
    );
  for (const target of targets) {
    await deps.callbacks.escalate(alert, level, target);
    summary.escalated.push({ alertId: alert.id, level: level.level, target });
  }
  if (targets.length) deps.metrics?.escalations.inc({ level: String(level.level), severity: alert.severity });
  await deps.alerts.setEscalationLevel(alert.id, level.level);
  const following = ladder.after(level.level);
  const followingDue = following ? escalationDueAt(alert.startsAt, alert.severity, following) : null;
  return following && followingDue ? [job_(following, new Date(Math.max(followingDue.getTime(), now.getTime())))] : [];
}

async function incidentEscalation({ deps, ladder }: JobContext, job: ScheduledJob, now: Date, summary: RunSummary): Promise<NewJob[]> {
  const payload = job.payload as unknown as IncidentEscalationJobPayload;
  const inc = await deps.incidents.get(String(payload.incidentId));
  // Mitigated or resolved: the impact stopped. Another severity: that severity's own job carries on.
  if (!inc || inc.status === 'mitigated' || inc.status === 'resolved' || inc.severity !== payload.severity) return [];
  const level = ladder.at(payload.level);
  if (!level) return [];
  const due = escalationDueAt(inc.startedAt, inc.severity, level);
  if (!due) return [];
  const job_ = (l: EscalationLevel, dueAt: Date): NewJob => {
    const p: IncidentEscalationJobPayload = { incidentId: inc.id, level: l.level, severity: inc.severity };
    return { kind: INCIDENT_ESCALATION_JOB, dueAt, payload: { ...p }, dedupKey: `incident_escalation:${inc.id}:${inc.severity}` };
  };
  if (due > now) return [job_(level, due)];
  // L1 is the on-call: an acknowledged incident has one. Levels paged under an earlier severity are not paged again.
  const skip = (level.level === 1 && inc.acknowledgedAt !== null) || (await deps.incidentService.escalatedLevels(inc.id)).has(level.level);
  if (!skip) {
    const targets = ladder.targets(await deps.alerts.namesByIncident(inc.id), level);
    if (targets.length === 0) {
      deps.logger?.info(
        { incidentId: inc.id, level: level.name },
        'escalation level has no targets (ESCALATION_Ln or runbook contacts): nobody paged',
      );
    } else {
      await deps.callbacks.escalateIncident(inc, level, targets);
      await deps.incidentService.recordEscalation(inc.id, level, targets, now);
      deps.metrics?.escalations.inc({ level: String(level.level), severity: inc.severity });
      summary.escalatedIncidents.push({ incidentId: inc.id, level: level.level, targets });
    }
  }
  const following = ladder.after(level.level);
  const followingDue = following ? escalationDueAt(inc.startedAt, inc.severity, following) : null;
  return following && followingDue ? [job_(following, new Date(Math.max(followingDue.getTime(), now.getTime())))] : [];
}

async function promotion({ deps }: JobContext, job: ScheduledJob, now: Date, summary: RunSummary): Promise<NewJob[]> {
  const out = await deps.incidentService.promoteUnresolved(String(job.payload.incidentId), now);
  if (!out) return [];
  summary.promoted.push(out.incident.id);
  await deps.callbacks.promoted(out.incident, out.from);
  return [];
}
