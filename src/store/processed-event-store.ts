import type { Database } from './database';

export interface ProcessedEventStore {
  /** Records the delivery; false when it was recorded before (a retry or another replica). */
  markProcessed(eventId: string, source: string): Promise<boolean>;
  /** Forgets deliveries older than the cutoff; Slack stops retrying after about an hour. */
  pruneOlderThan(cutoff: Date): Promise<number>;
}

export function createProcessedEventStore(db: Database): ProcessedEventStore {
  return {
    markProcessed: async (eventId, source) => {
      const r = await db.query('INSERT INTO processed_events (event_id, source) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING', [eventId, source]);
      return r.rowCount === 1;
    },
    pruneOlderThan: async (cutoff) => {
      const r = await db.query('DELETE FROM processed_events WHERE received_at < $1', [cutoff]);
      return r.rowCount ?? 0;
    },
  };
}
