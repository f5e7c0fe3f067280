import type { NewRemediationRequest } from '../../../src/domain/remediation-request';
import { useStores, type StoreBackend } from '../../support/store-backends';

const T0 = new Date('2026-01-11T10:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

const request = (n: number, extra: Partial<NewRemediationRequest> = {}): NewRemediationRequest => ({
  id: `rem_contract${String(n).padStart(4, '0')}`,
  idempotencyKey: `key-${n}`,
  action: 'docker.restart',
  title: 'Restart the worker',
  risk: 'low',
  declaration: {
    action: 'docker.restart',
    title: 'Restart the worker',
    risk: 'low',
    params: { container: '{{container}}' },
    allowSelfApproval: false,
  },
  params: { container: 'worker-1' },
  labels: { container: 'worker-1' },
  limitKey: 'docker.restart:container worker-1',
  preview: { summary: 'restart container worker-1', items: ['worker-1'], subject: 'container worker-1', empty: false, data: { id: 'abc' } },
  requestedBy: 'U1',
  requestedAt: T0,
  expiresAt: at(900),
  ...extra,
});
const noLimit = async () => undefined;

export function remediationStoreContract(backend: StoreBackend): void {
  describe(`RemediationStore: ${backend.name}`, () => {
    const stores = useStores(backend);

    it('inserts a request once per idempotency key, pending, and finds the open one of a limit key', async () => {
      const { remediations } = stores();
      const first = await remediations.insert(
        request(1, { incidentId: 'INC-20260111100000', runbookId: 'disk', channelId: 'C1', threadTs: '1.1' }),
      );
      expect(first.created).toBe(true);
      expect(first.request).toMatchObject({
        id: 'rem_contract0001',
        state: 'pending',
        params: { container: 'worker-1' },
        preview: { summary: 'restart container worker-1', data: { id: 'abc' } },
        incidentId: 'INC-20260111100000',
        runbookId: 'disk',
        declarationId: null,
        targetName: null,
        approvedBy: null,
        result: null,
        error: null,
      });
      const again = await remediations.insert(request(2, { idempotencyKey: 'key-1' }));
      expect(again).toEqual({ request: first.request, created: false });
      expect(await remediations.get('rem_contract0002')).toBeNull();
      expect((await remediations.findOpen('docker.restart:container worker-1', at(10)))?.id).toBe('rem_contract0001');
      expect(await remediations.findOpen('docker.restart:container worker-1', at(901))).toBeNull();
      await expect(remediations.insert(request(3, { id: 'not-an-id' }))).rejects.toThrow();
    });

    it('approves a pending request once; an expired, decided or limited one is not approved', async () => {
      const { remediations } = stores();
      await remediations.insert(request(1));
      await remediations.insert(request(2, { limitKey: 'other' }));
      await remediations.insert(request(3, { limitKey: 'third' }));
      const limited = await remediations.approve('rem_contract0001', 'U2', at(1), async (r, countRuns) => {
        expect(r.id).toBe('rem_contract0001');
        expect(await countRuns(T0)).toEqual({ runsInWindow: 0, lastRunAt: null });
        return { refusal: 'cooldown', retryAfterSeconds: 30 };
      });
      expect(limited).toMatchObject({ kind: 'limited', refusal: 'cooldown', retryAfterSeconds: 30, request: { state: 'pending' } });
      expect(await remediations.approve('rem_contract0001', 'U2', at(2), noLimit)).toMatchObject({
        kind: 'approved',
        request: { state: 'approved', approvedBy: 'U2', approvedAt: at(2) },
      });
      expect(await remediations.approve('rem_contract0001', 'U3', at(3), noLimit)).toMatchObject({
        kind: 'not_pending',
        request: { approvedBy: 'U2' },
      });
      expect(await remediations.approve('rem_contract0002', 'U2', at(900), noLimit)).toMatchObject({
        kind: 'not_pending',
        request: { state: 'pending' },
      });
      expect(await remediations.approve('rem_contract0009', 'U2', at(1), noLimit)).toEqual({ kind: 'not_pending', request: null });
      expect(await remediations.deny('rem_contract0003', 'U2', at(4), 'not now')).toMatchObject({
        state: 'denied',
        deniedBy: 'U2',
        denyReason: 'not now',
      });
      expect(await remediations.approve('rem_contract0003', 'U2', at(5), noLimit)).toMatchObject({
        kind: 'not_pending',
        request: { state: 'denied' },
      });
      expect(await remediations.deny('rem_contract0003', 'U2', at(6))).toBeNull();
    });

    it('approves exactly one of many simultaneous approvals, and counts approved runs per limit key', async () => {
      const { remediations } = stores();
      await remediations.insert(request(1));
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) => remediations.approve('rem_contract0001', `U${i + 2}`, at(1), noLimit)),
      );
      expect(outcomes.filter((o) => o.kind === 'approved')).toHaveLength(1);
      await remediations.insert(request(2, { requestedAt: at(10) }));
      await remediations.approve('rem_contract0002', 'U2', at(20), noLimit);
      expect(await remediations.runCounts('docker.restart:container worker-1', at(5))).toEqual({ runsInWindow: 1, lastRunAt: at(20) });
      expect(await remediations.runCounts('docker.restart:container worker-1', T0)).toEqual({ runsInWindow: 2, lastRunAt: at(20) });
      // A second request of the same limit key while one is approved is told apart by findOpen.
      expect((await remediations.findOpen('docker.restart:container worker-1', at(30)))?.id).toBe('rem_contract0002');
    });

    it('runs an approved request under a lease its runner renews, and finishes it once', async () => {
      const { remediations } = stores();
      await remediations.insert(request(1));
      expect(await remediations.start('rem_contract0001', 'replica-a', at(1), at(31))).toBeNull();
      await remediations.approve('rem_contract0001', 'U2', at(1), noLimit);
      expect(await remediations.start('rem_contract0001', 'replica-a', at(2), at(32))).toMatchObject({
        state: 'running',
        runner: 'replica-a',
        startedAt: at(2),
        leaseUntil: at(32),
      });
      expect(await remediations.start('rem_contract0001', 'replica-b', at(2), at(32))).toBeNull();
      expect(await remediations.renewLease('rem_contract0001', 'replica-b', at(60))).toBe(false);
      expect(await remediations.renewLease('rem_contract0001', 'replica-a', at(60))).toBe(true);
      expect((await remediations.get('rem_contract0001'))?.leaseUntil).toEqual(at(60));
      const done = await remediations.finish('rem_contract0001', 'succeeded', at(40), {
        result: { summary: 'restarted 1 of 1', items: ['worker-1'] },
        verification: { status: 'passed', summary: 'running again' },
      });
      expect(done).toMatchObject({
        state: 'succeeded',
        finishedAt: at(40),
        result: { summary: 'restarted 1 of 1' },
        verification: { status: 'passed' },
        error: null,
      });
      expect(await remediations.finish('rem_contract0001', 'failed', at(41), { error: 'again' })).toBeNull();
      expect(await remediations.renewLease('rem_contract0001', 'replica-a', at(90))).toBe(false);
    });

    it('expires what waited too long, and interrupts runs whose lease ran out and approvals never started', async () => {
      const { remediations } = stores();
      await remediations.insert(request(1, { expiresAt: at(60) }));
      await remediations.insert(request(2, { expiresAt: at(30), limitKey: 'b' }));
      await remediations.insert(request(3, { expiresAt: at(600), limitKey: 'c' }));
      await remediations.insert(request(4, { limitKey: 'd' }));
      await remediations.insert(request(5, { limitKey: 'e' }));
      expect(await remediations.expire('rem_contract0001', at(59))).toBeNull();
      expect(await remediations.expire('rem_contract0001', at(60))).toMatchObject({ state: 'expired', finishedAt: at(60) });
      expect((await remediations.expireDue(at(100))).map((r) => [r.id, r.state])).toEqual([['rem_contract0002', 'expired']]);
      expect(await remediations.expireDue(at(100))).toEqual([]);

      await remediations.approve('rem_contract0004', 'U2', at(1), noLimit);
      await remediations.start('rem_contract0004', 'replica-a', at(2), at(32));
      await remediations.approve('rem_contract0005', 'U2', at(3), noLimit);
      expect(await remediations.interruptStale(at(20), at(0))).toEqual([]);
      const interrupted = await remediations.interruptStale(at(40), at(10));
      expect(interrupted.map((r) => r.id).sort()).toEqual(['rem_contract0004', 'rem_contract0005']);
      for (const r of interrupted)
        expect(r).toMatchObject({ state: 'interrupted', finishedAt: at(40), error: expect.stringMatching(/it was not (re-)?run/) });
      expect((await remediations.get('rem_contract0003'))?.state).toBe('pending');
    });

    it("remembers where its approval was asked, and lists an incident's requests in the order they were made", async () => {
      const { remediations } = stores();
      await remediations.insert(request(2, { incidentId: 'INC-20260111100000', requestedAt: at(10), limitKey: 'b' }));
      await remediations.insert(request(1, { incidentId: 'INC-20260111100000', requestedAt: at(10) }));
      await remediations.insert(request(3, { incidentId: 'INC-20260111100000', requestedAt: T0, limitKey: 'c' }));
      await remediations.insert(request(4, { incidentId: 'INC-20260111100001', limitKey: 'd' }));
      expect(await remediations.setApprovalMessage('rem_contract0001', 'C7', '70.1')).toMatchObject({
        channelId: 'C7',
        approvalMessageTs: '70.1',
      });
      expect(await remediations.setApprovalMessage('rem_contract0009', 'C7', '70.1')).toBeNull();
      expect((await remediations.listByIncident('INC-20260111100000')).map((r) => r.id)).toEqual([
        'rem_contract0003',
        'rem_contract0001',
        'rem_contract0002',
      ]);
    });

    it("links an alert's requests that belong to no incident yet to the incident the alert joins, once", async () => {
      const { remediations } = stores();
      await remediations.insert(request(2, { alertId: 7, requestedAt: at(10), limitKey: 'b' }));
      await remediations.insert(request(1, { alertId: 7, requestedAt: at(5) }));
      await remediations.insert(request(3, { alertId: 7, incidentId: 'INC-20260111100001', limitKey: 'c' }));
      await remediations.insert(request(4, { alertId: 8, limitKey: 'd' }));
      expect((await remediations.get('rem_contract0001'))?.alertId).toBe(7);
      const linked = await remediations.linkAlertRequests(7, 'INC-20260111100000');
      expect(linked.map((r) => [r.id, r.incidentId, r.alertId])).toEqual([
        ['rem_contract0001', 'INC-20260111100000', 7],
        ['rem_contract0002', 'INC-20260111100000', 7],
      ]);
      expect(await remediations.linkAlertRequests(7, 'INC-20260111100002')).toEqual([]);
      expect((await remediations.get('rem_contract0003'))?.incidentId).toBe('INC-20260111100001');
      expect((await remediations.get('rem_contract0004'))?.incidentId).toBeNull();
    });
  });
}
