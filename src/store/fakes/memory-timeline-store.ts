import type { TimelineEvent, TimelineStore } from '../../domain/timeline-event';
import { constraint, copy, jsonb, type MemoryDatabase } from './memory-database';

/** The in-memory TimelineStore: the same contract as `createTimelineStore` (test/store/contracts/). */
export function createMemoryTimelineStore(mem: MemoryDatabase): TimelineStore {
  const t = mem.tables;
  return {
    append: async (e) => {
      constraint(t.incidents.has(e.incidentId), `no incident ${e.incidentId}`);
      t.serials.timeline += 1;
      const event = { ...copy(e), data: jsonb(e.data), id: t.serials.timeline } as TimelineEvent;
      t.timeline.push(event);
      return copy(event);
    },
    list: async (incidentId) =>
      t.timeline
        .filter((e) => e.incidentId === incidentId)
        .sort((a, b) => a.at.getTime() - b.at.getTime() || a.id - b.id)
        .map((e) => copy(e)),
  };
}
