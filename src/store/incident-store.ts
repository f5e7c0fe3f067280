import type { Severity } from '../domain/severity';
import type { Database } from './database';
import type { Incident, IncidentPatch, IncidentStatus, IncidentStore } from '../domain/incident';
import type { Queryable } from '../domain/queryable';

const COLUMNS: Record<keyof IncidentPatch, string> = {
  status: 'status',
  severity: 'severity',
  startedAt: 'started_at',
  acknowledgedAt: 'acknowledged_at',
  acknowledgedBy: 'acknowledged_by',
  mitigatedAt: 'mitigated_at',
  mitigatedBy: 'mitigated_by',
  resolvedAt: 'resolved_at',
  resolvedBy: 'resolved_by',
  summary: 'summary',
  rootCause: 'root_cause',
  resolution: 'resolution',
  lastUpdateAt: 'last_update_at',
  nextUpdateDueAt: 'next_update_due_at',
  channelId: 'channel_id',
  threadTs: 'thread_ts',
  impact: 'impact',
};

interface IncidentRow {
  id: string;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  channel_id: string | null;
  thread_ts: string | null;
  created_by: string;
  created_at: Date;
  started_at: Date | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  mitigated_at: Date | null;
  mitigated_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  impact: string | null;
  summary: string | null;
  root_cause: string | null;
  resolution: string | null;
  last_update_at: Date | null;
  next_update_due_at: Date | null;
}

const toIncident = (r: IncidentRow): Incident => ({
  id: r.id,
  title: r.title,
  severity: r.severity,
  status: r.status,
  channelId: r.channel_id,
  threadTs: r.thread_ts,
  createdBy: r.created_by,
  createdAt: r.created_at,
  startedAt: r.started_at ?? r.created_at,
  acknowledgedAt: r.acknowledged_at,
  acknowledgedBy: r.acknowledged_by,
  mitigatedAt: r.mitigated_at,
  mitigatedBy: r.mitigated_by,
  resolvedAt: r.resolved_at,
  resolvedBy: r.resolved_by,
  impact: r.impact,
  summary: r.summary,
  rootCause: r.root_cause,
  resolution: r.resolution,
  lastUpdateAt: r.last_update_at,
  nextUpdateDueAt: r.next_update_due_at,
});

export function createIncidentStore(db: Database): IncidentStore {
  const one = async (q: Queryable, sql: string, params: unknown[]): Promise<Incident | null> => {
    const r = await q.query<IncidentRow>(sql, params);
    return r.rows[0] ? toIncident(r.rows[0]) : null;
  };
  return {
    tryInsert: (id, i, tx) =>
      one(
        tx ?? db,
        `INSERT INTO incidents (id, title, severity, created_by, created_at, started_at, impact, channel_id, thread_ts, next_update_due_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $5)
         ON CONFLICT (id) DO NOTHING RETURNING *`,
        [
          id,
          i.title,
          i.severity,
          i.createdBy,
          i.createdAt,
          i.startedAt,
          i.impact ?? null,
          i.channelId ?? null,
          i.threadTs ?? null,
          i.nextUpdateDueAt ?? null,
        ],
      ),

    takenIdsBetween: async (from, to) => {
      const r = await db.query<{ id: string }>('SELECT id FROM incidents WHERE id >= $1 AND id <= $2', [from, to]);
      return new Set(r.rows.map((x) => x.id));
    },

    get: (id, tx, opts) => one(tx ?? db, `SELECT * FROM incidents WHERE id = $1${opts?.forUpdate ? ' FOR UPDATE' : ''}`, [id]),

    update: (id, fromStatuses, patch, at, tx) => {
      const sets: string[] = [];
      const params: unknown[] = [id, [...fromStatuses], at];
      for (const [key, value] of Object.entries(patch) as [keyof IncidentPatch, unknown][]) {
        if (value === undefined) continue;
        params.push(value);
        sets.push(`${COLUMNS[key]} = $${params.length}`);
      }
      sets.push('updated_at = $3');
      return one(tx ?? db, `UPDATE incidents SET ${sets.join(', ')} WHERE id = $1 AND status = ANY($2::text[]) RETURNING *`, params);
    },

    findByThread: (channelId, threadTs) =>
      one(db, 'SELECT * FROM incidents WHERE channel_id = $1 AND thread_ts = $2 ORDER BY created_at DESC LIMIT 1', [channelId, threadTs]),

    listActive: async () => {
      const r = await db.query<IncidentRow>(`SELECT * FROM incidents WHERE status <> 'resolved' ORDER BY severity, created_at`);
      return r.rows.map(toIncident);
    },

    countActiveBySeverity: async () => {
      const r = await db.query<{ severity: Severity; n: string }>(
        `SELECT severity, count(*) AS n FROM incidents WHERE status <> 'resolved' GROUP BY severity`,
      );
      const out: Record<Severity, number> = { P0: 0, P1: 0, P2: 0, P3: 0 };
      for (const row of r.rows) out[row.severity] = Number(row.n);
      return out;
    },
  };
}
