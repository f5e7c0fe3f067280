import type { FollowUp, FollowUpSource, FollowUpStatus, FollowUpStore } from '../domain/follow-up';
import type { Database } from './database';

interface Row {
  id: string;
  incident_id: string;
  text: string;
  owner: string | null;
  status: FollowUpStatus;
  due_at: Date;
  source: FollowUpSource;
  created_by: string;
  created_at: Date;
  done_at: Date | null;
  done_by: string | null;
  last_reminded_at: Date | null;
  external_url: string | null;
}

const toFollowUp = (r: Row): FollowUp => ({
  id: Number(r.id),
  incidentId: r.incident_id,
  text: r.text,
  owner: r.owner,
  status: r.status,
  dueAt: r.due_at,
  source: r.source,
  createdBy: r.created_by,
  createdAt: r.created_at,
  doneAt: r.done_at,
  doneBy: r.done_by,
  lastRemindedAt: r.last_reminded_at,
  externalUrl: r.external_url,
});

export function createFollowUpStore(db: Database): FollowUpStore {
  return {
    insert: async (f, tx) => {
      const q = tx ?? db;
      const r = await q.query<Row>(
        `INSERT INTO follow_ups (incident_id, text, owner, due_at, source, created_by, created_at, source_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (incident_id, source_key) WHERE source_key IS NOT NULL DO NOTHING RETURNING *`,
        [f.incidentId, f.text, f.owner ?? null, f.dueAt, f.source, f.createdBy, f.createdAt, f.sourceKey ?? null],
      );
      if (r.rows[0]) return { ...toFollowUp(r.rows[0]), created: true };
      const existing = await q.query<Row>('SELECT * FROM follow_ups WHERE incident_id = $1 AND source_key = $2', [
        f.incidentId,
        f.sourceKey,
      ]);
      return { ...toFollowUp(existing.rows[0]!), created: false };
    },
    get: async (id) => {
      const r = await db.query<Row>('SELECT * FROM follow_ups WHERE id = $1', [id]);
      return r.rows[0] ? toFollowUp(r.rows[0]) : null;
    },
    list: async (filter, limit) => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.incidentId) where.push(`incident_id = $${params.push(filter.incidentId)}`);
      if (filter.owner) where.push(`owner = $${params.push(filter.owner)}`);
      if (filter.status) where.push(`status = $${params.push(filter.status)}`);
      params.push(limit);
      const r = await db.query<Row>(
        `SELECT * FROM follow_ups ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY status, due_at, id LIMIT $${params.length}`,
        params,
      );
      return r.rows.map(toFollowUp);
    },
    markDone: async (id, by, at) => {
      const r = await db.query<Row>(
        `UPDATE follow_ups SET status = 'done', done_at = $2, done_by = $3 WHERE id = $1 AND status = 'open' RETURNING *`,
        [id, at, by],
      );
      return r.rows[0] ? toFollowUp(r.rows[0]) : null;
    },
    claimOverdue: async (now, remindedBefore, limit) => {
      const r = await db.query<Row>(
        `UPDATE follow_ups SET last_reminded_at = $1
         WHERE id IN (
           SELECT id FROM follow_ups
           WHERE status = 'open' AND due_at < $1 AND (last_reminded_at IS NULL OR last_reminded_at < $2)
           ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [now, remindedBefore, limit],
      );
      return r.rows.map(toFollowUp);
    },
    claimExport: async (id, now, staleBefore) => {
      const r = await db.query(
        `UPDATE follow_ups SET exporting_since = $2 WHERE id = $1 AND external_url IS NULL AND (exporting_since IS NULL OR exporting_since < $3)`,
        [id, now, staleBefore],
      );
      return (r.rowCount ?? 0) > 0;
    },
    finishExport: async (id, url) => {
      await db.query('UPDATE follow_ups SET external_url = COALESCE($2, external_url), exporting_since = NULL WHERE id = $1', [id, url]);
    },
  };
}
