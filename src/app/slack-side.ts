import { createAlertIntake, type AlertIntake } from '../alerts/alert-intake';
import { createAlertmanagerAlerts } from '../alerts/alertmanager-alerts';
import { createStormMetrics, createStormWatch, type StormWatch } from '../alerts/alert-storm';
import type { SlackConfig } from '../config';
import { databaseKeyPrefix } from '../coordination/coordination';
import type { ReplayGuard } from '../coordination/replay-guard';
import type { InboxProcessor } from '../inbox/inbox-processor';
import { createReminderRunner, escalationConfig, type ReminderRunner } from '../incidents/reminders-and-escalations';
import { knownAlert } from '../runbooks';
import { createAlertMessenger, type AlertMessenger } from '../slack/alert-messenger';
import type { SlackApp } from '../slack/create-slack-app';
import type { DiagnoseDeps } from '../slack/listeners/diagnose';
import type { FollowUpSlackDeps } from '../slack/listeners/follow-ups';
import { createAlertDiagnoser } from '../slack/listeners/diagnose';
import { createReminderCallbacks, type IncidentCommandDeps } from '../slack/listeners/incident-subcommands';
import type { RemediationSlackDeps } from '../slack/listeners/remediations';
import { createSlackAuthMonitor, type SlackAuthMonitor } from '../slack/slack-auth-monitor';
import { createStormMessenger } from '../slack/storm-messenger';
import { catalogSeverityOf, contactsToPageFor, labelsNeededFor } from './catalog-lookups';
import type { AppWithServices } from './services';
import { createIncidentSlackDeps, createPostmortemSlackDeps, createRemediationSlackDeps } from './slack-deps';
import { registerSlackListeners } from './slack-listeners';
import { createSlackTransport, type SlackTransport } from './slack-transport';

/** Everything that exists only when Slack is configured, as the rest of the app (HTTP, jobs, shutdown) needs it. */
export interface SlackSide {
  slack: SlackApp;
  inbox: InboxProcessor;
  replayGuard: ReplayGuard;
  auth: SlackAuthMonitor;
  alertIntake: AlertIntake;
  alertMessenger: AlertMessenger;
  stormWatch: StormWatch;
  reminders: ReminderRunner;
  remediations: RemediationSlackDeps;
  followUps: FollowUpSlackDeps;
  recoverRoomOpenings: () => Promise<number>;
}

/** The Slack side: transport, the listeners' dependencies, the listeners, the reminders and the token check. */
export function createSlackSide(app: AppWithServices, slackConfig: SlackConfig): SlackSide {
  const t = createSlackTransport(app, slackConfig);
  const incident = createIncidentSlackDeps(app, t);
  const alertSide = createAlertSide(app, t, incident.diagnose);
  const remediations = createRemediationSlackDeps(app, t);
  const postmortems = createPostmortemSlackDeps(app, t, incident.visibility);
  registerSlackListeners(app, t, { incident, remediations, postmortems, ...alertSide });
  const reminders = createReminders(app, t, incident.incidents);
  return {
    slack: t.slack,
    inbox: t.inbox,
    replayGuard: t.replayGuard,
    auth: createSlackAuthMonitor(t.slack.client, app.logger),
    ...alertSide,
    reminders,
    remediations,
    followUps: incident.followUps,
    recoverRoomOpenings: incident.recoverRoomOpenings,
  };
}

/** Alert intake: the storm watch in front, the messenger posting each alert, automatic diagnosis where the runbook asks. */
function createAlertSide(
  app: AppWithServices,
  t: SlackTransport,
  diagnose: DiagnoseDeps,
): { alertMessenger: AlertMessenger; stormWatch: StormWatch; alertIntake: AlertIntake } {
  const { config, catalog, coordination, logger } = app;
  const labelsNeeded = labelsNeededFor(catalog);
  const alertMessenger = createAlertMessenger({
    alerts: app.services.alerts,
    poster: t.poster,
    replicaId: app.replicaId,
    logger,
    labelsNeeded,
    alertmanagerConfigured: Boolean(config.alertmanagerUrl),
    silence: Boolean(config.alertmanagerUrl),
    now: () => app.clock.now(),
  });
  const stormWatch = createStormWatch({
    publisher: createStormMessenger({ poster: t.poster }),
    coordination,
    keyPrefix: databaseKeyPrefix(config),
    metrics: createStormMetrics(app.registry),
    logger,
    threshold: config.alertStormThreshold,
  });
  const alertIntake = createAlertIntake({
    storm: stormWatch,
    alerts: app.services.alerts,
    publisher: alertMessenger,
    diagnoser: createAlertDiagnoser(diagnose),
    autoDiagnose: (name) => knownAlert(catalog, name)?.alert.autoDiagnose === true,
    catalogSeverity: catalogSeverityOf(catalog),
    labelsNeeded,
    ...(config.alertmanagerUrl ? { alertmanager: createAlertmanagerAlerts({ url: config.alertmanagerUrl }) } : {}),
    logger,
  });
  return { alertMessenger, stormWatch, alertIntake };
}

/** Reminders and escalations: ESCALATION_L1/L2/L3 plus the runbook contacts of each level. */
function createReminders(app: AppWithServices, t: SlackTransport, incidents: IncidentCommandDeps): ReminderRunner {
  const { config, catalog, clock, logger, stores } = app;
  const escalation = escalationConfig(config.escalationTargets);
  const hasContacts = catalog.runbooks.some((r) => r.contacts.some((c) => c.ids.length > 0));
  if (escalation.levels.every((l) => l.targets.length === 0) && !hasContacts) {
    logger.info('no ESCALATION_L1/L2/L3 and no runbook contacts set: nobody is paged by escalation');
  }
  return createReminderRunner({
    jobs: stores.jobs,
    incidents: stores.incidents,
    incidentService: app.services.incidents,
    alerts: stores.alerts,
    escalation,
    contactsFor: (names, level) => contactsToPageFor(catalog, names, level),
    callbacks: createReminderCallbacks({ poster: t.poster, logger, clock, incidents }),
    clock,
    logger,
    metrics: app.services.incidentMetrics,
    workerId: app.replicaId,
  });
}
