import type { Database } from './database';
import type { PostmortemDraft, PostmortemStore } from '../domain/postmortem-draft';

interface DraftRow {
  incident_id: string;
  version: number;
  markdown: string;
  created_by: string;
  created_at: Date;
}

const toDraft = (r: DraftRow): PostmortemDraft => ({
  incidentId: r.incident_id,
  version: r.version,
  markdown: r.markdown,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

export function createPostmortemStore(db: Database): PostmortemStore {
  return {
    saveNext: (d) =>
      db.transaction(async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock(hashtext('postmortem:' || $1))", [d.incidentId]);
        const next = await tx.query<{ v: number }>(
          'SELECT coalesce(max(version), 0) + 1 AS v FROM postmortem_drafts WHERE incident_id = $1',
          [d.incidentId],
        );
        const version = Number(next.rows[0]?.v ?? 1);
        const r = await tx.query<DraftRow>(
          'INSERT INTO postmortem_drafts (incident_id, version, markdown, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *',
          [d.incidentId, version, d.render(version), d.createdBy, d.createdAt],
        );
        return toDraft(r.rows[0]!);
      }),
    latest: async (incidentId) => {
      const r = await db.query<DraftRow>('SELECT * FROM postmortem_drafts WHERE incident_id = $1 ORDER BY version DESC LIMIT 1', [
        incidentId,
      ]);
      return r.rows[0] ? toDraft(r.rows[0]) : null;
    },
    recentIncidentsInChannel: async (channelId, limit) => {
      const r = await db.query<{ id: string; title: string; severity: string; status: string; created_at: Date; thread_ts: string | null }>(
        'SELECT id, title, severity, status, created_at, thread_ts FROM incidents WHERE channel_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2',
        [channelId, limit],
      );
      return r.rows.map((x) => ({
        id: x.id,
        title: x.title,
        severity: x.severity,
        status: x.status,
        createdAt: x.created_at,
        threadTs: x.thread_ts,
      }));
    },
  };
}
