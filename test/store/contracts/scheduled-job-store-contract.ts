import { useStores, type StoreBackend } from '../../support/store-backends';

const T0 = new Date('2026-01-11T10:00:00Z');
const at = (min: number) => new Date(T0.getTime() + min * 60_000);
const lease = { limit: 100, leaseMs: 5 * 60_000 };

export function scheduledJobStoreContract(backend: StoreBackend): void {
  describe(`ScheduledJobStore: ${backend.name}`, () => {
    const stores = useStores(backend);

    it('keeps one pending job per dedup key, and allows a new one once it is done', async () => {
      const { jobs } = stores();
      expect(await jobs.schedule({ kind: 'k', dueAt: at(1), payload: { a: 1 }, dedupKey: 'x' })).toBe(true);
      expect(await jobs.schedule({ kind: 'k', dueAt: at(2), payload: { a: 2 }, dedupKey: 'x' })).toBe(false);
      const [job] = await jobs.claimDue('w', at(1), lease);
      expect(job).toMatchObject({ kind: 'k', dueAt: at(1), payload: { a: 1 }, dedupKey: 'x', attempts: 1, claimedBy: 'w' });
      expect(await jobs.complete(job!.id, 'w', at(1), [{ kind: 'k', dueAt: at(5), payload: { a: 3 }, dedupKey: 'x' }])).toBe(true);
      expect((await jobs.listPending()).map((j) => j.payload)).toEqual([{ a: 3 }]);
    });

    it('hands out due jobs only, of the asked kinds, oldest first, up to the limit', async () => {
      const { jobs } = stores();
      await jobs.schedule({ kind: 'reminder', dueAt: at(3), payload: { n: 3 } });
      await jobs.schedule({ kind: 'reminder', dueAt: at(1), payload: { n: 1 } });
      await jobs.schedule({ kind: 'escalation', dueAt: at(2), payload: { n: 2 } });
      await jobs.schedule({ kind: 'reminder', dueAt: at(9), payload: { n: 9 } });
      expect((await jobs.claimDue('w', at(5), { ...lease, kinds: ['reminder'], limit: 1 })).map((j) => j.payload)).toEqual([{ n: 1 }]);
      expect((await jobs.claimDue('w', at(5), lease)).map((j) => j.payload)).toEqual([{ n: 2 }, { n: 3 }]);
      expect(await jobs.claimDue('v', at(5), lease)).toEqual([]);
      expect((await jobs.listPending('reminder')).map((j) => j.payload)).toEqual([{ n: 1 }, { n: 3 }, { n: 9 }]);
    });

    it('lets another worker take a job whose claim outlived its lease; only the claimant completes it', async () => {
      const { jobs } = stores();
      await jobs.schedule({ kind: 'k', dueAt: at(0), payload: {} });
      const [job] = await jobs.claimDue('dead', at(1), lease);
      expect(await jobs.claimDue('alive', at(2), lease)).toEqual([]);
      const [taken] = await jobs.claimDue('alive', at(7), lease);
      expect(taken).toMatchObject({ id: job!.id, claimedBy: 'alive', attempts: 2 });
      expect(await jobs.complete(job!.id, 'dead', at(8))).toBe(false);
      await jobs.fail(job!.id, 'dead', 'too late', at(9), 5);
      expect(await jobs.complete(job!.id, 'alive', at(8))).toBe(true);
      expect(await jobs.complete(job!.id, 'alive', at(8))).toBe(false);
      expect(await jobs.listPending()).toEqual([]);
    });

    it('gives a failed job back for a retry at the given time and gives up after maxAttempts', async () => {
      const { jobs } = stores();
      await jobs.schedule({ kind: 'k', dueAt: at(0), payload: {} });
      for (let attempt = 1; attempt <= 3; attempt++) {
        const claimed = await jobs.claimDue('w', at(attempt), lease);
        expect(claimed).toEqual([expect.objectContaining({ attempts: attempt })]);
        await jobs.fail(claimed[0]!.id, 'w', `boom ${attempt}`, at(attempt + 0.5), 3);
        if (attempt < 3) expect(await jobs.listPending()).toEqual([expect.objectContaining({ dueAt: at(attempt + 0.5), claimedBy: null })]);
      }
      expect(await jobs.listPending()).toEqual([]);
      expect(await jobs.claimDue('w', at(60), lease)).toEqual([]);
    });

    it('a recurring run: one pending row per name, one worker wins it, the next run is due when finished says', async () => {
      const { jobs } = stores();
      const [a, b] = await Promise.all([
        jobs.claimRecurring('sweep', 'worker-a', at(0), 60_000),
        jobs.claimRecurring('sweep', 'worker-b', at(0), 60_000),
      ]);
      const won = [a, b].filter((id) => id !== undefined);
      expect(won).toHaveLength(1);
      const winner = a !== undefined ? 'worker-a' : 'worker-b';
      const loser = a !== undefined ? 'worker-b' : 'worker-a';
      expect(await jobs.finishRecurring(won[0]!, 'sweep', loser, at(0), at(0.5))).toBe(false);
      expect(await jobs.finishRecurring(won[0]!, 'sweep', winner, at(0), at(0.5))).toBe(true);
      const pending = await jobs.listPending('recurring:sweep');
      expect(pending.map((j) => [j.dueAt, j.claimedBy])).toEqual([[at(0.5), null]]);
      expect(await jobs.claimRecurring('sweep', 'worker-b', at(0.4), 60_000)).toBeUndefined();
      expect(await jobs.claimRecurring('sweep', 'worker-b', at(0.5), 60_000)).toBe(pending[0]!.id);
      // other kinds never see recurring runs
      expect(await jobs.claimDue('w', at(60), { ...lease, kinds: ['incident_status_reminder'] })).toEqual([]);
    });

    it('a recurring run whose worker died is taken over once its lease has lapsed', async () => {
      const { jobs } = stores();
      const id = await jobs.claimRecurring('repair', 'dead-worker', at(0), 60_000);
      expect(id).toBeDefined();
      expect(await jobs.claimRecurring('repair', 'live-worker', at(59 / 60), 60_000)).toBeUndefined();
      expect(await jobs.claimRecurring('repair', 'live-worker', at(61 / 60), 60_000)).toBe(id);
    });

    it('schedules nothing from a transaction that fails', async () => {
      const { jobs, transaction } = stores();
      await expect(
        transaction(async (tx) => {
          await jobs.schedule({ kind: 'k', dueAt: at(0), payload: {}, dedupKey: 'once' }, tx);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(await jobs.listPending()).toEqual([]);
      expect(await jobs.schedule({ kind: 'k', dueAt: at(0), payload: {}, dedupKey: 'once' })).toBe(true);
    });
  });
}
