import type { PostmortemDraft, PostmortemStore } from '../../domain/postmortem-draft';
import { constraint, copy, type MemoryDatabase } from './memory-database';

/** The in-memory PostmortemStore: the same contract as `createPostmortemStore` (test/store/contracts/). */
export function createMemoryPostmortemStore(mem: MemoryDatabase): PostmortemStore {
  const t = mem.tables;
  return {
    // One transaction at a time (MemoryDatabase.transaction): versions of a draft never clash.
    saveNext: (d) =>
      mem.transaction(async () => {
        constraint(t.incidents.has(d.incidentId), `no incident ${d.incidentId}`);
        const version = Math.max(0, ...t.drafts.filter((x) => x.incidentId === d.incidentId).map((x) => x.version)) + 1;
        const draft: PostmortemDraft = {
          incidentId: d.incidentId,
          version,
          markdown: d.render(version),
          createdBy: d.createdBy,
          createdAt: copy(d.createdAt),
        };
        t.drafts.push(draft);
        return copy(draft);
      }),
    latest: async (incidentId) => {
      const mine = t.drafts.filter((x) => x.incidentId === incidentId).sort((a, b) => b.version - a.version);
      return mine[0] ? copy(mine[0]) : null;
    },
    recentIncidentsInChannel: async (channelId, limit) =>
      [...t.incidents.values()]
        .filter((i) => i.channelId === channelId)
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
        .slice(0, limit)
        .map((i) => ({
          id: i.id,
          title: i.title,
          severity: i.severity,
          status: i.status,
          createdAt: copy(i.createdAt),
          threadTs: i.threadTs,
        })),
  };
}
