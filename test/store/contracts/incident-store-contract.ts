import { useStores, type StoreBackend } from '../../support/store-backends';

const T0 = new Date('2026-01-11T10:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const fields = (title: string, severity: 'P0' | 'P1' | 'P2' | 'P3' = 'P2', createdAt = T0) => ({
  title,
  severity,
  createdBy: 'U1',
  createdAt,
  startedAt: createdAt,
});

export function incidentStoreContract(backend: StoreBackend): void {
  describe(`IncidentStore: ${backend.name}`, () => {
    const stores = useStores(backend);

    it('inserts an incident under a free INC ID only, and reads it back', async () => {
      const { incidents } = stores();
      const inc = await incidents.tryInsert('INC-20260111100000', {
        ...fields('db down', 'P1'),
        impact: 'checkout fails',
        channelId: 'C1',
        threadTs: '1.1',
        nextUpdateDueAt: at(1800),
      });
      expect(inc).toMatchObject({
        id: 'INC-20260111100000',
        title: 'db down',
        severity: 'P1',
        status: 'open',
        impact: 'checkout fails',
        channelId: 'C1',
        threadTs: '1.1',
        createdBy: 'U1',
        createdAt: T0,
        startedAt: T0,
        nextUpdateDueAt: at(1800),
        acknowledgedAt: null,
        resolvedAt: null,
        rootCause: null,
        lastUpdateAt: null,
      });
      expect(await incidents.tryInsert('INC-20260111100000', fields('again'))).toBeNull();
      expect(await incidents.get('INC-20260111100000')).toEqual(inc);
      expect(await incidents.get('INC-20260111100009')).toBeNull();
      await expect(incidents.tryInsert('INC-2026', fields('bad id'))).rejects.toThrow();
    });

    it('tells which INC IDs of a range are taken, bounds included', async () => {
      const { incidents } = stores();
      for (const id of ['INC-20260111100000', 'INC-20260111100001', 'INC-20260111100003', 'INC-20260111100010'])
        await incidents.tryInsert(id, fields(id));
      expect([...(await incidents.takenIdsBetween('INC-20260111100001', 'INC-20260111100003'))].sort()).toEqual([
        'INC-20260111100001',
        'INC-20260111100003',
      ]);
    });

    it('applies a conditional update only from the listed states, setting what the patch names (null included)', async () => {
      const { incidents } = stores();
      await incidents.tryInsert('INC-20260111100000', { ...fields('t', 'P1'), nextUpdateDueAt: at(60) });
      expect(await incidents.update('INC-20260111100000', ['acknowledged'], { status: 'mitigated' }, at(1))).toBeNull();
      const acked = await incidents.update(
        'INC-20260111100000',
        ['open'],
        { status: 'acknowledged', acknowledgedBy: 'U2', acknowledgedAt: at(2), summary: undefined },
        at(2),
      );
      expect(acked).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'U2', acknowledgedAt: at(2), summary: null, title: 't' });
      const resolved = await incidents.update(
        'INC-20260111100000',
        ['open', 'acknowledged', 'mitigated'],
        { status: 'resolved', resolvedBy: 'U3', resolvedAt: at(3), rootCause: 'disk', nextUpdateDueAt: null },
        at(3),
      );
      expect(resolved).toMatchObject({ status: 'resolved', resolvedBy: 'U3', rootCause: 'disk', nextUpdateDueAt: null });
      expect(await incidents.update('INC-20260111100009', ['open'], { status: 'resolved' }, at(4))).toBeNull();
    });

    it('finds the newest incident of a thread, lists the active ones by severity then age, and counts them', async () => {
      const { incidents } = stores();
      await incidents.tryInsert('INC-20260111100000', { ...fields('old', 'P2'), channelId: 'C1', threadTs: '5.5' });
      await incidents.tryInsert('INC-20260111100100', { ...fields('new', 'P2', at(100)), channelId: 'C1', threadTs: '5.5' });
      await incidents.tryInsert('INC-20260111100200', fields('urgent', 'P0', at(200)));
      await incidents.tryInsert('INC-20260111100300', fields('done', 'P0', at(300)));
      await incidents.update('INC-20260111100300', ['open'], { status: 'resolved' }, at(301));
      expect((await incidents.findByThread('C1', '5.5'))?.id).toBe('INC-20260111100100');
      expect(await incidents.findByThread('C1', '5.6')).toBeNull();
      expect((await incidents.listActive()).map((i) => i.id)).toEqual(['INC-20260111100200', 'INC-20260111100000', 'INC-20260111100100']);
      expect(await incidents.countActiveBySeverity()).toEqual({ P0: 1, P1: 0, P2: 2, P3: 0 });
    });

    it('leaves nothing behind when the transaction it was written in fails', async () => {
      const { incidents, timeline, transaction } = stores();
      const failed = transaction(async (tx) => {
        await incidents.tryInsert('INC-20260111100000', fields('rolled back'), tx);
        await timeline.append(
          { incidentId: 'INC-20260111100000', at: T0, actor: 'U1', kind: 'opened', text: 'opened', data: { severity: 'P2' } },
          tx,
        );
        throw new Error('the second write failed');
      });
      await expect(failed).rejects.toThrow('the second write failed');
      expect(await incidents.get('INC-20260111100000')).toBeNull();
      // Committed work is there, and a transaction sees its own writes.
      const seen = await transaction(async (tx) => {
        await incidents.tryInsert('INC-20260111100000', fields('kept'), tx);
        return incidents.get('INC-20260111100000', tx);
      });
      expect(seen?.title).toBe('kept');
      expect((await incidents.get('INC-20260111100000'))?.title).toBe('kept');
    });

    it('rolls back a transaction opened inside another on its own, keeping the outer one', async () => {
      const { incidents, transaction } = stores();
      await transaction(async (tx) => {
        await incidents.tryInsert('INC-20260111100000', fields('outer'), tx);
        await expect(
          transaction(async (inner) => {
            await incidents.tryInsert('INC-20260111100001', fields('inner'), inner);
            throw new Error('inner failed');
          }),
        ).rejects.toThrow('inner failed');
        expect(await incidents.get('INC-20260111100001', tx)).toBeNull();
      });
      expect((await incidents.get('INC-20260111100000'))?.title).toBe('outer');
      expect(await incidents.get('INC-20260111100001')).toBeNull();
    });
  });
}

export function timelineStoreContract(backend: StoreBackend): void {
  describe(`TimelineStore: ${backend.name}`, () => {
    const stores = useStores(backend);

    it("keeps an incident's events with their typed data, oldest first, and only that incident's", async () => {
      const { incidents, timeline } = stores();
      await incidents.tryInsert('INC-20260111100000', fields('a'));
      await incidents.tryInsert('INC-20260111100001', fields('b'));
      const later = await timeline.append({
        incidentId: 'INC-20260111100000',
        at: at(10),
        actor: 'U2',
        kind: 'severity_changed',
        text: 'P2 → P1',
        data: { from: 'P2', to: 'P1' },
      });
      const first = await timeline.append({
        incidentId: 'INC-20260111100000',
        at: T0,
        actor: 'U1',
        kind: 'opened',
        text: 'opened',
        data: { severity: 'P2' },
      });
      const tie = await timeline.append({
        incidentId: 'INC-20260111100000',
        at: at(10),
        actor: 'bot',
        kind: 'remediation_requested',
        text: 'restart',
        data: { requestId: 'rem_0123456789', action: 'docker.restart' },
      });
      await timeline.append({
        incidentId: 'INC-20260111100001',
        at: T0,
        actor: 'U1',
        kind: 'opened',
        text: 'opened',
        data: { severity: 'P2' },
      });
      expect(later).toMatchObject({ incidentId: 'INC-20260111100000', kind: 'severity_changed', data: { from: 'P2', to: 'P1' } });
      expect(typeof later.id).toBe('number');
      const list = await timeline.list('INC-20260111100000');
      expect(list.map((e) => e.id)).toEqual([first.id, later.id, tie.id]);
      expect(list[2]).toEqual(tie);
      expect(await timeline.list('INC-20260111100009')).toEqual([]);
    });

    it('refuses an event for an incident that does not exist', async () => {
      const { timeline } = stores();
      await expect(
        timeline.append({
          incidentId: 'INC-20260111100009',
          at: T0,
          actor: 'U1',
          kind: 'opened',
          text: 'opened',
          data: { severity: 'P2' },
        }),
      ).rejects.toThrow();
    });
  });
}
