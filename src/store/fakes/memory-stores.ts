import { createMemoryAlertStore } from './memory-alert-store';
import { createMemoryAuditStore } from './memory-audit-store';
import { createMemoryDatabase, type MemoryDatabase } from './memory-database';
import { createMemoryFollowUpStore } from './memory-follow-up-store';
import { createMemoryInboxStore } from './memory-inbox-store';
import { createMemoryIncidentRoomStore } from './memory-incident-room-store';
import { createMemoryIncidentStore } from './memory-incident-store';
import { createMemoryPostmortemStore } from './memory-postmortem-store';
import { createMemoryProcessedEventStore } from './memory-processed-event-store';
import { createMemoryRemediationStore } from './memory-remediation-store';
import { createMemoryReportStore } from './memory-report-store';
import { createMemoryScheduledJobStore } from './memory-scheduled-job-store';
import { createMemoryTimelineStore } from './memory-timeline-store';

/** Every store on one in-memory database, and its `transaction` for the services that take one. */
export function createMemoryStores(mem: MemoryDatabase = createMemoryDatabase()) {
  return {
    mem,
    transaction: mem.transaction,
    alerts: createMemoryAlertStore(mem),
    audit: createMemoryAuditStore(mem),
    inbox: createMemoryInboxStore(mem),
    incidents: createMemoryIncidentStore(mem),
    postmortems: createMemoryPostmortemStore(mem),
    processedEvents: createMemoryProcessedEventStore(mem),
    remediations: createMemoryRemediationStore(mem),
    jobs: createMemoryScheduledJobStore(mem),
    timeline: createMemoryTimelineStore(mem),
    rooms: createMemoryIncidentRoomStore(mem),
    followUps: createMemoryFollowUpStore(mem),
    reports: createMemoryReportStore(mem),
  };
}

export type MemoryStores = ReturnType<typeof createMemoryStores>;
