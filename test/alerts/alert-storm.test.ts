import pino from 'pino';
import { createStormWatch, type StormPublisher, type StormSummary } from '../../src/alerts/alert-storm';
import { createMemoryCoordination } from '../../src/coordination/memory-coordination';
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

type Shown =
  | { kind: 'post'; summary: StormSummary; key: string }
  | { kind: 'edit'; ts: string; summary: StormSummary }
  | { kind: 'list'; ts: string; alerts: number[] };

describe('storm watch', () => {
  let now = T0;
  const shown: Shown[] = [];
  const publisher: StormPublisher = {
    postSummary: async (summary, key) => {
      shown.push({ kind: 'post', summary, key });
      return `ts-${shown.length}`;
    },
    editSummary: async (ts, summary) => void shown.push({ kind: 'edit', ts, summary }),
    listAlerts: async (_channel, ts, alerts) => void shown.push({ kind: 'list', ts, alerts: alerts.map((a) => a.id) }),
  };
  // Replicas share what the coordination holds; each has its own watch.
  let coordination = createMemoryCoordination(() => now);
  const watch = () =>
    createStormWatch({
      publisher,
      coordination,
      logger: pino({ level: 'silent' }),
      now: () => now,
      threshold: 3,
      flushMs: 50,
      editMs: 20,
      calmMs: 200,
    });
  beforeEach(() => {
    now = T0;
    shown.length = 0;
    coordination = createMemoryCoordination(() => now);
  });
  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const summaries = () => shown.filter((s): s is Exclude<Shown, { kind: 'list' }> => s.kind !== 'list');
  const listed = () => shown.flatMap((s) => (s.kind === 'list' ? s.alerts : []));

  it('shows alerts one by one up to the threshold, then takes them into one summary counted by name and severity, newest first', async () => {
    const w = watch();
    expect(await w.admit('C1', [alert(1, 'A'), alert(2, 'A'), alert(3, 'B')])).toEqual([]);
    expect(await w.admit('C2', [alert(4, 'A')])).toEqual([]); // another channel is counted on its own
    now += 1_000;
    expect((await w.admit('C1', [alert(5, 'A', 'P0')])).map((a) => a.id)).toEqual([5]);
    await settle(10);
    expect(shown).toHaveLength(2);
    expect(shown[0]).toMatchObject({ kind: 'post', summary: { channel: 'C1', total: 1, rows: [{ name: 'A', severity: 'P0', count: 1 }] } });
    expect(shown[1]).toEqual({ kind: 'list', ts: 'ts-1', alerts: [5] });
    now += 1_000;
    expect((await w.admit('C1', [alert(6, 'B'), alert(7, 'B')])).map((a) => a.id)).toEqual([6, 7]);
    now += 1_000;
    await w.admit('C1', [alert(8, 'A', 'P0')]);
    await settle(120);
    const last = summaries().at(-1)!;
    expect(last).toMatchObject({ kind: 'edit', ts: 'ts-1', summary: { total: 4 } });
    expect(last.summary.rows.map((r) => `${r.name}/${r.severity}×${r.count}`)).toEqual(['A/P0×2', 'B/P1×2']);
    expect(listed()).toEqual([5, 6, 7, 8]);
    expect(summaries().filter((s) => s.kind === 'post')).toHaveLength(1);
    await w.stop();
  });

  it('ends the storm when the channel has been calm, then shows alerts one by one again', async () => {
    const w = watch();
    await w.admit('C1', [alert(1, 'A'), alert(2, 'A'), alert(3, 'A'), alert(4, 'A')]);
    await settle(10);
    now += 250;
    await settle(150);
    const end = summaries().at(-1)!;
    expect(end.summary.endedAt?.getTime()).toBe(now);
    expect(end.summary.total).toBe(4);
    // Calm: the window has emptied as well, so one new alert is shown on its own.
    now += 60_000;
    expect(await w.admit('C1', [alert(9, 'A')])).toEqual([]);
    await w.stop();
  });

  it('counts the alerts of every replica in one window and shows one summary, each replica listing its own in its thread', async () => {
    const replicas = [watch(), watch(), watch()];
    // One alert on each: three in the channel's minute, the threshold. The fourth starts the storm, though no replica
    // has seen more than two.
    for (const [i, w] of replicas.entries()) expect(await w.admit('C1', [alert(10 + i, 'A')])).toEqual([]);
    now += 100;
    const taken = [];
    for (const [i, w] of replicas.entries()) taken.push(...(await w.admit('C1', [alert(20 + i, i === 2 ? 'B' : 'A', 'P2')])));
    expect(taken.map((a) => a.id)).toEqual([20, 21, 22]);
    await settle(150);
    const posts = summaries().filter((s) => s.kind === 'post');
    expect(posts).toHaveLength(1);
    expect(listed().sort()).toEqual([20, 21, 22]);
    expect(shown.filter((s) => s.kind === 'list').every((s) => s.ts === 'ts-1')).toBe(true);
    const last = summaries().at(-1)!;
    expect(last.summary.total).toBe(3);
    expect(last.summary.rows.map((r) => `${r.name}/${r.severity}×${r.count}`).sort()).toEqual(['A/P2×2', 'B/P2×1']);
    // A repeated delivery to any replica knows the storm took the alert.
    expect([...(await replicas[1]!.took([12, 20, 21, 22].map((id) => ({ id, channel: 'C1' }))))].sort()).toEqual([20, 21, 22]);
    // The same ids in another channel (another database's alerts, sharing Redis) were not taken.
    expect([...(await replicas[1]!.took([20, 21].map((id) => ({ id, channel: 'C2' }))))]).toEqual([]);
    await Promise.all(replicas.map((w) => w.stop()));
  });
});
