import { createDiagnosisMetrics, createDiagnosisRecorder } from '../diagnosis';
import { createFollowUpExporter } from '../followups/follow-up-export';
import { createPostmortemService } from '../postmortem';
import { escapeMrkdwn } from '../slack/blocks/mrkdwn';
import { createIncidentRooms, type IncidentRooms } from '../slack/incident-room';
import { createIncidentVisibility, type IncidentVisibility } from '../slack/incident-visibility';
import type { DiagnoseDeps } from '../slack/listeners/diagnose';
import type { FollowUpSlackDeps } from '../slack/listeners/follow-ups';
import type { IncidentRoomCommandDeps } from '../slack/listeners/incident-room-commands';
import { resumedOpeningContext, type IncidentCommandDeps } from '../slack/listeners/incident-subcommands';
import type { PostmortemDeps } from '../slack/listeners/postmortem';
import type { RemediationSlackDeps } from '../slack/listeners/remediations';
import { createSlackThreadReader } from '../slack/slack-thread-reader';
import { alertContactsOf, roomLinksOf, runbookContactsOf, runbookIdsOf } from './catalog-lookups';
import type { AppWithServices } from './services';
import type { SlackTransport } from './slack-transport';

/** What the incident listeners share: diagnosis, rooms and who may see them, follow-ups, the incident commands. */
export interface IncidentSlackDeps {
  diagnose: DiagnoseDeps;
  visibility: IncidentVisibility;
  roomCommands: IncidentRoomCommandDeps;
  followUps: FollowUpSlackDeps;
  incidents: IncidentCommandDeps;
  /** Resumes the room openings a stopped replica left unfinished; returns how many it took over. */
  recoverRoomOpenings: () => Promise<number>;
}

export function createIncidentSlackDeps(app: AppWithServices, t: SlackTransport): IncidentSlackDeps {
  const { config, catalog, clock, logger, stores, services } = app;
  const diagnose: DiagnoseDeps = {
    catalog,
    client: t.slack.client,
    poster: t.poster,
    logger,
    metrics: createDiagnosisMetrics(app.registry),
    now: () => clock.now(),
    onDiagnosed: createDiagnosisRecorder({ incidents: services.incidents }),
  };
  const rooms = createRooms(app, t);
  const visibility = createIncidentVisibility({ rooms, access: t.channelAccess });
  const roomCommands: IncidentRoomCommandDeps = { rooms, incidents: services.incidents, visibility, logger };
  const followUps: FollowUpSlackDeps = {
    followUps: services.followUps,
    exporter: createFollowUpExporter({
      store: stores.followUps,
      getIncident: (id) => services.incidents.get(id),
      ...(config.github ? { github: config.github } : {}),
      clock,
    }),
    canExport: Boolean(config.github),
    incidents: services.incidents,
    room: roomCommands,
    visibility,
    poster: t.poster,
    client: t.slack.client,
    clock,
    logger,
  };
  const incidents: IncidentCommandDeps = {
    incidents: services.incidents,
    notifications: app.notifications,
    poster: t.poster,
    client: t.slack.client,
    logger,
    severityChannels: config.severityChannels,
    latestPostmortem: (incidentId) => stores.postmortemDrafts.latest(incidentId),
    contactsOf: async (incidentId) => runbookContactsOf(catalog, await stores.alerts.namesByIncident(incidentId)),
    rooms,
    visibility,
  };
  const recoverRoomOpenings = () =>
    rooms.recoverUnopened((incident, room) =>
      resumedOpeningContext(incidents, (channelId, ts) => stores.alerts.findByMessage(channelId, ts), incident, room),
    );
  return { diagnose, visibility, roomCommands, followUps, incidents, recoverRoomOpenings };
}

function createRooms(app: AppWithServices, t: SlackTransport): IncidentRooms {
  const { config, catalog } = app;
  return createIncidentRooms({
    config: config.incidentRooms,
    rooms: app.stores.rooms,
    roles: app.services.roles,
    incidents: app.services.incidents,
    timeline: app.stores.timeline,
    client: t.slack.client,
    poster: t.poster,
    membership: t.membership,
    access: t.channelAccess,
    linksFor: (alertName) => roomLinksOf(catalog, alertName),
    // The on-call (first escalation level) and every level the alert has already been escalated to.
    respondersOf: (alert) =>
      (['L1', 'L2', 'L3'] as const).slice(0, Math.max(1, alert.escalationLevel)).flatMap((level) => config.escalationTargets[level] ?? []),
    contactsOf: (alert) => alertContactsOf(catalog, alert),
    owner: app.replicaId,
    coordination: app.coordination,
    clock: app.clock,
    logger: app.logger,
  });
}

/** The remediation listeners' view of incidents and alert threads, and who may approve. */
export function createRemediationSlackDeps(app: AppWithServices, t: SlackTransport): RemediationSlackDeps {
  const { config, catalog, logger, stores, services } = app;
  return {
    catalog,
    service: services.remediations,
    client: t.slack.client,
    poster: t.poster,
    logger,
    incidentThread: async (id) => services.incidents.get(id).catch(() => undefined),
    incidentOfThread: async (channelId, threadTs) => (await services.incidents.concerning({ channelId, threadTs }))?.id,
    currentIncident: async (channelId) => {
      const here = (await services.incidents.listActive()).filter((i) => i.channelId === channelId);
      return here.length === 1 ? here[0]!.id : undefined;
    },
    alertOfThread: async (channelId, threadTs) => {
      const alert = await stores.alerts.findByMessage(channelId, threadTs);
      if (!alert?.channelId || !alert.messageTs) return undefined;
      return {
        alertId: alert.id,
        channelId: alert.channelId,
        threadTs: alert.messageTs,
        ...(alert.incidentId ? { incidentId: alert.incidentId } : {}),
      };
    },
    runbooksOfIncident: async (incidentId) => runbookIdsOf(catalog, await stores.alerts.namesByIncident(incidentId)),
    membership: t.membership,
    ...(config.approvalsChannel ? { approvalsChannel: config.approvalsChannel } : {}),
  };
}

/**
 * The post-mortem service (it reads the incident's Slack thread) and what its listeners post with; `visibility` keeps
 * a private incident's post-mortem buttons to those who may read it.
 */
export function createPostmortemSlackDeps(app: AppWithServices, t: SlackTransport, visibility: IncidentVisibility): PostmortemDeps {
  const { clock, logger, stores, services } = app;
  const drafts = stores.postmortemDrafts;
  return {
    postmortems: createPostmortemService({
      incidents: services.incidents,
      drafts,
      threadReader: createSlackThreadReader({ client: t.slack.client, logger }),
      alerts: stores.alerts,
      actionItems: stores.postmortemActionItems,
      followUps: services.followUps,
      template: app.postmortemTemplate,
      escapeMrkdwn,
      clock,
      logger,
    }),
    incidents: services.incidents,
    recentIncidentsInChannel: (channelId, limit) => drafts.recentIncidentsInChannel(channelId, limit),
    client: t.slack.client,
    poster: t.poster,
    visibility,
    logger,
  };
}
