import { foundation } from './0001-foundation';
import { alertsIncidents } from './0002-alerts-incidents';
import { remediations } from './0003-remediations';
import { postmortems } from './0004-postmortems';
import { alertDeliveries } from './0005-alert-deliveries';
import type { Migration } from './migration';
import { slackInbox } from './0006-slack-inbox';
import { postmortemActionItems } from './0007-postmortem-action-items';
import { remediationAlertLink } from './0008-remediation-alert-link';
import { alertLabelsAndGroups } from './0009-alert-labels-and-groups';
import { incidentRoomsFollowUps } from './0010-incident-rooms-follow-ups';
import { incidentRoomRecovery } from './0012-incident-room-recovery';

export type { Migration } from './migration';

/** Append new migrations at the end; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  foundation,
  alertsIncidents,
  remediations,
  postmortems,
  alertDeliveries,
  slackInbox,
  postmortemActionItems,
  remediationAlertLink,
  alertLabelsAndGroups,
  incidentRoomsFollowUps,
  incidentRoomRecovery,
];
