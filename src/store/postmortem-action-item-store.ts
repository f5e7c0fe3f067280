import type { ActionItemDecision, PostmortemActionItem, PostmortemActionItemStore } from '../domain/postmortem-draft';
import type { Database } from './database';

interface ItemRow {
  incident_id: string;
  item_key: string;
  text: string;
  owner: string | null;
  link: string;
  first_version: number;
  decision: ActionItemDecision | null;
  decided_by: string | null;
  decided_at: Date | null;
}

const toItem = (r: ItemRow): PostmortemActionItem => ({
  incidentId: r.incident_id,
  key: r.item_key,
  text: r.text,
  owner: r.owner,
  link: r.link,
  firstVersion: r.first_version,
  decision: r.decision,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
});

export function createPostmortemActionItemStore(db: Database): PostmortemActionItemStore {
  return {
    saveCandidates: async (incidentId, version, items) => {
      if (!items.length) return [];
      const r = await db.query<ItemRow>(
        `INSERT INTO postmortem_action_items (incident_id, item_key, text, owner, link, first_version)
         SELECT $1, k, t, o, l, $2 FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS x(k, t, o, l)
         ON CONFLICT (incident_id, item_key) DO UPDATE SET text = EXCLUDED.text, owner = EXCLUDED.owner, link = EXCLUDED.link
         RETURNING *`,
        [incidentId, version, items.map((i) => i.key), items.map((i) => i.text), items.map((i) => i.owner), items.map((i) => i.link)],
      );
      return r.rows.map(toItem);
    },
    decide: async (incidentId, key, decision, by, at) => {
      const r = await db.query<ItemRow>(
        'UPDATE postmortem_action_items SET decision = $3, decided_by = $4, decided_at = $5 WHERE incident_id = $1 AND item_key = $2 RETURNING *',
        [incidentId, key, decision, by, at],
      );
      return r.rows[0] ? toItem(r.rows[0]) : null;
    },
    list: async (incidentId) => {
      const r = await db.query<ItemRow>('SELECT * FROM postmortem_action_items WHERE incident_id = $1 ORDER BY first_version, item_key', [
        incidentId,
      ]);
      return r.rows.map(toItem);
    },
  };
}
