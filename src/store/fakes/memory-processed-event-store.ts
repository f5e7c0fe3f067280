import type { ProcessedEventStore } from '../../domain/processed-event';
import type { MemoryDatabase } from './memory-database';

/** The in-memory ProcessedEventStore: the same contract as `createProcessedEventStore` (test/store/contracts/). */
export function createMemoryProcessedEventStore(mem: MemoryDatabase): ProcessedEventStore {
  const t = mem.tables;
  return {
    markProcessed: async (eventId, source) => {
      if (t.processedEvents.has(eventId)) return false;
      t.processedEvents.set(eventId, { source, receivedAt: mem.now() });
      return true;
    },
    markAllProcessed: async (eventIds, source) =>
      eventIds.map((eventId) => {
        if (t.processedEvents.has(eventId)) return false;
        t.processedEvents.set(eventId, { source, receivedAt: mem.now() });
        return true;
      }),
    recordAll: async (eventIds, source) => {
      for (const eventId of eventIds)
        if (!t.processedEvents.has(eventId)) t.processedEvents.set(eventId, { source, receivedAt: mem.now() });
    },
    pruneOlderThan: async (cutoff) => {
      let pruned = 0;
      for (const [id, row] of t.processedEvents) {
        if (row.receivedAt.getTime() < cutoff.getTime()) {
          t.processedEvents.delete(id);
          pruned += 1;
        }
      }
      return pruned;
    },
  };
}
