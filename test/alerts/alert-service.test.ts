import { alertFingerprint, type AlertEvent } from '../../src/alerts/alert-event';
import { createAlertService, ESCALATION_JOB, type AlertService } from '../../src/alerts/alert-service';
import { createManualClock } from '../../src/clock';
import { BotError } from '../../src/errors';
import type { Database } from '../../src/store/database';
import { createAlertStore } from '../../src/store/alert-store';
import { createScheduledJobStore } from '../../src/store/scheduled-job-store';
import { createMigratedDatabase } from '../support/migrated-database';

let db: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ db, drop } = await createMigratedDatabase('alert_service'));
}, 60_000);
afterAll(async () => drop());

const T0 = new Date('2026-01-11T10:02:00Z');
let n = 0;
function alertEvent(overrides: Partial<AlertEvent> = {}): AlertEvent {
  const labels = { alertname: 'StuckDetected', agent: `agent-${++n}`, severity: 'high' };
  return {
    name: 'StuckDetected',
    status: 'firing',
    labels,
    annotations: { summary: 'stuck' },
    fingerprint: alertFingerprint('StuckDetected', labels),
    startsAt: T0,
    source: 'alertmanager-webhook',
    ...overrides,
  };
}

function service(clock = createManualClock(T0)): { svc: AlertService; clock: ReturnType<typeof createManualClock> } {
  return { svc: createAlertService({ alerts: createAlertStore(db), clock, jobs: createScheduledJobStore(db) }), clock };
}

const count = async (fingerprint: string): Promise<number> =>
  Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM alerts WHERE fingerprint = $1', [fingerprint])).rows[0]!.n);

describe('grouping', () => {
  it('creates a record on first firing, counts re-fires, ignores a repeated delivery, resolves, starts over after', async () => {
    const { svc, clock } = service();
    const e = alertEvent();
    const first = await svc.record(e, { deliveryKey: 'C1:1.0', post: { channelId: 'C1', ts: '1.0' } });
    expect(first.kind).toBe('new');
    if (first.kind !== 'new') return;
    expect(first.alert).toMatchObject({
      name: 'StuckDetected',
      severity: 'P1',
      status: 'firing',
      fireCount: 1,
      channelId: 'C1',
      messageTs: '1.0',
    });

    clock.advance(5 * 60_000);
    const again = await svc.record(e, { deliveryKey: 'C1:2.0', post: { channelId: 'C1', ts: '2.0' } });
    expect(again).toMatchObject({ kind: 'refire', count: 2, since: T0 });
    if (again.kind === 'refire') {
      expect(again.alert.id).toBe(first.alert.id);
      expect(again.alert.lastSeenAt).toEqual(new Date(T0.getTime() + 5 * 60_000));
      expect(again.alert.messageTs).toBe('1.0'); // the thread stays on the first post
    }
    expect(await svc.record(e, { deliveryKey: 'C1:2.0' })).toMatchObject({ kind: 'duplicate' });

    const resolved = await svc.record({ ...e, status: 'resolved', endsAt: clock.now() });
    expect(resolved).toMatchObject({ kind: 'resolved', alert: { id: first.alert.id, status: 'resolved' } });
    expect(await svc.record({ ...e, status: 'resolved' })).toMatchObject({ kind: 'ignored' });

    const next = await svc.record(e, { deliveryKey: 'C1:3.0' });
    expect(next.kind).toBe('new');
    if (next.kind === 'new') expect(next.alert.id).not.toBe(first.alert.id);
    expect(await count(e.fingerprint)).toBe(2);
  });

  it('records a delivery of many alerts in one batch with the outcomes one by one would give, in order', async () => {
    const { svc, clock } = service();
    const [a, b, c, d] = [alertEvent(), alertEvent(), alertEvent(), alertEvent()];
    await svc.record(b, { deliveryKey: 'K:b0' });
    await svc.record(c, { deliveryKey: 'K:c0' });
    clock.advance(60_000);
    const out = await svc.recordMany([
      { event: a, opts: { deliveryKey: 'K:a1', post: { channelId: 'C9', ts: '9.1' } } },
      { event: b, opts: { deliveryKey: 'K:b1' } },
      { event: { ...c, status: 'resolved', endsAt: clock.now() }, opts: { deliveryKey: 'K:c1' } },
      { event: { ...d, status: 'resolved' }, opts: { deliveryKey: 'K:d1' } },
      { event: b, opts: { deliveryKey: 'K:b0' } },
    ]);
    expect(out.map((o) => o.kind)).toEqual(['new', 'refire', 'resolved', 'ignored', 'duplicate']);
    expect(out[0]).toMatchObject({ alert: { fingerprint: a.fingerprint, channelId: 'C9', messageTs: '9.1', fireCount: 1 } });
    expect(out[1]).toMatchObject({ count: 2, alert: { fingerprint: b.fingerprint, lastSeenAt: clock.now() } });
    expect(out[2]).toMatchObject({ alert: { fingerprint: c.fingerprint, status: 'resolved', resolvedAt: clock.now() } });
    // The new alert's escalation was scheduled in the same transaction, as record() does.
    const jobs = await db.query<{ n: string }>(`SELECT count(*) AS n FROM scheduled_jobs WHERE dedup_key = $1`, [
      `escalation:${(out[0] as { alert: { id: number } }).alert.id}`,
    ]);
    expect(Number(jobs.rows[0]!.n)).toBe(1);
    // The same delivery again: every alert a duplicate (or ignored), nothing counted twice.
    const again = await svc.recordMany([
      { event: a, opts: { deliveryKey: 'K:a1' } },
      { event: b, opts: { deliveryKey: 'K:b1' } },
    ]);
    expect(again.map((o) => o.kind)).toEqual(['duplicate', 'duplicate']);
    expect((again[1] as { alert: { fireCount: number } }).alert.fireCount).toBe(2);
  });

  it('turns 10 concurrent copies of one delivery into one record and one reply claim', async () => {
    const { svc } = service();
    const e = alertEvent();
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => svc.record(e, { deliveryKey: 'C1:9.0', post: { channelId: 'C1', ts: '9.0' } })),
    );
    expect(outcomes.filter((o) => o.kind === 'new')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'duplicate')).toHaveLength(9);
    expect(await count(e.fingerprint)).toBe(1);

    const created = outcomes.find((o) => o.kind === 'new');
    if (created?.kind !== 'new') throw new Error('expected one new record');
    const alertId = created.alert.id;
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => svc.claimReply(alertId, `replica-${i}`)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    await svc.setReplyTs(alertId, '9.5');
    expect(await svc.claimReply(alertId, 'late')).toBe(false);
    expect(await svc.findByMessage('C1', '9.5')).toMatchObject({ id: alertId, replyTs: '9.5' });
    expect(await svc.findByMessage('C1', '9.0')).toMatchObject({ id: alertId });
    // One escalation check per alert, scheduled when its first level is due.
    const jobs = (await createScheduledJobStore(db).listPending(ESCALATION_JOB)).filter((j) => j.payload.alertId === alertId);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.dueAt).toEqual(new Date(T0.getTime() + 5 * 60_000)); // L1, five minutes after the start
  });

  it('counts 10 concurrent distinct deliveries as one record fired 10 times', async () => {
    const { svc } = service();
    const e = alertEvent();
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => svc.record(e, { deliveryKey: `C1:${i}` })));
    expect(outcomes.filter((o) => o.kind === 'new')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'refire')).toHaveLength(9);
    expect((await svc.listActive()).find((a) => a.fingerprint === e.fingerprint)!.fireCount).toBe(10);
  });

  it('lets a reply claim be retaken when its holder never posted (the replica died)', async () => {
    const { svc, clock } = service();
    const out = await svc.record(alertEvent());
    if (out.kind !== 'new') throw new Error('expected new');
    expect(await svc.claimReply(out.alert.id, 'a')).toBe(true);
    expect(await svc.claimReply(out.alert.id, 'b')).toBe(false);
    clock.advance(3 * 60_000);
    expect(await svc.claimReply(out.alert.id, 'b')).toBe(true);
  });

  it('keeps the catalog tier of a known alert whatever its label says; the label maps only unknown alerts, else P2', async () => {
    const { svc } = service();
    const sev = async (labels: Record<string, string>, catalogSeverity?: 'P0' | 'P1' | 'P2' | 'P3') => {
      const out = await svc.record(
        alertEvent({ labels, fingerprint: alertFingerprint('X', { ...labels, n: String(++n) }) }),
        catalogSeverity ? { catalogSeverity } : {},
      );
      return out.kind === 'new' ? out.alert.severity : undefined;
    };
    expect(await sev({ severity: 'warning' }, 'P1')).toBe('P1');
    expect(await sev({ severity: 'critical' }, 'P3')).toBe('P3');
    expect(await sev({ severity: 'critical' })).toBe('P0');
    expect(await sev({ severity: 'warning' })).toBe('P2');
    expect(await sev({ severity: 'info' })).toBe('P3');
    expect(await sev({ severity: 'whatever' }, 'P1')).toBe('P1');
    expect(await sev({})).toBe('P2');
  });
});

describe('acknowledgement', () => {
  it('records who and when, within or outside the SLA; a second ack says who; a resolved alert says so', async () => {
    const { svc, clock } = service();
    const out = await svc.record(alertEvent()); // P1: 15 min SLA
    if (out.kind !== 'new') throw new Error('expected new');
    clock.advance(2 * 60_000 + 30_000);
    const ack = await svc.acknowledge(out.alert.id, 'U0ONCALL01');
    expect(ack).toMatchObject({ kind: 'acked', by: 'U0ONCALL01', minutesAfterFiring: 2, withinSla: true, slaMinutes: 15 });
    clock.advance(60_000);
    expect(await svc.acknowledge(out.alert.id, 'U0OTHER')).toMatchObject({
      kind: 'already',
      by: 'U0ONCALL01',
      at: new Date(T0.getTime() + 150_000),
    });

    const late = await svc.record(alertEvent({ startsAt: new Date(clock.now().getTime() - 20 * 60_000) }));
    if (late.kind !== 'new') throw new Error('expected new');
    expect(await svc.acknowledge(late.alert.id, 'U1')).toMatchObject({ kind: 'acked', withinSla: false, minutesAfterFiring: 20 });

    const gone = await svc.record(alertEvent());
    if (gone.kind !== 'new') throw new Error('expected new');
    await svc.resolve(gone.alert.id);
    expect(await svc.acknowledge(gone.alert.id, 'U1')).toMatchObject({ kind: 'resolved' });
    await expect(svc.acknowledge(999_999, 'U1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(svc.acknowledge(999_999, 'U1')).rejects.toBeInstanceOf(BotError);
  });

  it('lets resolve win a race with ack: the final state is always resolved', async () => {
    const { svc } = service();
    const results: string[] = [];
    for (let i = 0; i < 15; i++) {
      const e = alertEvent();
      const out = await svc.record(e);
      if (out.kind !== 'new') throw new Error('expected new');
      const [ack] = await Promise.all([svc.acknowledge(out.alert.id, 'U1'), svc.record({ ...e, status: 'resolved' })]);
      results.push(ack.kind);
      const final = (await svc.get(out.alert.id))!;
      expect(final.status).toBe('resolved');
      // An ack that lost the race left no trace.
      if (ack.kind === 'resolved') expect(final.acknowledgedAt).toBeNull();
      else expect(ack.kind).toBe('acked');
    }
    expect(results.every((k) => k === 'acked' || k === 'resolved')).toBe(true);
  });

  it('an ack waiting on a resolve in progress answers "resolved" once the resolve commits', async () => {
    const { svc } = service();
    const out = await svc.record(alertEvent());
    if (out.kind !== 'new') throw new Error('expected new');
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`UPDATE alerts SET status = 'resolved', resolved_at = now() WHERE id = $1`, [out.alert.id]);
      const ack = svc.acknowledge(out.alert.id, 'U1');
      // Wait until the ack's UPDATE is blocked on the resolve's row lock (no timing guesses).
      for (;;) {
        const waiting = await db.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE alerts SET acknowledged_at%'`,
        );
        if (waiting.rowCount) break;
        await new Promise((r) => setImmediate(r));
      }
      await client.query('COMMIT');
      expect(await ack).toMatchObject({ kind: 'resolved' });
    } finally {
      client.release();
    }
  });
});
