import { createAlertService, type AlertService } from '../alerts/alert-service';
import { createFollowUpService, type FollowUpService } from '../followups/follow-up-service';
import { createIncidentMetrics, type IncidentMetrics } from '../incidents/incident-metrics';
import { createIncidentService, type IncidentService } from '../incidents/incident-service';
import { createIncidentRoles, type IncidentRoles } from '../incidents/room/incident-roles';
import { createRemediationMetrics } from '../remediations/remediation-metrics';
import { createRemediationService, type RemediationService } from '../remediations/remediation-service';
import { remediationTargets } from './catalog-lookups';
import type { AppCore } from './core';

export interface AppServices {
  incidentMetrics: IncidentMetrics;
  alerts: AlertService;
  incidents: IncidentService;
  roles: IncidentRoles;
  followUps: FollowUpService;
  remediations: RemediationService;
}

/** The core with the services built on it. */
export interface AppWithServices extends AppCore {
  services: AppServices;
}

/** The core services over the stores: alerts, incidents, roles, follow-ups, remediations. Nothing here knows Slack. */
export function createServices(core: AppCore): AppServices {
  const { config, db, stores, catalog, coordination, clock, logger, registry } = core;
  const incidentMetrics = createIncidentMetrics(registry, { countOpen: () => stores.incidents.countActiveBySeverity() });
  const alerts = createAlertService({
    alerts: stores.alerts,
    jobs: stores.jobs,
    timeline: stores.timeline,
    clock,
    metrics: incidentMetrics,
  });
  const incidents = createIncidentService({
    transaction: (fn) => db.transaction(fn),
    incidents: stores.incidents,
    timeline: stores.timeline,
    alerts: stores.alerts,
    jobs: stores.jobs,
    clock,
    metrics: incidentMetrics,
    // Remediations asked for from the alert's diagnosis join the incident's audit log, timeline and post-mortem.
    alertJoined: (alertId, incidentId, actor) => remediations.linkAlertRequests(alertId, incidentId, actor),
    logger,
  });
  const roles = createIncidentRoles({
    transaction: (fn) => db.transaction(fn),
    getIncident: (id) => incidents.get(id),
    rooms: stores.rooms,
    timeline: stores.timeline,
    clock,
  });
  const followUps = createFollowUpService({
    transaction: (fn) => db.transaction(fn),
    store: stores.followUps,
    timeline: stores.timeline,
    getIncident: (id) => incidents.get(id),
    commanderOf: async (id) => (await roles.holders(id)).commander,
    clock,
  });
  const remediations = createRemediationService({
    store: stores.remediations,
    audit: stores.audit,
    coordination,
    clock,
    logger,
    resolveTarget: remediationTargets(config, catalog),
    metrics: createRemediationMetrics(registry),
    timeline: stores.timeline,
    runnerId: core.replicaId,
    childProcessEnv: config.childProcessEnv,
    leaseMs: config.remediationLeaseMs,
    approversByRisk: config.roles.approvers,
    requestersByRisk: config.roles.requesters,
  });
  return { incidentMetrics, alerts, incidents, roles, followUps, remediations };
}
