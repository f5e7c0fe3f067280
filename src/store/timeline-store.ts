import type { TimelineEvent, TimelineKind, TimelineStore } from '../domain/timeline-event';
import type { Database } from './database';

interface TimelineRow {
  id: string;
  incident_id: string;
  at: Date;
  actor: string;
  kind: TimelineKind;
  text: string;
  data: Record<string, unknown>;
}

// Only `append` writes this table, from a typed NewTimelineEvent: a row's data has its kind's shape.
const toEvent = (r: TimelineRow): TimelineEvent =>
  ({
    id: Number(r.id),
    incidentId: r.incident_id,
    at: r.at,
    actor: r.actor,
    kind: r.kind,
    text: r.text,
    data: r.data,
  }) as TimelineEvent;

export function createTimelineStore(db: Database): TimelineStore {
  return {
    append: async (e, tx) => {
      const r = await (tx ?? db).query<TimelineRow>(
        'INSERT INTO timeline_events (incident_id, at, actor, kind, text, data) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *',
        [e.incidentId, e.at, e.actor, e.kind, e.text, JSON.stringify(e.data)],
      );
      return toEvent(r.rows[0]!);
    },
    list: async (incidentId) => {
      const r = await db.query<TimelineRow>('SELECT * FROM timeline_events WHERE incident_id = $1 ORDER BY at, id', [incidentId]);
      return r.rows.map(toEvent);
    },
  };
}
