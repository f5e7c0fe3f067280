import type { Database } from './database';
import type { AuditEntry, AuditStore } from '../domain/audit';

interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  incident_id: string | null;
  data: Record<string, unknown>;
}

export function createAuditStore(db: Database): AuditStore {
  const toEntry = (r: AuditRow): AuditEntry => ({
    id: Number(r.id),
    at: r.at,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    incidentId: r.incident_id,
    data: r.data,
  });
  return {
    append: async (e) => {
      const r = await db.query<AuditRow>(
        `INSERT INTO audit_log (actor, action, subject, incident_id, data, at)
         VALUES ($1, $2, $3, $4, $5, COALESCE($6, now())) RETURNING *`,
        [e.actor, e.action, e.subject, e.incidentId ?? null, JSON.stringify(e.data ?? {}), e.at ?? null],
      );
      return toEntry(r.rows[0]!);
    },
    list: async (f) => {
      const r = await db.query<AuditRow>(
        `SELECT * FROM audit_log
         WHERE ($1::text IS NULL OR incident_id = $1) AND ($2::text IS NULL OR subject = $2)
         ORDER BY id LIMIT $3`,
        [f.incidentId ?? null, f.subject ?? null, f.limit ?? 200],
      );
      return r.rows.map(toEntry);
    },
  };
}
