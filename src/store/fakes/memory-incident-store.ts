import type { Incident, IncidentPatch, IncidentStore } from '../../domain/incident';
import type { Severity } from '../../domain/severity';
import { constraint, copy, type MemoryDatabase } from './memory-database';

/** The in-memory IncidentStore: the same contract as `createIncidentStore` (test/store/contracts/). */
export function createMemoryIncidentStore(mem: MemoryDatabase): IncidentStore {
  const t = mem.tables;
  const out = (i: Incident | undefined): Incident | null => (i ? copy(i) : null);
  return {
    tryInsert: async (id, n) => {
      constraint(/^INC-[0-9]{14}$/.test(id), `incident id ${id} is not INC-<14 digits>`);
      if (t.incidents.has(id)) return null;
      const incident: Incident = {
        id,
        title: n.title,
        severity: n.severity,
        status: 'open',
        channelId: n.channelId ?? null,
        threadTs: n.threadTs ?? null,
        createdBy: n.createdBy,
        createdAt: copy(n.createdAt),
        startedAt: copy(n.startedAt),
        acknowledgedAt: null,
        acknowledgedBy: null,
        mitigatedAt: null,
        mitigatedBy: null,
        resolvedAt: null,
        resolvedBy: null,
        impact: n.impact ?? null,
        summary: null,
        rootCause: null,
        resolution: null,
        lastUpdateAt: null,
        nextUpdateDueAt: n.nextUpdateDueAt ? copy(n.nextUpdateDueAt) : null,
      };
      t.incidents.set(id, incident);
      return copy(incident);
    },
    takenIdsBetween: async (from, to) => new Set([...t.incidents.keys()].filter((id) => id >= from && id <= to)),
    get: async (id) => out(t.incidents.get(id)),
    update: async (id, fromStatuses, patch) => {
      const incident = t.incidents.get(id);
      if (!incident || !fromStatuses.includes(incident.status)) return null;
      for (const [key, value] of Object.entries(patch) as [keyof IncidentPatch, unknown][]) {
        if (value !== undefined) (incident as unknown as Record<string, unknown>)[key] = copy(value);
      }
      return copy(incident);
    },
    findByThread: async (channelId, threadTs) =>
      out(
        [...t.incidents.values()]
          .filter((i) => i.channelId === channelId && i.threadTs === threadTs)
          .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0],
      ),
    listActive: async () =>
      [...t.incidents.values()]
        .filter((i) => i.status !== 'resolved')
        .sort((a, b) => a.severity.localeCompare(b.severity) || a.createdAt.getTime() - b.createdAt.getTime())
        .map((i) => copy(i)),
    countActiveBySeverity: async () => {
      const counts: Record<Severity, number> = { P0: 0, P1: 0, P2: 0, P3: 0 };
      for (const i of t.incidents.values()) if (i.status !== 'resolved') counts[i.severity] += 1;
      return counts;
    },
  };
}
