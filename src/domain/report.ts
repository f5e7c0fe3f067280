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
  /** The most frequent alert names, with the channels they were posted in (so a reader can hide private ones). */
  topAlertsSince(since: Date, limit: number): Promise<TopAlert[]>;
  followUpCounts(now: Date): Promise<{ open: number; overdue: number }>;
}

export interface TopAlert {
  name: string;
  alerts: number;
  fires: number;
  /** The Slack channels its alerts were posted in; empty when they came through the webhook only. */
  channels: string[];
}
