import type { Database } from '../../src/store/database';
import { createProcessedEventStore } from '../../src/store/processed-event-store';
import { createMigratedDatabase } from '../support/migrated-database';

let db: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ db, drop } = await createMigratedDatabase('processed_event_store'));
});
afterAll(async () => drop());

describe('processed event store', () => {
  it('records each id once when many requests arrive together, the same id among them', async () => {
    const store = createProcessedEventStore(db);
    const ids = Array.from({ length: 60 }, (_, i) => `sig:batch-${i % 30}`);
    const firsts = await Promise.all(ids.map((id) => store.markProcessed(id, 'slack-signature')));
    for (let i = 0; i < 30; i++) {
      expect([firsts[i], firsts[i + 30]]).toEqual([true, false]);
    }
    const again = await Promise.all([
      store.markProcessed('sig:batch-0', 'slack-signature'),
      store.markProcessed('sig:new', 'slack-signature'),
    ]);
    expect(again).toEqual([false, true]);
    const rows = await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM processed_events WHERE event_id LIKE 'sig:batch-%' OR event_id = 'sig:new'",
    );
    expect(Number(rows.rows[0]!.n)).toBe(31);
  });

  it('records many ids in one write: true for each recorded now, the first of the same id twice only', async () => {
    const store = createProcessedEventStore(db);
    await store.markProcessed('sig:many-before', 'slack-signature');
    const got = await store.markAllProcessed(['sig:many-1', 'sig:many-before', 'sig:many-2', 'sig:many-1'], 'slack-signature');
    expect(got).toEqual([true, false, true, false]);
    expect(await store.markAllProcessed([], 'slack-signature')).toEqual([]);
    expect(await store.markProcessed('sig:many-2', 'slack-signature')).toBe(false);
  });

  it('refuses the callers of a failed insert and records the requests that waited behind it', async () => {
    const store = createProcessedEventStore(db);
    await db.query('ALTER TABLE processed_events ADD CONSTRAINT short_ids CHECK (length(event_id) < 40)');
    let results: PromiseSettledResult<boolean>[];
    try {
      // The first goes at once (and fails the constraint); the second waits for it, then goes in the next batch.
      results = await Promise.allSettled([
        store.markProcessed(`sig:${'x'.repeat(50)}`, 'slack-signature'),
        store.markProcessed('sig:waited', 'slack-signature'),
      ]);
    } finally {
      await db.query('ALTER TABLE processed_events DROP CONSTRAINT short_ids');
    }
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect((results[1] as PromiseFulfilledResult<boolean>).value).toBe(true);
    await expect(store.markProcessed('sig:waited', 'slack-signature')).resolves.toBe(false);
  });
});
