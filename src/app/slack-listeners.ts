import type { AlertMessenger } from '../slack/alert-messenger';
import { registerAlertActions } from '../slack/listeners/alert-actions';
import { registerAlertIntake } from '../slack/listeners/alert-intake';
import { diagnoseCommandHandler, registerDiagnoseActions } from '../slack/listeners/diagnose';
import { followUpCommandHandlers, registerFollowUpActions } from '../slack/listeners/follow-ups';
import { registerIncidentCommand, type SubcommandHandlers } from '../slack/listeners/incident-command-dispatch';
import { registerIncidentResolution } from '../slack/listeners/incident-resolution';
import { incidentRoleCommandHandlers, registerTakeCommand } from '../slack/listeners/incident-room-commands';
import { incidentCommandHandlers, registerIncidentViews } from '../slack/listeners/incident-subcommands';
import { linkAlertCommandHandler } from '../slack/listeners/link-alert';
import {
  postmortemCommandHandler,
  registerActionItemDecisions,
  registerPostmortem,
  type PostmortemDeps,
} from '../slack/listeners/postmortem';
import { privateIncidentGuard } from '../slack/listeners/private-incident-guard';
import {
  auditCommandHandler,
  registerRemediationActions,
  remediateCommandHandler,
  type RemediationSlackDeps,
} from '../slack/listeners/remediations';
import { runbooksCommandHandler } from '../slack/listeners/runbooks';
import { registerStatsChart, statsCommandHandler } from '../slack/listeners/stats';
import { registerTimelineCapture } from '../slack/listeners/timeline-capture';
import type { AlertIntake } from '../alerts/alert-intake';
import type { AppWithServices } from './services';
import type { IncidentSlackDeps } from './slack-deps';
import type { SlackTransport } from './slack-transport';

export interface SlackListenerDeps {
  incident: IncidentSlackDeps;
  remediations: RemediationSlackDeps;
  postmortems: PostmortemDeps;
  alertIntake: AlertIntake;
  alertMessenger: AlertMessenger;
}

/** Registers every listener on Bolt, in the order Bolt is to try them. */
export function registerSlackListeners(app: AppWithServices, t: SlackTransport, deps: SlackListenerDeps): void {
  const { config, clock, logger, services } = app;
  const bolt = t.slack.app;
  const { incident } = deps;
  registerPostmortem(bolt, deps.postmortems);
  registerActionItemDecisions(bolt, deps.postmortems);
  registerIncidentCommand(
    bolt,
    incidentSubcommands(app, t, deps),
    logger,
    privateIncidentGuard({ incidents: services.incidents, visibility: incident.visibility }),
  );
  registerDiagnoseActions(bolt, incident.diagnose);
  registerRemediationActions(bolt, deps.remediations);
  registerTakeCommand(bolt, incident.roomCommands);
  registerFollowUpActions(bolt, incident.followUps);
  registerStatsChart(bolt, { store: app.stores.reports, clock, client: t.slack.client, logger });

  // Alert intake, alert buttons, incident modal, timeline capture.
  registerAlertIntake(bolt, { intake: deps.alertIntake, senders: config.alertSenders, logger });
  registerAlertActions(bolt, {
    alerts: services.alerts,
    messenger: deps.alertMessenger,
    poster: t.poster,
    diagnose: incident.diagnose,
    incidents: incident.incidents,
    clock,
    logger,
    audit: app.stores.audit,
    remediations: deps.remediations,
    ...(config.alertmanagerUrl ? { alertmanagerUrl: config.alertmanagerUrl } : {}),
  });
  registerIncidentViews(bolt, incident.incidents);
  registerIncidentResolution(bolt, incident.incidents);
  registerTimelineCapture(bolt, { incidents: services.incidents, client: t.slack.client, logger });
}

/** `/incident <subcommand>`: each subcommand's handler. */
function incidentSubcommands(app: AppWithServices, t: SlackTransport, deps: SlackListenerDeps): SubcommandHandlers {
  const { incident } = deps;
  return {
    diagnose: diagnoseCommandHandler(incident.diagnose),
    runbooks: runbooksCommandHandler(app.catalog),
    ...incidentCommandHandlers(incident.incidents),
    remediate: remediateCommandHandler(deps.remediations),
    audit: auditCommandHandler(deps.remediations),
    postmortem: postmortemCommandHandler(deps.postmortems),
    'link-alert': linkAlertCommandHandler({
      incidents: app.services.incidents,
      access: t.channelAccess,
      alerts: app.services.alerts,
      refreshAlert: (alert) => deps.alertMessenger.refresh(alert),
      postInThread: async (channel, threadTs, text) => {
        await t.poster.post({ channel, ...(threadTs ? { thread_ts: threadTs } : {}), text, unfurl_links: false });
      },
    }),
    ...incidentRoleCommandHandlers(incident.roomCommands),
    ...followUpCommandHandlers(incident.followUps),
    stats: statsCommandHandler({ store: app.stores.reports, clock: app.clock, access: t.channelAccess }),
  };
}
