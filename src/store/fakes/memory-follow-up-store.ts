import type { FollowUp, FollowUpStore } from '../../domain/follow-up';
import { constraint, copy, type MemoryDatabase } from './memory-database';

/** The in-memory FollowUpStore: the same contract as `createFollowUpStore` (test/store/contracts/). */
export function createMemoryFollowUpStore(mem: MemoryDatabase): FollowUpStore {
  const t = mem.tables;
  const out = (row: (typeof t.followUps)[number]): FollowUp => {
    const { exportingSince: _e, sourceKey: _k, ...f } = row;
    return copy(f);
  };
  const byDue = (a: FollowUp, b: FollowUp) => a.dueAt.getTime() - b.dueAt.getTime() || a.id - b.id;
  return {
    insert: async (f) => {
      constraint(t.incidents.has(f.incidentId), `no incident ${f.incidentId}`);
      const same =
        f.sourceKey === undefined ? undefined : t.followUps.find((x) => x.incidentId === f.incidentId && x.sourceKey === f.sourceKey);
      if (same) return { ...out(same), created: false };
      constraint(f.text.length >= 1 && f.text.length <= 500, 'text must be 1-500 characters');
      t.serials.followUps += 1;
      const row = {
        id: t.serials.followUps,
        incidentId: f.incidentId,
        text: f.text,
        owner: f.owner ?? null,
        status: 'open' as const,
        dueAt: copy(f.dueAt),
        source: f.source,
        createdBy: f.createdBy,
        createdAt: copy(f.createdAt),
        doneAt: null,
        doneBy: null,
        lastRemindedAt: null,
        externalUrl: null,
        exportingSince: null,
        sourceKey: f.sourceKey ?? null,
      };
      t.followUps.push(row);
      return { ...out(row), created: true };
    },
    get: async (id) => {
      const row = t.followUps.find((f) => f.id === id);
      return row ? out(row) : null;
    },
    list: async (filter, limit) =>
      t.followUps
        .filter(
          (f) =>
            (!filter.incidentId || f.incidentId === filter.incidentId) &&
            (!filter.owner || f.owner === filter.owner) &&
            (!filter.status || f.status === filter.status),
        )
        // ORDER BY status ('done' < 'open'), due_at, id
        .sort((a, b) => (a.status === b.status ? byDue(a, b) : a.status < b.status ? -1 : 1))
        .slice(0, limit)
        .map(out),
    markDone: async (id, by, at) => {
      const row = t.followUps.find((f) => f.id === id && f.status === 'open');
      if (!row) return null;
      Object.assign(row, { status: 'done', doneAt: copy(at), doneBy: by });
      return out(row);
    },
    claimOverdue: async (now, remindedBefore, limit) => {
      const due = t.followUps
        .filter((f) => f.status === 'open' && f.dueAt < now && (f.lastRemindedAt === null || f.lastRemindedAt < remindedBefore))
        .sort(byDue)
        .slice(0, limit);
      for (const f of due) f.lastRemindedAt = copy(now);
      return due.map(out);
    },
    claimExport: async (id, now, staleBefore) => {
      const row = t.followUps.find(
        (f) => f.id === id && f.externalUrl === null && (f.exportingSince === null || f.exportingSince < staleBefore),
      );
      if (!row) return false;
      row.exportingSince = copy(now);
      return true;
    },
    finishExport: async (id, url) => {
      const row = t.followUps.find((f) => f.id === id);
      if (row) Object.assign(row, { externalUrl: url ?? row.externalUrl, exportingSince: null });
    },
  };
}
