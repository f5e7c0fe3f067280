import type { ReportStore, TopAlert } from '../../domain/report';
import { copy, type MemoryDatabase } from './memory-database';

/** The in-memory ReportStore: the same contract as `createReportStore` (test/store/contracts/). */
export function createMemoryReportStore(mem: MemoryDatabase): ReportStore {
  const t = mem.tables;
  return {
    incidentsSince: async (since) =>
      [...t.incidents.values()]
        .filter((i) => i.startedAt >= since)
        .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())
        .map((i) =>
          copy({
            id: i.id,
            severity: i.severity,
            status: i.status,
            startedAt: i.startedAt,
            acknowledgedAt: i.acknowledgedAt,
            resolvedAt: i.resolvedAt,
          }),
        ),
    topAlertsSince: async (since, limit) => {
      const byName = new Map<string, TopAlert>();
      for (const { alert } of t.alerts.filter((a) => a.alert.startsAt >= since)) {
        const entry = byName.get(alert.name) ?? { name: alert.name, alerts: 0, fires: 0, channels: [] };
        entry.alerts += 1;
        entry.fires += alert.fireCount;
        if (alert.channelId && !entry.channels.includes(alert.channelId)) entry.channels.push(alert.channelId);
        byName.set(alert.name, entry);
      }
      return [...byName.values()]
        .sort((a, b) => b.alerts - a.alerts || b.fires - a.fires || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .slice(0, limit);
    },
    followUpCounts: async (now) => ({
      open: t.followUps.filter((f) => f.status === 'open').length,
      overdue: t.followUps.filter((f) => f.status === 'open' && f.dueAt < now).length,
    }),
  };
}
