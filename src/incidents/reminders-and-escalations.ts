import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { ESCALATION_JOB, type EscalationJobPayload } from '../alerts/alert-service';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { AlertRecord, AlertStore } from '../domain/alert';
import type { Incident, IncidentStore } from '../domain/incident';
import type { NewJob, ScheduledJob, ScheduledJobStore } from '../domain/scheduled-job';
import type { IncidentMetrics } from './incident-metrics';
import { STATUS_REMINDER_JOB, STATUS_UPDATE_INTERVAL_MINUTES } from './incident-service';
import { RESPONSE_SLA_MINUTES } from './severity';

/**
 * Who is paged when an alert stays unacknowledged, and when. Each level fires `afterMinutes`
 * after the alert's SLA deadline (P0 5 min, P1 15 min, P2 1 h, P3 24 h from its start), as long
 * as nobody acknowledged and it is still firing. Targets are whatever `escalate` understands
 * (Slack user ids, user-group ids such as `S0ONCALL`).
 *
 * @example
 *   const escalation: EscalationConfig = { levels: [
 *     { level: 1, name: 'L1', targets: ['S0ONCALL'], afterMinutes: 0 },
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
  name?: string;
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
  .transform((c): EscalationConfig => {
    const levels: EscalationLevel[] = [];
    (['L1', 'L2', 'L3'] as const).forEach((name, i) => {
      const l = c[name];
      if (l) levels.push({ level: i + 1, name, targets: l.targets, afterMinutes: l.afterMinutes ?? DEFAULT_ESCALATION_AFTER_MINUTES[name] });
    });
    return { levels };
  });

/** Seeds 001/004: L1 0–15 min, L2 15–30 min, L3 30+ min, counted here from the SLA deadline. */
export const DEFAULT_ESCALATION_AFTER_MINUTES = { L1: 0, L2: 15, L3: 30 } as const;

/** An EscalationConfig from per-level targets with the runbooks' timings; levels without targets are left out. */
export function escalationConfig(targets: { L1?: string[]; L2?: string[]; L3?: string[] }, afterMinutes = DEFAULT_ESCALATION_AFTER_MINUTES): EscalationConfig {
  const levels: EscalationLevel[] = [];
  (['L1', 'L2', 'L3'] as const).forEach((name, i) => {
    const t = targets[name] ?? [];
    if (t.length > 0) levels.push({ level: i + 1, name, targets: t, afterMinutes: afterMinutes[name] });
  });
  return { levels };
}

export interface ReminderCallbacks {
  /** A P0/P1 incident's status update is overdue: remind its thread. */
  remind(incident: Incident): Promise<void>;
  /** An alert is still unacknowledged: page `target` at `level`. */
  escalate(alert: AlertRecord, level: EscalationLevel, target: string): Promise<void>;
}

export interface RunSummary {
  claimed: number;
  reminded: string[];
  escalated: { alertId: number; level: number; target: string }[];
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
  alerts: AlertStore;
  escalation: EscalationConfig;
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

export function createReminderRunner(deps: ReminderRunnerDeps): ReminderRunner {
  const workerId = deps.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const leaseMs = deps.leaseMs ?? 5 * MINUTE;
  const levels = [...deps.escalation.levels].sort((a, b) => a.level - b.level);

  /** Runs one job; returns the jobs that follow it. */
  const runJob = async (job: ScheduledJob, now: Date, summary: RunSummary): Promise<NewJob[]> => {
    if (job.kind === STATUS_REMINDER_JOB) {
      const incidentId = String(job.payload.incidentId);
      const inc = await deps.incidents.get(incidentId);
      if (!inc || inc.status === 'resolved' || !inc.nextUpdateDueAt) return [];
      const next = (dueAt: Date): NewJob => ({ kind: STATUS_REMINDER_JOB, dueAt, payload: { incidentId }, dedupKey: `status_reminder:${incidentId}` });
      // An update was posted since this job was scheduled: wait for the new due time.
      if (inc.nextUpdateDueAt > now) return [next(inc.nextUpdateDueAt)];
      await deps.callbacks.remind(inc);
      deps.metrics?.statusReminders.inc({ severity: inc.severity });
      summary.reminded.push(inc.id);
      return [next(new Date(now.getTime() + STATUS_UPDATE_INTERVAL_MINUTES * MINUTE))];
    }
    if (job.kind === ESCALATION_JOB) {
      const payload = job.payload as unknown as EscalationJobPayload;
      const alert = await deps.alerts.get(Number(payload.alertId));
      if (!alert || alert.status !== 'firing' || alert.acknowledgedAt) return [];
      const level = levels.find((l) => l.level === payload.level) ?? levels.find((l) => l.level > payload.level);
      if (!level) return [];
      const deadline = alert.startsAt.getTime() + RESPONSE_SLA_MINUTES[alert.severity] * MINUTE;
      const escalationJob = (l: EscalationLevel, dueAt: Date): NewJob => {
        const p: EscalationJobPayload = { alertId: alert.id, level: l.level };
        return { kind: ESCALATION_JOB, dueAt, payload: { ...p }, dedupKey: `escalation:${alert.id}` };
      };
      // Not yet time for this level (the first configured level may wait after the SLA deadline).
      const levelDue = deadline + level.afterMinutes * MINUTE;
      if (levelDue > now.getTime()) return [escalationJob(level, new Date(levelDue))];
      for (const target of level.targets) {
        await deps.callbacks.escalate(alert, level, target);
        summary.escalated.push({ alertId: alert.id, level: level.level, target });
      }
      deps.metrics?.escalations.inc({ level: String(level.level), severity: alert.severity });
      await deps.alerts.setEscalationLevel(alert.id, level.level);
      const following = levels.find((l) => l.level > level.level);
      if (!following) return [];
      return [escalationJob(following, new Date(Math.max(deadline + following.afterMinutes * MINUTE, now.getTime())))];
    }
    return [];
  };

  return {
    workerId,
    runDueJobs: async (now = deps.clock.now()) => {
      const summary: RunSummary = { claimed: 0, reminded: [], escalated: [], failed: 0 };
      const jobs = await deps.jobs.claimDue(workerId, now, { limit: deps.batchSize ?? 50, leaseMs, kinds: [STATUS_REMINDER_JOB, ESCALATION_JOB] });
      summary.claimed = jobs.length;
      for (const job of jobs) {
        try {
          const next = await runJob(job, now, summary);
          const completed = await deps.jobs.complete(job.id, workerId, now, next);
          if (!completed) deps.logger?.warn({ jobId: job.id, kind: job.kind }, 'scheduled job was taken over by another worker before it completed');
        } catch (err) {
          summary.failed++;
          deps.logger?.error({ err, jobId: job.id, kind: job.kind }, 'scheduled job failed; it will be retried');
          await deps.jobs.fail(job.id, workerId, (err as Error).message ?? String(err), new Date(now.getTime() + (deps.retryAfterMs ?? MINUTE)), deps.maxAttempts ?? 5);
        }
      }
      return summary;
    },
  };
}
