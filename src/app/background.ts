import { backgroundJobs } from '../jobs/background-jobs';
import { createJobRunner, type JobRunner } from '../jobs/job-runner';
import { remindOverdueFollowUps } from '../slack/listeners/follow-ups';
import type { AppWithServices } from './services';
import type { SlackSide } from './slack-side';

/** The background jobs: delivery pruning always, the Slack-facing jobs when Slack is configured. */
export function createBackgroundJobs(app: AppWithServices, slackSide: SlackSide | undefined): JobRunner {
  const { config, clock, logger, stores } = app;
  return createJobRunner(
    backgroundJobs({
      clock,
      logger,
      pruneDeliveryRecords: (before) =>
        Promise.all([
          stores.processedEvents.pruneOlderThan(before),
          stores.alerts.pruneDeliveries(before),
          stores.inbox.pruneDoneBefore(before),
        ]),
      ...(slackSide
        ? {
            slack: {
              reminders: slackSide.reminders,
              alerts: app.services.alerts,
              messenger: slackSide.alertMessenger,
              remediations: slackSide.remediations,
              remediationLeaseMs: config.remediationLeaseMs,
              repairStaleMessages: () => slackSide.alertIntake.repairStale(),
              remindOverdueFollowUps: () => remindOverdueFollowUps(slackSide.followUps),
              roomRecovery: { leaseMs: config.incidentRooms.leaseMs, run: slackSide.recoverRoomOpenings },
            },
          }
        : {}),
    }),
    logger,
    { claims: stores.jobs, clock, workerId: app.replicaId },
  );
}
