import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { SEVERITIES, type Severity } from './severity';

export interface IncidentMetrics {
  /** Read from PostgreSQL at scrape time, so every replica reports the same truth. */
  openIncidents: Gauge<'severity'>;
  /** subject: alert | incident */
  timeToAcknowledge: Histogram<'subject' | 'severity'>;
  timeToResolve: Histogram<'severity'>;
  /** level: 1, 2, 3 (L1 → L3) */
  escalations: Counter<'level' | 'severity'>;
  statusReminders: Counter<'severity'>;
}

// Seconds: from under a minute to a day (the P3 SLA).
const DURATION_BUCKETS = [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400];

/**
 * Incident metrics on the bot's Registry.
 *
 * @example
 *   const metrics = createIncidentMetrics(registry, { countOpen: () => incidentStore.countActiveBySeverity() });
 */
export function createIncidentMetrics(
  registry: Registry,
  opts: { countOpen?: () => Promise<Record<Severity, number>> } = {},
): IncidentMetrics {
  const countOpen = opts.countOpen;
  return {
    openIncidents: new Gauge({
      name: 'incident_bot_open_incidents',
      help: 'Incidents not yet resolved, by severity',
      labelNames: ['severity'],
      registers: [registry],
      ...(countOpen
        ? {
            async collect() {
              // A scrape while PostgreSQL is down keeps the last values rather than failing all of /metrics.
              const counts = await countOpen().catch(() => undefined);
              if (counts) for (const s of SEVERITIES) this.set({ severity: s }, counts[s]);
            },
          }
        : {}),
    }),
    timeToAcknowledge: new Histogram({
      name: 'incident_bot_time_to_acknowledge_seconds',
      help: 'From an alert firing (or an incident starting) to its acknowledgement',
      labelNames: ['subject', 'severity'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    timeToResolve: new Histogram({
      name: 'incident_bot_incident_time_to_resolve_seconds',
      help: 'From an incident starting to its resolution',
      labelNames: ['severity'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    escalations: new Counter({
      name: 'incident_bot_escalations_total',
      help: 'Unacknowledged alerts escalated past their SLA, by level (1 = L1) and severity',
      labelNames: ['level', 'severity'],
      registers: [registry],
    }),
    statusReminders: new Counter({
      name: 'incident_bot_status_update_reminders_total',
      help: 'Reminders posted because the status update of an active incident was overdue',
      labelNames: ['severity'],
      registers: [registry],
    }),
  };
}
