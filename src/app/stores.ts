import { createAlertStore } from '../store/alert-store';
import { createAuditStore } from '../store/audit-store';
import type { Database } from '../domain/database';
import { createFollowUpStore } from '../store/follow-up-store';
import { createInboxStore } from '../store/inbox-store';
import { createIncidentRoomStore } from '../store/incident-room-store';
import { createIncidentStore } from '../store/incident-store';
import { createPostmortemActionItemStore } from '../store/postmortem-action-item-store';
import { createPostmortemStore } from '../store/postmortem-store';
import { createProcessedEventStore } from '../store/processed-event-store';
import { createRemediationStore } from '../store/remediation-store';
import { createReportStore } from '../store/report-store';
import { createScheduledJobStore } from '../store/scheduled-job-store';
import { createTimelineStore } from '../store/timeline-store';

/** Every store the bot uses, each over the one database (constructing a store opens nothing). */
export function createStores(db: Database) {
  return {
    processedEvents: createProcessedEventStore(db),
    audit: createAuditStore(db),
    alerts: createAlertStore(db),
    incidents: createIncidentStore(db),
    timeline: createTimelineStore(db),
    jobs: createScheduledJobStore(db),
    rooms: createIncidentRoomStore(db),
    followUps: createFollowUpStore(db),
    reports: createReportStore(db),
    remediations: createRemediationStore(db),
    inbox: createInboxStore(db),
    postmortemDrafts: createPostmortemStore(db),
    postmortemActionItems: createPostmortemActionItemStore(db),
  };
}

export type AppStores = ReturnType<typeof createStores>;
