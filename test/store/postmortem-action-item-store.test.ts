import { createManualClock } from '../../src/clock';
import { createIncidentService } from '../../src/incidents/incident-service';
import type { Database } from '../../src/store/database';
import { createIncidentStore } from '../../src/store/incident-store';
import { createPostmortemActionItemStore } from '../../src/store/postmortem-action-item-store';
import { createTimelineStore } from '../../src/store/timeline-store';
import { createMigratedDatabase } from '../support/migrated-database';

let db: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ db, drop } = await createMigratedDatabase('pm_action_items'));
}, 60_000);
afterAll(async () => drop());

describe('post-mortem action items', () => {
  it('keeps the decision across drafts, refreshes the text, and refuses an unknown item', async () => {
    const clock = createManualClock('2026-03-10T10:12:10Z');
    const incidents = createIncidentService({
      transaction: (fn) => db.transaction(fn),
      incidents: createIncidentStore(db),
      timeline: createTimelineStore(db),
      clock,
    });
    const inc = await incidents.open({ title: 'Pool exhausted', severity: 'P1', actor: 'U0PRIYA' });
    const store = createPostmortemActionItemStore(db);
    const first = await store.saveCandidates(inc.id, 1, [
      {
        key: '0123456789abcdef',
        text: 'Rewrite the 0042 backfill — CC-1418',
        owner: 'marc',
        link: 'https://acme.slack.com/archives/C1/p1',
      },
      {
        key: 'fedcba9876543210',
        text: 'Set idle_in_transaction_session_timeout',
        owner: 'tom',
        link: 'https://acme.slack.com/archives/C1/p2',
      },
    ]);
    expect(first.map((i) => [i.key, i.firstVersion, i.decision])).toEqual([
      ['0123456789abcdef', 1, null],
      ['fedcba9876543210', 1, null],
    ]);
    const at = new Date('2026-03-10T11:30:00Z');
    expect(await store.decide(inc.id, 'fedcba9876543210', 'dropped', 'U0SOFIA', at)).toMatchObject({
      decision: 'dropped',
      decidedBy: 'U0SOFIA',
      decidedAt: at,
    });
    expect(await store.decide(inc.id, '0123456789abcdef', 'confirmed', 'U0SOFIA', at)).toMatchObject({ decision: 'confirmed' });
    expect(await store.decide(inc.id, '00000000000000aa', 'confirmed', 'U0SOFIA', at)).toBeNull();

    // The next draft finds the same commitment with a corrected text: the decision stays, the first version too.
    await store.saveCandidates(inc.id, 2, [
      {
        key: '0123456789abcdef',
        text: 'Rewrite the 0042 backfill to commit every 1k rows — CC-1418',
        owner: 'marc',
        link: 'https://acme.slack.com/archives/C1/p1',
      },
    ]);
    expect((await store.list(inc.id)).map((i) => [i.text, i.firstVersion, i.decision])).toEqual([
      ['Rewrite the 0042 backfill to commit every 1k rows — CC-1418', 1, 'confirmed'],
      ['Set idle_in_transaction_session_timeout', 1, 'dropped'],
    ]);
    await expect(
      store.saveCandidates(inc.id, 3, [{ key: "x'; DROP TABLE incidents; --", text: 't', owner: null, link: 'l' }]),
    ).rejects.toThrow(/item_key/);
  });
});
