import pino from 'pino';
import { createStormWatch, type StormSummary } from '../../src/alerts/alert-storm';
import type { AlertRecord } from '../../src/domain/alert';

const T0 = Date.parse('2026-11-26T08:00:00Z');

function alert(id: number, name: string, severity: AlertRecord['severity'] = 'P1'): AlertRecord {
  const at = new Date(T0);
  return {
    id,
    fingerprint: `f${id}`,
    name,
    source: 'alertmanager-slack',
    severity,
    status: 'firing',
    labels: { alertname: name },
    annotations: {},
    generatorURL: null,
    startsAt: at,
    endsAt: null,
    firstSeenAt: at,
    lastSeenAt: at,
    fireCount: 1,
    resolvedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    channelId: 'C1',
    messageTs: null,
    replyTs: null,
    escalationLevel: 0,
    incidentId: null,
    labelsFrom: 'sender',
    groupId: null,
  };
}

describe('storm watch', () => {
  let now = T0;
  const shown: { summary: StormSummary; alerts: number[] }[] = [];
  const watch = () =>
    createStormWatch({
      publisher: { showStorm: async (summary, alerts) => void shown.push({ summary, alerts: alerts.map((a) => a.id) }) },
      logger: pino({ level: 'silent' }),
      now: () => now,
      threshold: 3,
      flushMs: 50,
      calmMs: 200,
    });
  beforeEach(() => {
    now = T0;
    shown.length = 0;
  });
  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('shows alerts one by one up to the threshold, then takes them into one summary counted by name and severity, newest first', async () => {
    const w = watch();
    expect(w.admit('C1', [alert(1, 'A'), alert(2, 'A'), alert(3, 'B')])).toEqual([]);
    expect(w.admit('C2', [alert(4, 'A')])).toEqual([]); // another channel is counted on its own
    now += 1_000;
    expect(w.admit('C1', [alert(5, 'A', 'P0')]).map((a) => a.id)).toEqual([5]);
    await settle(10);
    expect(shown).toHaveLength(1);
    expect(shown[0]!.summary).toMatchObject({ channel: 'C1', total: 1, rows: [{ name: 'A', severity: 'P0', count: 1 }] });
    expect(shown[0]!.alerts).toEqual([5]);
    now += 1_000;
    expect(w.admit('C1', [alert(6, 'B'), alert(7, 'B')]).map((a) => a.id)).toEqual([6, 7]);
    now += 1_000;
    w.admit('C1', [alert(8, 'A', 'P0')]);
    await settle(120);
    const last = shown.at(-1)!;
    expect(last.summary.total).toBe(4);
    expect(last.summary.rows.map((r) => `${r.name}/${r.severity}×${r.count}`)).toEqual(['A/P0×2', 'B/P1×2']);
    expect(shown.flatMap((s) => s.alerts)).toEqual([5, 6, 7, 8]);
    await w.stop();
  });

  it('ends the storm when the channel has been calm, then shows alerts one by one again', async () => {
    const w = watch();
    w.admit('C1', [alert(1, 'A'), alert(2, 'A'), alert(3, 'A'), alert(4, 'A')]);
    now += 250;
    await settle(300);
    const end = shown.at(-1)!;
    expect(end.summary.endedAt?.getTime()).toBe(now);
    expect(end.summary.total).toBe(4);
    // Calm: the window has emptied as well, so one new alert is shown on its own.
    now += 60_000;
    expect(w.admit('C1', [alert(9, 'A')])).toEqual([]);
    await w.stop();
  });
});
