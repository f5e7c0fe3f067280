import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openDatabase, type Database } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';
import { createPostmortemStore } from '../../src/store/postmortem-store';
import { createMigratedDatabase } from '../support/migrated-database';

const silent = pino({ level: 'silent' });

async function exercise(db: Database): Promise<void> {
  const store = createPostmortemStore(db);
  const at = new Date('2026-01-11T10:00:00Z');
  await db.query(
    `INSERT INTO incidents (id, title, severity, created_by, created_at, started_at, channel_id, updated_at)
     VALUES ('INC-20260111100000', 'one', 'P1', 'U1', $1, $1, 'C1', $1), ('INC-20260111100001', 'two', 'P2', 'U1', $2, $2, 'C1', $2)`,
    [at, new Date(at.getTime() + 1000)],
  );
  expect(await store.latest('INC-20260111100000')).toBeNull();
  const saved = await Promise.all(
    [1, 2, 3].map(() => store.saveNext({ incidentId: 'INC-20260111100000', createdBy: 'U1', createdAt: at, render: (v) => `draft ${v}` })),
  );
  expect(saved.map((d) => [d.version, d.markdown]).sort()).toEqual([
    [1, 'draft 1'],
    [2, 'draft 2'],
    [3, 'draft 3'],
  ]);
  expect(await store.latest('INC-20260111100000')).toMatchObject({ version: 3, markdown: 'draft 3', createdBy: 'U1', createdAt: at });
  expect(
    (await store.saveNext({ incidentId: 'INC-20260111100001', createdBy: 'U2', createdAt: at, render: (v) => `other ${v}` })).version,
  ).toBe(1);
  expect((await store.recentIncidentsInChannel('C1', 5)).map((i) => i.id)).toEqual(['INC-20260111100001', 'INC-20260111100000']);
  await expect(store.saveNext({ incidentId: 'INC-20990101000000', createdBy: 'U1', createdAt: at, render: () => 'x' })).rejects.toThrow(
    /foreign key/,
  );
}

describe('postmortem store', () => {
  it('numbers versions per incident on PostgreSQL, concurrent saves included', async () => {
    const { db, drop } = await createMigratedDatabase('postmortem_store');
    try {
      await exercise(db);
    } finally {
      await drop();
    }
  });

  it('does the same on the embedded database (PGlite)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pm-store-'));
    const db = await openDatabase({ dataDir: dir, logger: silent });
    try {
      await migrate(db, silent);
      await exercise(db);
    } finally {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
