import type { Severity } from './severity';

export interface ReportIncidentRow {
  id: string;
  severity: Severity;
  status: string;
  startedAt: Date;
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
}

/** What the reports read: plain rows, the arithmetic is in `reports/`. */
export interface ReportStore {
  /** Incidents whose impact began at or after `since`. */
  incidentsSince(since: Date): Promise<ReportIncidentRow[]>;
  /** Alert names by how many alerts (and re-fires) began at or after `since`, most first. */
  topAlertsSince(since: Date, limit: number): Promise<{ name: string; alerts: number; fires: number }[]>;
  followUpCounts(now: Date): Promise<{ open: number; overdue: number }>;
}
