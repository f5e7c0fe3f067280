import { createManualClock } from '../../src/clock';
import { formatSeconds, incidentStats, percentile, statsText, summarize } from '../../src/reports/incident-stats';
import type { ReportIncidentRow, ReportStore } from '../../src/domain/report';

const at = (iso: string) => new Date(iso);

/** A report store holding fixed rows, as the PostgreSQL one returns them (the SQL is covered by the e2e and CLI tests). */
function rowsStore(rows: ReportIncidentRow[]): ReportStore {
  return {
    incidentsSince: async (since) => rows.filter((r) => r.startedAt >= since),
    topAlertsSince: async () => [{ name: 'WorkerDown', alerts: 3, fires: 7, channels: ['C0ALERTS'] }],
    followUpCounts: async () => ({ open: 2, overdue: 1 }),
  };
}

describe('incident stats', () => {
  it('nearest-rank percentiles and the summaries', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([42], 90)).toBe(42);
    expect(summarize([300, 60, 120])).toEqual({ count: 3, medianSeconds: 120, p90Seconds: 300 });
    expect([formatSeconds(null), formatSeconds(42), formatSeconds(420), formatSeconds(7500), formatSeconds(3 * 86400 + 4 * 3600)]).toEqual([
      '—',
      '42 s',
      '7 min',
      '2 h 05 min',
      '3 d 4 h',
    ]);
  });

  it('counts by severity, MTTA and MTTR from the start of impact, SLA breaches, within the window only', async () => {
    const clock = createManualClock('2026-11-26T12:00:00Z');
    const stats = await incidentStats(
      {
        clock,
        store: rowsStore([
          // P0 acknowledged after 3 min (within 5), resolved after 40 min
          {
            id: 'INC-20261125100000',
            severity: 'P0',
            status: 'resolved',
            startedAt: at('2026-11-25T10:00:00Z'),
            acknowledgedAt: at('2026-11-25T10:03:00Z'),
            resolvedAt: at('2026-11-25T10:40:00Z'),
          },
          // P1 acknowledged after 20 min: 5 min over its 15-minute SLA
          {
            id: 'INC-20261124100000',
            severity: 'P1',
            status: 'acknowledged',
            startedAt: at('2026-11-24T10:00:00Z'),
            acknowledgedAt: at('2026-11-24T10:20:00Z'),
            resolvedAt: null,
          },
          // P2 never acknowledged, 2 h old: 60 min over
          {
            id: 'INC-20261126100000',
            severity: 'P2',
            status: 'open',
            startedAt: at('2026-11-26T10:00:00Z'),
            acknowledgedAt: null,
            resolvedAt: null,
          },
          // outside the 7-day window
          {
            id: 'INC-20261101100000',
            severity: 'P0',
            status: 'resolved',
            startedAt: at('2026-11-01T10:00:00Z'),
            acknowledgedAt: at('2026-11-01T11:00:00Z'),
            resolvedAt: at('2026-11-01T12:00:00Z'),
          },
        ]),
      },
      7,
    );
    expect(stats.total).toBe(3);
    expect(stats.bySeverity).toEqual({ P0: 1, P1: 1, P2: 1, P3: 0 });
    expect(stats.mtta).toEqual({ count: 2, medianSeconds: 180, p90Seconds: 1200 });
    expect(stats.mttr).toEqual({ count: 1, medianSeconds: 2400, p90Seconds: 2400 });
    expect(stats.slaBreaches).toEqual([
      { id: 'INC-20261124100000', severity: 'P1', minutesLate: 5 },
      { id: 'INC-20261126100000', severity: 'P2', minutesLate: 60 },
    ]);
    expect(statsText(stats)).toBe(
      [
        'Incidents, last 7 days (2026-11-19 – 2026-11-26): 3 (P0 1 · P1 1 · P2 1 · P3 0)',
        'MTTA: median 3 min, p90 20 min (2 acknowledged)',
        'MTTR: median 40 min, p90 40 min (1 resolved)',
        'SLA breaches: 2 (INC-20261124100000 P1 +5 min, INC-20261126100000 P2 +60 min)',
        'Top alerts: WorkerDown ×3',
        'Follow-ups: 2 open, 1 overdue',
      ].join('\n'),
    );
  });
});
