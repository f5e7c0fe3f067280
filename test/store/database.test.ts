import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { openDatabase, type Database } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';
import { MIGRATIONS } from '../../src/store/migrations';
import { createAuditStore } from '../../src/store/audit-store';
import { createProcessedEventStore } from '../../src/store/processed-event-store';
import { createTestDatabase } from '../support/services';

const silent = pino({ level: 'silent' });

/** The same checks run against the real server and the embedded PGlite: one schema, two engines. */
function storeContract(name: string, open: () => Promise<{ db: Database; done(): Promise<void> }>) {
  describe(name, () => {
    let db: Database;
    let done: () => Promise<void>;
    beforeAll(async () => {
      ({ db, done } = await open());
    }, 60_000);
    afterAll(async () => done());

    it('applies every migration once and is idempotent', async () => {
      const first = await migrate(db, silent);
      expect(first).toEqual(MIGRATIONS.map((m) => m.id));
      expect(await migrate(db, silent)).toEqual([]);
      const rows = await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
      expect(rows.rows.map((r) => r.id)).toEqual(MIGRATIONS.map((m) => m.id));
    });

    it('records a delivery once, however often it is retried', async () => {
      const store = createProcessedEventStore(db);
      const results = await Promise.all(Array.from({ length: 5 }, () => store.markProcessed('Ev0DUP', 'slack-event')));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('keeps the audit log append-only', async () => {
      const audit = createAuditStore(db);
      const entry = await audit.append({
        actor: 'U1',
        action: 'remediation.requested',
        subject: 'req-1',
        data: { action: 'docker.restart' },
      });
      expect(entry.id).toBeGreaterThan(0);
      await expect(db.query('UPDATE audit_log SET actor = $1', ['U2'])).rejects.toThrow(/append-only/);
      await expect(db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
      const all = await audit.list({ subject: 'req-1' });
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ actor: 'U1', action: 'remediation.requested', data: { action: 'docker.restart' } });
    });

    it('enforces the INC ID format', async () => {
      await expect(
        db.query(`INSERT INTO incidents (id, title, severity, created_by, created_at) VALUES ('INC-1', 't', 'P1', 'U1', now())`),
      ).rejects.toThrow(/incidents_id_check/);
    });
  });
}

storeContract('real PostgreSQL', async () => {
  const t = await createTestDatabase('store');
  const db = await openDatabase({ databaseUrl: t.url, dataDir: '/nonexistent', logger: silent });
  return { db, done: async () => (await db.close(), await t.drop()) };
});

storeContract('embedded PGlite', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-pglite-'));
  const db = await openDatabase({ dataDir: dir, logger: silent });
  return { db, done: async () => (await db.close(), await fs.rm(dir, { recursive: true, force: true })) };
});

describe('the embedded database under a burst', () => {
  it('takes 3,000 writes issued at once in turn and refuses none', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-pglite-'));
    const db = await openDatabase({ dataDir: dir, logger: silent });
    try {
      await migrate(db, silent);
      const events = createProcessedEventStore(db);
      const results = await Promise.allSettled(Array.from({ length: 3000 }, (_, i) => events.markProcessed(`Ev0BURST${i}`, 'slack-event')));
      expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      expect(
        (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM processed_events WHERE event_id LIKE 'Ev0BURST%'`)).rows[0]!.n,
      ).toBe(3000);
    } finally {
      await db.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('migrations under concurrency', () => {
  it('two replicas migrating the same database at once both succeed, applying each migration once', async () => {
    const t = await createTestDatabase('migrate_race');
    const a = await openDatabase({ databaseUrl: t.url, dataDir: '/nonexistent', logger: silent });
    const b = await openDatabase({ databaseUrl: t.url, dataDir: '/nonexistent', logger: silent });
    try {
      const [ra, rb] = await Promise.all([migrate(a, silent), migrate(b, silent)]);
      expect([...ra, ...rb].sort()).toEqual(MIGRATIONS.map((m) => m.id).sort());
    } finally {
      await a.close();
      await b.close();
      await t.drop();
    }
  });

  it('keeps the embedded database across restarts', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-pglite-'));
    try {
      const first = await openDatabase({ dataDir: dir, logger: silent });
      await migrate(first, silent);
      await createProcessedEventStore(first).markProcessed('EvKEEP', 'slack-event');
      await first.close();
      const second = await openDatabase({ dataDir: dir, logger: silent });
      expect(await migrate(second, silent)).toEqual([]);
      expect(await createProcessedEventStore(second).markProcessed('EvKEEP', 'slack-event')).toBe(false);
      await second.close();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
