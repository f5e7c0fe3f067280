import { useStores, type StoreBackend } from '../../support/store-backends';

const delivery = (n: number, key = 'C1') => ({ eventId: `Ev${n}`, orderKey: key, body: { event_id: `Ev${n}`, n } });
const LEASE = 60_000;

export function inboxStoreContract(backend: StoreBackend): void {
  describe(`InboxStore: ${backend.name}`, () => {
    const stores = useStores(backend);

    it('keeps one row per event id, whether it arrives once, again, or in a replayed batch', async () => {
      const { inbox } = stores();
      expect(await inbox.add(delivery(1))).toBe(true);
      expect(await inbox.add(delivery(1))).toBe(false);
      expect(await inbox.addMany([delivery(1), delivery(2)])).toBe(1);
      expect(await inbox.addMany([])).toBe(0);
      expect(await inbox.pendingCount()).toBe(2);
    });

    it('gives a key to one replica at a time, in arrival order, and never the same row to two', async () => {
      const { inbox } = stores();
      for (let i = 0; i < 6; i++) await inbox.add(delivery(i, i % 2 ? 'C2' : 'C1'));
      const a = await inbox.claim('A', 1, LEASE);
      expect(a).toEqual([{ eventId: 'Ev0', orderKey: 'C1', body: { event_id: 'Ev0', n: 0 }, seq: expect.any(Number), attempts: 1 }]);
      // C1 is A's while A holds any of it: B gets C2 only, in order.
      expect((await inbox.claim('B', 10, LEASE)).map((d) => d.eventId)).toEqual(['Ev1', 'Ev3', 'Ev5']);
      expect((await inbox.claim('A', 10, LEASE)).map((d) => d.eventId)).toEqual(['Ev2', 'Ev4']);
      expect(await inbox.claim('C', 10, LEASE)).toEqual([]);
      // Only the holder completes a row: of these two, A holds Ev0 only.
      await inbox.complete(['Ev0', 'Ev1'], 'A');
      expect(await inbox.pendingCount()).toBe(5);
      await inbox.complete(['Ev1', 'Ev3'], 'B');
      expect(await inbox.pendingCount()).toBe(3);
    });

    it('keeps later rows of a key back while an earlier one waits for its retry', async () => {
      const { inbox } = stores();
      await inbox.add(delivery(1));
      await inbox.add(delivery(2));
      await inbox.claim('A', 1, LEASE);
      await inbox.release(['Ev1'], 'A', 60_000);
      expect(await inbox.claim('B', 10, LEASE)).toEqual([]);
    });

    it('serializes concurrent claims so that no row goes to two replicas', async () => {
      const { inbox } = stores();
      for (let i = 0; i < 40; i++) await inbox.add(delivery(i, `C${i % 8}`));
      const claims = await Promise.all(['A', 'B', 'C', 'D'].map((w) => inbox.claim(w, 6, LEASE)));
      const ids = claims.flat().map((d) => d.eventId);
      expect(new Set(ids).size).toBe(ids.length);
      const owners = new Map<string, Set<number>>();
      claims.forEach((rows, w) => rows.forEach((d) => owners.set(d.orderKey, (owners.get(d.orderKey) ?? new Set()).add(w))));
      for (const holders of owners.values()) expect(holders.size).toBe(1);
    });

    it('lets another replica take over rows whose lease ran out, and rows handed back at once', async () => {
      const { inbox } = stores();
      await inbox.add(delivery(1, 'C1'));
      await inbox.add(delivery(2, 'C2'));
      // A lease of zero has run out by the next statement.
      const held = await inbox.claim('dead', 10, 0);
      expect(held).toHaveLength(2);
      await new Promise((r) => setTimeout(r, 5));
      const taken = await inbox.claim('alive', 10, LEASE);
      expect(taken.map((d) => [d.eventId, d.attempts])).toEqual([
        ['Ev1', 2],
        ['Ev2', 2],
      ]);
      await inbox.release(['Ev2'], 'alive');
      // A release by a replica that no longer holds the row changes nothing.
      await inbox.release(['Ev1'], 'dead');
      expect((await inbox.claim('third', 10, LEASE)).map((d) => d.eventId)).toEqual(['Ev2']);
    });

    it('renews only the leases the replica is still working on: a row it lost track of runs out and is claimed again', async () => {
      const { inbox } = stores();
      await inbox.add(delivery(1, 'C1'));
      await inbox.add(delivery(2, 'C2'));
      // Claimed with a lease that has run out by the next statement; the heartbeat decides which rows stay held.
      expect(await inbox.claim('A', 10, 0)).toHaveLength(2);
      await new Promise((r) => setTimeout(r, 5));
      // Ev2's outcome could not be recorded (an outage): the replica no longer works on it.
      await inbox.heartbeat('A', LEASE, ['Ev1']);
      expect((await inbox.claim('B', 10, LEASE)).map((d) => d.eventId)).toEqual(['Ev2']);
    });

    it("hands a stopped replica's rows to another at once, and keeps a failed delivery out of the queue", async () => {
      const { inbox } = stores();
      await inbox.add(delivery(1, 'C1'));
      await inbox.add(delivery(2, 'C2'));
      await inbox.heartbeat('A', LEASE, []);
      expect(await inbox.claim('A', 10, LEASE)).toHaveLength(2);
      expect(await inbox.claim('B', 10, LEASE)).toEqual([]);
      await inbox.retire('A');
      expect((await inbox.claim('B', 10, LEASE)).map((d) => d.eventId)).toEqual(['Ev1', 'Ev2']);
      await inbox.fail('Ev1', 'A', 'no longer A');
      await inbox.fail('Ev1', 'B', 'handler keeps throwing');
      await inbox.complete(['Ev2'], 'B');
      expect(await inbox.pendingCount()).toBe(0);
      expect(await inbox.claim('C', 10, LEASE)).toEqual([]);
    });

    it('prunes finished rows done before the cutoff, never pending ones', async () => {
      const { inbox } = stores();
      await inbox.add(delivery(1, 'C1'));
      await inbox.add(delivery(2, 'C2'));
      await inbox.claim('A', 1, LEASE);
      await inbox.complete(['Ev1'], 'A');
      expect(await inbox.pruneDoneBefore(new Date(Date.now() - 3_600_000))).toBe(0);
      expect(await inbox.pruneDoneBefore(new Date(Date.now() + 60_000))).toBe(1);
      expect(await inbox.pendingCount()).toBe(1);
      // A pruned event id may be recorded again (Slack stopped retrying long before).
      expect(await inbox.add(delivery(1, 'C1'))).toBe(true);
    });
  });
}
