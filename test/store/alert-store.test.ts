import type { Database } from '../../src/store/database';
import { createAlertStore } from '../../src/store/alert-store';
import { createIncidentStore } from '../../src/store/incident-store';
import { createMigratedDatabase } from '../support/migrated-database';

let db: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ db, drop } = await createMigratedDatabase('alert_store'));
}, 60_000);
afterAll(async () => drop());

const T0 = new Date('2026-01-11T10:00:00Z');

describe('alerts table (migration 0002)', () => {
  it('refuses a second active record for a fingerprint at the database level, allows one per resolved episode', async () => {
    const insert = (status: string) =>
      db.query(
        `INSERT INTO alerts (fingerprint, name, source, severity, status, starts_at, first_seen_at, last_seen_at, resolved_at)
         VALUES ('fp-db', 'X', 'test', 'P1', $1, now(), now(), now(), CASE WHEN $1 = 'resolved' THEN now() END)`,
        [status],
      );
    await insert('firing');
    await expect(insert('firing')).rejects.toThrow(/alerts_active_fingerprint/);
    await insert('resolved');
    await insert('resolved');
    await expect(
      db.query(
        `INSERT INTO alerts (fingerprint, name, source, severity, starts_at, first_seen_at, last_seen_at) VALUES ('f', 'X', 't', 'P9', now(), now(), now())`,
      ),
    ).rejects.toThrow(/severity_check/);
  });

  it('stores where the alert was posted and replied, and finds it by either', async () => {
    const store = createAlertStore(db);
    const out = await store.record(
      {
        name: 'Y',
        status: 'firing',
        labels: { alertname: 'Y' },
        annotations: {},
        fingerprint: 'fp-post',
        startsAt: T0,
        source: 'alertmanager-slack',
      },
      { severity: 'P2', now: T0, post: { channelId: 'C9', ts: '100.1' } },
    );
    if (out.kind !== 'new') throw new Error('expected new');
    await store.setReplyTs(out.alert.id, '100.2');
    expect((await store.findByMessage('C9', '100.1'))?.id).toBe(out.alert.id);
    expect((await store.findByMessage('C9', '100.2'))?.replyTs).toBe('100.2');
    expect(await store.findByMessage('C8', '100.1')).toBeNull();
    expect((await store.findActiveByFingerprint('fp-post'))?.id).toBe(out.alert.id);
  });
});

describe('incidents table (migration 0002)', () => {
  it('reads started_at as created_at for rows written without it', async () => {
    await db.query(
      `INSERT INTO incidents (id, title, severity, created_by, created_at) VALUES ('INC-20260111100000', 't', 'P2', 'U1', $1)`,
      [T0],
    );
    expect((await createIncidentStore(db).get('INC-20260111100000'))?.startedAt).toEqual(T0);
  });

  it('applies a conditional update only from the listed states', async () => {
    const store = createIncidentStore(db);
    await store.tryInsert('INC-20260111100001', { title: 't', severity: 'P1', createdBy: 'U1', createdAt: T0, startedAt: T0 });
    expect(
      await store.tryInsert('INC-20260111100001', { title: 'dup', severity: 'P1', createdBy: 'U1', createdAt: T0, startedAt: T0 }),
    ).toBeNull();
    expect(await store.update('INC-20260111100001', ['acknowledged'], { status: 'mitigated' }, T0)).toBeNull();
    expect(
      await store.update('INC-20260111100001', ['open'], { status: 'acknowledged', acknowledgedBy: 'U2', acknowledgedAt: T0 }, T0),
    ).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'U2',
    });
    expect(await store.countActiveBySeverity()).toMatchObject({ P1: 1 });
  });
});
