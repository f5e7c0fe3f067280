import { useStores, type StoreBackend } from '../../support/store-backends';

const T0 = new Date('2026-01-11T10:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

export function auditStoreContract(backend: StoreBackend): void {
  describe(`AuditStore: ${backend.name}`, () => {
    const stores = useStores(backend);

    it('appends entries (stamped now unless told) and lists them in order, by incident or subject', async () => {
      const { audit } = stores();
      const before = Date.now();
      const first = await audit.append({
        actor: 'U1',
        action: 'remediation.requested',
        subject: 'rem_a',
        incidentId: 'INC-20260111100000',
        data: { risk: 'low' },
      });
      expect(first).toMatchObject({
        actor: 'U1',
        action: 'remediation.requested',
        subject: 'rem_a',
        incidentId: 'INC-20260111100000',
        data: { risk: 'low' },
      });
      expect(first.at.getTime()).toBeGreaterThanOrEqual(before - 5_000);
      expect(first.at.getTime()).toBeLessThanOrEqual(Date.now() + 5_000);
      const second = await audit.append({ actor: 'U2', action: 'remediation.approved', subject: 'rem_a', at: T0 });
      expect(second).toMatchObject({ at: T0, incidentId: null, data: {} });
      await audit.append({ actor: 'U3', action: 'remediation.requested', subject: 'rem_b', incidentId: 'INC-20260111100000' });
      expect((await audit.list({ subject: 'rem_a' })).map((e) => e.action)).toEqual(['remediation.requested', 'remediation.approved']);
      expect((await audit.list({ incidentId: 'INC-20260111100000' })).map((e) => e.subject)).toEqual(['rem_a', 'rem_b']);
      expect(await audit.list({ limit: 1 })).toEqual([first]);
    });
  });
}

export function postmortemStoreContract(backend: StoreBackend): void {
  describe(`PostmortemStore: ${backend.name}`, () => {
    const stores = useStores(backend);
    const incident = (id: string, createdAt: Date, channelId?: string) => ({
      title: `t ${id}`,
      severity: 'P2' as const,
      createdBy: 'U1',
      createdAt,
      startedAt: createdAt,
      channelId,
      threadTs: channelId && '9.9',
    });

    it('numbers the drafts of an incident 1, 2, … (concurrent saves included) and reads the latest', async () => {
      const { incidents, postmortems } = stores();
      await incidents.tryInsert('INC-20260111100000', incident('INC-20260111100000', T0));
      await incidents.tryInsert('INC-20260111100001', incident('INC-20260111100001', T0));
      expect(await postmortems.latest('INC-20260111100000')).toBeNull();
      const saves = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          postmortems.saveNext({ incidentId: 'INC-20260111100000', createdBy: `U${i}`, createdAt: at(i), render: (v) => `# draft v${v}` }),
        ),
      );
      expect(saves.map((d) => d.version).sort()).toEqual([1, 2, 3, 4, 5]);
      for (const d of saves) expect(d.markdown).toBe(`# draft v${d.version}`);
      expect(
        await postmortems.saveNext({ incidentId: 'INC-20260111100001', createdBy: 'U1', createdAt: T0, render: (v) => `other v${v}` }),
      ).toMatchObject({ version: 1 });
      expect(await postmortems.latest('INC-20260111100000')).toMatchObject({ version: 5, markdown: '# draft v5' });
      await expect(
        postmortems.saveNext({ incidentId: 'INC-20260111100009', createdBy: 'U1', createdAt: T0, render: () => 'x' }),
      ).rejects.toThrow();
    });

    it("lists a channel's incidents, newest first, up to the limit", async () => {
      const { incidents, postmortems } = stores();
      await incidents.tryInsert('INC-20260111100000', incident('INC-20260111100000', T0, 'C1'));
      await incidents.tryInsert('INC-20260111100100', incident('INC-20260111100100', at(100), 'C1'));
      await incidents.tryInsert('INC-20260111100200', incident('INC-20260111100200', at(200), 'C2'));
      await incidents.tryInsert('INC-20260111100300', incident('INC-20260111100300', at(300), 'C1'));
      const recent = await postmortems.recentIncidentsInChannel('C1', 2);
      expect(recent).toEqual([
        { id: 'INC-20260111100300', title: 't INC-20260111100300', severity: 'P2', status: 'open', createdAt: at(300), threadTs: '9.9' },
        { id: 'INC-20260111100100', title: 't INC-20260111100100', severity: 'P2', status: 'open', createdAt: at(100), threadTs: '9.9' },
      ]);
    });
  });
}

export function processedEventStoreContract(backend: StoreBackend): void {
  describe(`ProcessedEventStore: ${backend.name}`, () => {
    const stores = useStores(backend);

    it('records each id once when many requests arrive together, the same id among them', async () => {
      const { processedEvents } = stores();
      const ids = Array.from({ length: 60 }, (_, i) => `sig:batch-${i % 30}`);
      const firsts = await Promise.all(ids.map((id) => processedEvents.markProcessed(id, 'slack-signature')));
      for (let i = 0; i < 30; i++) expect([firsts[i], firsts[i + 30]]).toEqual([true, false]);
      expect(
        await Promise.all([
          processedEvents.markProcessed('sig:batch-0', 'slack-signature'),
          processedEvents.markProcessed('sig:new', 'slack-signature'),
        ]),
      ).toEqual([false, true]);
    });

    it('records a batch decided elsewhere in one call, leaving the ids recorded before as they were', async () => {
      const { processedEvents } = stores();
      expect(await processedEvents.markProcessed('sig:before', 'slack-signature')).toBe(true);
      await processedEvents.recordAll(['sig:behind-1', 'sig:before', 'sig:behind-2'], 'slack-signature');
      await processedEvents.recordAll([], 'slack-signature');
      expect(
        await Promise.all(
          ['sig:behind-1', 'sig:before', 'sig:behind-2', 'sig:other'].map((id) => processedEvents.markProcessed(id, 'slack-signature')),
        ),
      ).toEqual([false, false, false, true]);
    });

    it('forgets deliveries received before the cutoff, and only those', async () => {
      const { processedEvents } = stores();
      await processedEvents.markProcessed('Ev1', 'events-api');
      expect(await processedEvents.pruneOlderThan(new Date(Date.now() - 3_600_000))).toBe(0);
      expect(await processedEvents.markProcessed('Ev1', 'events-api')).toBe(false);
      expect(await processedEvents.pruneOlderThan(new Date(Date.now() + 60_000))).toBe(1);
      expect(await processedEvents.markProcessed('Ev1', 'events-api')).toBe(true);
    });
  });
}
