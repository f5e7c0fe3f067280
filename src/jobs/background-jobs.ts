import type { AlertService } from '../alerts/alert-service';
import type { Clock } from '../clock';
import type { ReminderRunner } from '../incidents/reminders-and-escalations';
import type { Logger } from '../logger';
import type { AlertMessenger } from '../slack/alert-messenger';
import { expireUnapprovedRemediations, reportInterruptedRemediations, type RemediationSlackDeps } from '../slack/listeners/remediations';
import { createSlaMissedCards } from '../slack/sla-missed-cards';
import type { BackgroundJob } from './job-runner';

/** The names of everything the bot runs on a timer. */
export type JobName =
  | 'scheduled-jobs'
  | 'stale-reply-repair'
  | 'sla-missed-cards'
  | 'remediation-recovery'
  | 'remediation-expiry'
  | 'delivery-pruning'
  | 'follow-up-reminders'
  | 'room-recovery';

const REMINDER_INTERVAL_MS = 30_000;
const STALE_REPLY_SWEEP_MS = 30_000;
const SLA_SWEEP_MS = 15_000;
const PRUNE_INTERVAL_MS = 3600_000;
const FOLLOW_UP_SWEEP_MS = 5 * 60_000;
const DELIVERY_RECORDS_KEPT_MS = 24 * 3600_000;

export interface BackgroundJobDeps {
  clock: Clock;
  logger: Logger;
  /** Deletes the delivery records (processed events, alert deliveries, finished inbox rows) older than `before`. */
  pruneDeliveryRecords(before: Date): Promise<unknown>;
  /** Present when Slack is configured: the Slack-facing jobs need it. */
  slack?: {
    reminders: ReminderRunner;
    alerts: AlertService;
    messenger: AlertMessenger;
    remediations: RemediationSlackDeps;
    /** REMEDIATION_LEASE_MS: a lapsed lease is found within this time (at most every 30 s). */
    remediationLeaseMs: number;
    /** Posts the alert messages whose publisher died or gave up, from the store (the alert intake's repair). */
    repairStaleMessages: () => Promise<void>;
    /** Reminds the owners of overdue follow-ups (each at most once a day). */
    remindOverdueFollowUps?: () => Promise<void>;
    /**
     * Resumes the incident-room openings left unfinished longer than `leaseMs` (their replica stopped between the
     * claim and the posts); returns how many it took over.
     */
    roomRecovery?: { leaseMs: number; run: () => Promise<number> };
  };
}

/**
 * Everything the bot does in the background, in one list; each job's logic lives with its feature, this list says
 * when it runs. With several replicas, the due run of a `one` job is claimed by one replica as a `scheduled_jobs` row
 * (`recurring:<name>`); `each` jobs share their work out row by row themselves. The inbox's claim polling and lease
 * heartbeat belong to the inbox processor, and the Slack token check to the auth monitor: each runs only while its
 * owner is running.
 */
export function backgroundJobs(deps: BackgroundJobDeps): BackgroundJob<JobName>[] {
  const pruning: BackgroundJob<JobName> = {
    name: 'delivery-pruning',
    does: 'deletes delivery records older than a day (replayed events, alert deliveries, finished inbox rows)',
    everyMs: PRUNE_INTERVAL_MS,
    replicas: 'one',
    run: async () => {
      await deps.pruneDeliveryRecords(new Date(deps.clock.now().getTime() - DELIVERY_RECORDS_KEPT_MS));
    },
  };
  const slack = deps.slack;
  if (!slack) return [pruning];
  return [pruning, ...alertAndRemediationJobs(deps, slack), ...followUpAndRoomJobs(deps, slack)];
}

type SlackJobDeps = NonNullable<BackgroundJobDeps['slack']>;

/** Reminders and escalations, alert message repair and SLA cards, remediation recovery and expiry. */
function alertAndRemediationJobs(deps: BackgroundJobDeps, slack: SlackJobDeps): BackgroundJob<JobName>[] {
  const housekeepingMs = Math.min(30_000, slack.remediationLeaseMs);
  return [
    {
      name: 'scheduled-jobs',
      does: 'runs the due rows of scheduled_jobs: status-update reminders, escalations of alerts and incidents, the P1 → P0 promotion',
      everyMs: REMINDER_INTERVAL_MS,
      // every replica polls: each due row is claimed by one of them (FOR UPDATE SKIP LOCKED)
      replicas: 'each',
      run: async () => {
        await slack.reminders
          .runDueJobs()
          .catch((err: unknown) => deps.logger.warn({ err }, 'could not run scheduled jobs; retrying on the next tick'));
      },
    },
    {
      name: 'stale-reply-repair',
      does: 'posts the alert messages whose claimant died or gave up (Slack down past the retries) and starts their diagnosis',
      everyMs: STALE_REPLY_SWEEP_MS,
      replicas: 'one',
      run: slack.repairStaleMessages,
    },
    {
      name: 'sla-missed-cards',
      does: 'edits the cards of firing alerts whose response SLA ran out unacknowledged to say "SLA missed"',
      everyMs: SLA_SWEEP_MS,
      replicas: 'one',
      run: createSlaMissedCards({ alerts: slack.alerts, messenger: slack.messenger, logger: deps.logger, now: () => deps.clock.now() }),
    },
    {
      name: 'remediation-recovery',
      does: 'reports remediation runs a crash interrupted (never re-runs them), at start and once their lease lapses',
      everyMs: housekeepingMs,
      runAtStart: true,
      replicas: 'one',
      run: () => reportInterruptedRemediations(slack.remediations),
    },
    {
      name: 'remediation-expiry',
      does: 'expires remediation requests nobody approved in time',
      everyMs: housekeepingMs,
      replicas: 'one',
      run: () => expireUnapprovedRemediations(slack.remediations),
    },
  ];
}

/** Follow-up reminders and the recovery of unfinished incident-room openings, where those features are on. */
function followUpAndRoomJobs(deps: BackgroundJobDeps, slack: SlackJobDeps): BackgroundJob<JobName>[] {
  const jobs: BackgroundJob<JobName>[] = [];
  const remindFollowUps = slack.remindOverdueFollowUps;
  if (remindFollowUps) {
    jobs.push({
      name: 'follow-up-reminders',
      does: 'reminds the owners of overdue follow-ups in their incident channel, once a day each',
      everyMs: FOLLOW_UP_SWEEP_MS,
      runAtStart: true,
      replicas: 'one',
      run: () =>
        remindFollowUps().catch((err: unknown) =>
          deps.logger.warn({ err }, 'could not remind overdue follow-ups; retrying on the next tick'),
        ),
    });
  }
  const roomRecovery = slack.roomRecovery;
  if (roomRecovery) {
    jobs.push({
      name: 'room-recovery',
      does: 'finishes opening the incident rooms whose replica stopped between claiming and posting (claim older than the lease)',
      // An abandoned opening is found within about a lease and a half.
      everyMs: Math.min(30_000, Math.max(1_000, Math.floor(roomRecovery.leaseMs / 2))),
      runAtStart: true,
      replicas: 'one',
      run: async () => {
        await roomRecovery
          .run()
          .catch((err: unknown) => deps.logger.warn({ err }, 'could not look for unfinished incident rooms; retrying on the next tick'));
      },
    });
  }
  return jobs;
}
