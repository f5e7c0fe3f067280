import type { Clock } from '../clock';
import { RESPONSE_SLA_MINUTES, SEVERITIES, type Severity } from '../domain/severity';
import type { ReportStore, TopAlert } from '../domain/report';

export interface DurationSummary {
  /** How many incidents the figure is computed from. */
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

export interface IncidentStats {
  days: number;
  since: Date;
  until: Date;
  total: number;
  bySeverity: Record<Severity, number>;
  /** Mean time to acknowledge: from the start of impact to the acknowledgement, acknowledged incidents only. */
  mtta: DurationSummary;
  /** Mean time to resolve: from the start of impact to the resolution, resolved incidents only. */
  mttr: DurationSummary;
  /** Incidents acknowledged after their response SLA, or still unacknowledged past it. */
  slaBreaches: { id: string; severity: Severity; minutesLate: number }[];
  topAlerts: TopAlert[];
  followUps: { open: number; overdue: number };
}

/**
 * The incident report of the last `days` days, read from the store (incidents whose impact began in the window).
 * MTTA and MTTR are given as median and 90th percentile (nearest rank): a mean hides the one long night.
 *
 * @example
 *   const stats = await incidentStats({ store, clock }, 30);
 *   stats.mttr.medianSeconds // 2460
 */
export async function incidentStats(deps: { store: ReportStore; clock: Clock }, days: number): Promise<IncidentStats> {
  const until = deps.clock.now();
  const since = new Date(until.getTime() - days * 24 * 3600_000);
  const [incidents, topAlerts, followUps] = await Promise.all([
    deps.store.incidentsSince(since),
    deps.store.topAlertsSince(since, 5),
    deps.store.followUpCounts(until),
  ]);
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const ack: number[] = [];
  const resolve: number[] = [];
  const slaBreaches: IncidentStats['slaBreaches'] = [];
  for (const inc of incidents) {
    bySeverity[inc.severity] += 1;
    const start = inc.startedAt.getTime();
    if (inc.acknowledgedAt) ack.push(Math.max(0, inc.acknowledgedAt.getTime() - start) / 1000);
    if (inc.resolvedAt) resolve.push(Math.max(0, inc.resolvedAt.getTime() - start) / 1000);
    const answeredAt = inc.acknowledgedAt ?? inc.resolvedAt ?? until;
    const late = (answeredAt.getTime() - start) / 60_000 - RESPONSE_SLA_MINUTES[inc.severity];
    if (late > 0) slaBreaches.push({ id: inc.id, severity: inc.severity, minutesLate: Math.round(late) });
  }
  return {
    days,
    since,
    until,
    total: incidents.length,
    bySeverity,
    mtta: summarize(ack),
    mttr: summarize(resolve),
    slaBreaches,
    topAlerts,
    followUps,
  };
}

export function summarize(seconds: readonly number[]): DurationSummary {
  const sorted = [...seconds].sort((a, b) => a - b);
  return { count: sorted.length, medianSeconds: percentile(sorted, 50), p90Seconds: percentile(sorted, 90) };
}

/** Nearest-rank percentile of sorted values; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** 42 s, 7 min, 2 h 05 min, 3 d 4 h; "—" for none. */
export function formatSeconds(s: number | null): string {
  if (s === null) return '—';
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** The report as plain text lines, for the terminal (Slack renders its own blocks from the same figures). */
export function statsText(stats: IncidentStats): string {
  const sev = SEVERITIES.map((s) => `${s} ${stats.bySeverity[s]}`).join(' · ');
  const lines = [
    `Incidents, last ${stats.days} days (${stats.since.toISOString().slice(0, 10)} – ${stats.until.toISOString().slice(0, 10)}): ${stats.total} (${sev})`,
    `MTTA: median ${formatSeconds(stats.mtta.medianSeconds)}, p90 ${formatSeconds(stats.mtta.p90Seconds)} (${stats.mtta.count} acknowledged)`,
    `MTTR: median ${formatSeconds(stats.mttr.medianSeconds)}, p90 ${formatSeconds(stats.mttr.p90Seconds)} (${stats.mttr.count} resolved)`,
    `SLA breaches: ${stats.slaBreaches.length}${
      stats.slaBreaches.length
        ? ` (${stats.slaBreaches
            .slice(0, 10)
            .map((b) => `${b.id} ${b.severity} +${b.minutesLate} min`)
            .join(', ')})`
        : ''
    }`,
    `Top alerts: ${stats.topAlerts.length ? stats.topAlerts.map((a) => `${a.name} ×${a.alerts}`).join(', ') : 'none'}`,
    `Follow-ups: ${stats.followUps.open} open, ${stats.followUps.overdue} overdue`,
  ];
  return lines.join('\n');
}
