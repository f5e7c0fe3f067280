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
import { incidentRoomPrivacy } from './0011-incident-room-privacy';
import { incidentRoomRecovery } from './0012-incident-room-recovery';

export type { Migration } from './migration';

/**
 * In id order; never edit one that has shipped. The runner applies each id it has not recorded, so a migration that
 * lands after a higher-numbered one (0011 after 0012) is applied on the next start of a database that has 0012.
 */
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
  incidentRoomPrivacy,
  incidentRoomRecovery,
];
