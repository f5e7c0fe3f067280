import type { ReportStore } from '../domain/report';
import type { Severity } from '../domain/severity';
import type { Database } from './database';

export function createReportStore(db: Database): ReportStore {
  return {
    incidentsSince: async (since) => {
      const r = await db.query<{
        id: string;
        severity: Severity;
        status: string;
        started_at: Date | null;
        created_at: Date;
        acknowledged_at: Date | null;
        resolved_at: Date | null;
      }>(
        `SELECT id, severity, status, started_at, created_at, acknowledged_at, resolved_at FROM incidents
         WHERE COALESCE(started_at, created_at) >= $1 ORDER BY COALESCE(started_at, created_at)`,
        [since],
      );
      return r.rows.map((x) => ({
        id: x.id,
        severity: x.severity,
        status: x.status,
        startedAt: x.started_at ?? x.created_at,
        acknowledgedAt: x.acknowledged_at,
        resolvedAt: x.resolved_at,
      }));
    },
    topAlertsSince: async (since, limit) => {
      const r = await db.query<{ name: string; alerts: string; fires: string; channels: string[] }>(
        `SELECT name, count(*) AS alerts, sum(fire_count) AS fires, array_remove(array_agg(DISTINCT channel_id), NULL) AS channels
           FROM alerts WHERE starts_at >= $1 GROUP BY name ORDER BY count(*) DESC, sum(fire_count) DESC, name LIMIT $2`,
        [since, limit],
      );
      return r.rows.map((x) => ({ name: x.name, alerts: Number(x.alerts), fires: Number(x.fires), channels: x.channels }));
    },
    followUpCounts: async (now) => {
      const r = await db.query<{ open: string; overdue: string }>(
        `SELECT count(*) FILTER (WHERE status = 'open') AS open, count(*) FILTER (WHERE status = 'open' AND due_at < $1) AS overdue FROM follow_ups`,
        [now],
      );
      return { open: Number(r.rows[0]!.open), overdue: Number(r.rows[0]!.overdue) };
    },
  };
}
