import type { AlertEvent } from '../../../src/domain/alert-event';
import { useStores, type StoreBackend } from '../../support/store-backends';

const T0 = new Date('2026-01-11T10:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const firing = (fingerprint: string, extra: Partial<AlertEvent> = {}): AlertEvent => ({
  name: 'DiskFull',
  status: 'firing',
  labels: { alertname: 'DiskFull', instance: 'db-1' },
  annotations: { summary: 'disk 91%' },
  fingerprint,
  startsAt: T0,
  source: 'alertmanager-webhook',
  ...extra,
});
const resolved = (fingerprint: string, endsAt?: Date): AlertEvent => ({ ...firing(fingerprint), status: 'resolved', endsAt });

export function alertStoreContract(backend: StoreBackend): void {
  describe(`AlertStore: ${backend.name}`, () => {
    const stores = useStores(backend);

    it('groups a fingerprint into one record per firing episode: new, re-fire, resolve, then a new episode', async () => {
      const { alerts } = stores();
      const first = await alerts.record(firing('fp1'), { severity: 'P2', now: T0, post: { channelId: 'C1', ts: '100.1' } });
      expect(first).toMatchObject({
        kind: 'new',
        alert: {
          fingerprint: 'fp1',
          name: 'DiskFull',
          severity: 'P2',
          status: 'firing',
          fireCount: 1,
          firstSeenAt: T0,
          lastSeenAt: T0,
          channelId: 'C1',
          messageTs: '100.1',
        },
      });
      if (first.kind !== 'new') throw new Error('expected new');
      expect(first.alert).toMatchObject({
        escalationLevel: 0,
        incidentId: null,
        replyTs: null,
        acknowledgedAt: null,
        resolvedAt: null,
        generatorURL: null,
      });

      const again = await alerts.record(firing('fp1', { annotations: { summary: 'disk 95%' } }), { severity: 'P2', now: at(60) });
      expect(again).toMatchObject({
        kind: 'refire',
        count: 2,
        since: T0,
        alert: { id: first.alert.id, fireCount: 2, lastSeenAt: at(60), annotations: { summary: 'disk 95%' } },
      });

      const gone = await alerts.record(resolved('fp1', at(90)), { severity: 'P2', now: at(120) });
      expect(gone).toMatchObject({
        kind: 'resolved',
        alert: { id: first.alert.id, status: 'resolved', resolvedAt: at(120), endsAt: at(90) },
      });
      expect(await alerts.record(resolved('fp1'), { severity: 'P2', now: at(130) })).toMatchObject({ kind: 'ignored' });
      expect(await alerts.findActiveByFingerprint('fp1')).toBeNull();

      const next = await alerts.record(firing('fp1'), { severity: 'P1', now: at(200) });
      expect(next.kind).toBe('new');
      if (next.kind === 'new') expect(next.alert.id).not.toBe(first.alert.id);
      expect((await alerts.findActiveByFingerprint('fp1'))?.severity).toBe('P1');
    });

    it('treats a delivery seen before as a duplicate, not a re-fire, until its key is pruned', async () => {
      const { alerts } = stores();
      const opts = { severity: 'P2' as const, now: T0, deliveryKey: 'C1:100.1' };
      expect((await alerts.record(firing('fp2'), opts)).kind).toBe('new');
      expect(await alerts.record(firing('fp2'), { ...opts, now: at(5) })).toMatchObject({ kind: 'duplicate', alert: { fireCount: 1 } });
      expect(await alerts.record(firing('never-seen'), opts)).toMatchObject({ kind: 'ignored' });
      expect(await alerts.pruneDeliveries(at(1))).toBe(1);
      expect(await alerts.record(firing('fp2'), { ...opts, now: at(10) })).toMatchObject({ kind: 'refire', count: 2 });
    });

    it('runs onNew in the recording transaction: when it fails, neither the alert, its delivery nor what onNew wrote remain', async () => {
      const { alerts, jobs } = stores();
      const failing = alerts.record(firing('fp3'), {
        severity: 'P1',
        now: T0,
        deliveryKey: 'wh:1',
        onNew: async (tx, alert) => {
          await jobs.schedule({ kind: 'alert_escalation', dueAt: at(300), payload: { alertId: alert.id } }, tx);
          throw new Error('escalation could not be scheduled');
        },
      });
      await expect(failing).rejects.toThrow('escalation could not be scheduled');
      expect(await alerts.findActiveByFingerprint('fp3')).toBeNull();
      expect(await jobs.listPending()).toEqual([]);

      const ok = await alerts.record(firing('fp3'), {
        severity: 'P1',
        now: T0,
        deliveryKey: 'wh:1',
        onNew: async (tx, alert) => {
          await jobs.schedule({ kind: 'alert_escalation', dueAt: at(300), payload: { alertId: alert.id } }, tx);
        },
      });
      expect(ok.kind).toBe('new');
      if (ok.kind === 'new') expect((await jobs.listPending()).map((j) => j.payload)).toEqual([{ alertId: ok.alert.id }]);
    });

    it('acknowledges a firing alert once, and says who did, or that it is resolved or unknown', async () => {
      const { alerts } = stores();
      const rec = await alerts.record(firing('fp4'), { severity: 'P2', now: T0 });
      if (rec.kind !== 'new') throw new Error('expected new');
      const id = rec.alert.id;
      expect(await alerts.acknowledge(id, 'U1', at(1))).toMatchObject({
        kind: 'acked',
        alert: { acknowledgedBy: 'U1', acknowledgedAt: at(1) },
      });
      expect(await alerts.acknowledge(id, 'U2', at(2))).toMatchObject({ kind: 'already', by: 'U1', at: at(1) });
      expect(await alerts.acknowledge(id + 1000, 'U2', at(2))).toEqual({ kind: 'not_found' });
      expect(await alerts.resolve(id, at(3))).toMatchObject({ status: 'resolved', resolvedAt: at(3), endsAt: at(3) });
      expect(await alerts.resolve(id, at(4))).toBeNull();
      const other = await alerts.record(firing('fp5'), { severity: 'P2', now: T0 });
      if (other.kind !== 'new') throw new Error('expected new');
      await alerts.resolve(other.alert.id, at(3));
      expect(await alerts.acknowledge(other.alert.id, 'U1', at(5))).toMatchObject({ kind: 'resolved' });
    });

    it('finds an alert by its post or its reply, and by id', async () => {
      const { alerts } = stores();
      const rec = await alerts.record(firing('fp6'), { severity: 'P3', now: T0 });
      if (rec.kind !== 'new') throw new Error('expected new');
      await alerts.setPost(rec.alert.id, 'C9', '200.1');
      await alerts.setReplyTs(rec.alert.id, '200.2');
      expect((await alerts.findByMessage('C9', '200.1'))?.id).toBe(rec.alert.id);
      expect((await alerts.findByMessage('C9', '200.2'))?.replyTs).toBe('200.2');
      expect(await alerts.findByMessage('C8', '200.1')).toBeNull();
      expect((await alerts.get(rec.alert.id))?.messageTs).toBe('200.1');
      expect(await alerts.get(rec.alert.id + 1000)).toBeNull();
    });

    it('gives the reply to one claimant; a stale claim, or one whose replica stopped, may be retaken', async () => {
      const { alerts, inbox } = stores();
      const rec = await alerts.record(firing('fp7'), { severity: 'P2', now: T0, post: { channelId: 'C1', ts: '300.1' } });
      if (rec.kind !== 'new') throw new Error('expected new');
      const id = rec.alert.id;
      const STALE = 60_000;
      await inbox.heartbeat('replica-a', 60_000, []);
      expect(await alerts.claimReply(id, 'replica-a', T0, STALE)).toBe(true);
      expect(await alerts.claimReply(id, 'replica-a', at(1), STALE)).toBe(true);
      expect(await alerts.claimReply(id, 'replica-b', at(2), STALE)).toBe(false);
      expect(await alerts.listStaleReplyClaims(at(2), STALE, 10)).toEqual([]);
      expect((await alerts.listStaleReplyClaims(at(120), STALE, 10)).map((a) => a.id)).toEqual([id]);
      expect(await alerts.claimReply(id, 'replica-b', at(120), STALE)).toBe(true);
      // replica-b stops: its claim may be taken at once.
      await inbox.heartbeat('replica-b', 60_000, []);
      await inbox.retire('replica-b');
      expect(await alerts.claimReply(id, 'replica-c', at(121), STALE)).toBe(true);
      await alerts.setReplyTs(id, '300.2');
      expect(await alerts.claimReply(id, 'replica-d', at(10_000), STALE)).toBe(false);
      expect(await alerts.listStaleReplyClaims(at(10_000), STALE, 10)).toEqual([]);
    });

    it('hands a claim whose claimant could not post to the repair sweep at once, keeping the claimant named', async () => {
      const { alerts, inbox } = stores();
      const rec = await alerts.record(firing('fp7g'), { severity: 'P2', now: T0, post: { channelId: 'C1', ts: '310.1' } });
      if (rec.kind !== 'new') throw new Error('expected new');
      const id = rec.alert.id;
      const STALE = 60_000;
      await inbox.heartbeat('replica-a', 60_000, []);
      expect(await alerts.claimReply(id, 'replica-a', T0, STALE)).toBe(true);
      // Only the claimant gives its claim up.
      await alerts.giveUpReplyClaim(id, 'replica-b');
      expect(await alerts.listStaleReplyClaims(at(1), STALE, 10)).toEqual([]);
      await alerts.giveUpReplyClaim(id, 'replica-a');
      expect((await alerts.listStaleReplyClaims(at(1), STALE, 10)).map((a) => [a.id, a.replyClaimedBy])).toEqual([[id, 'replica-a']]);
      expect(await alerts.claimReply(id, 'replica-b', at(2), STALE)).toBe(true);
      expect(await alerts.listStaleReplyClaims(at(3), STALE, 10)).toEqual([]);

      const group = await alerts.openGroup('C1', 'am:GiveUp', '310.1');
      await alerts.joinGroup(group.id, [id]);
      expect(await alerts.claimGroupMessage(group.id, 'replica-a', T0, STALE)).toBe(true);
      await alerts.giveUpGroupClaim(group.id, 'replica-b');
      expect(await alerts.listStaleGroupClaims(at(1), STALE, 10)).toEqual([]);
      await alerts.giveUpGroupClaim(group.id, 'replica-a');
      expect((await alerts.listStaleGroupClaims(at(1), STALE, 10)).map((g) => [g.id, g.messageClaimedBy])).toEqual([
        [group.id, 'replica-a'],
      ]);
      expect(await alerts.claimGroupMessage(group.id, 'replica-b', at(2), STALE)).toBe(true);
      expect(await alerts.claimGroupMessage(group.id, 'replica-a', at(3), STALE)).toBe(false);
    });

    it('links an alert to an incident (once, when asked), keeps the highest escalation level, lists what fires', async () => {
      const { alerts, incidents } = stores();
      await incidents.tryInsert('INC-20260111100000', { title: 'disk', severity: 'P2', createdBy: 'U1', createdAt: T0, startedAt: T0 });
      await incidents.tryInsert('INC-20260111100001', { title: 'other', severity: 'P2', createdBy: 'U1', createdAt: T0, startedAt: T0 });
      const a = await alerts.record(firing('fp8'), { severity: 'P2', now: T0 });
      const b = await alerts.record(firing('fp9', { name: 'CPUHigh' }), { severity: 'P2', now: at(1) });
      const c = await alerts.record(firing('fp10'), { severity: 'P2', now: at(2) });
      if (a.kind !== 'new' || b.kind !== 'new' || c.kind !== 'new') throw new Error('expected new');
      expect(await alerts.linkIncident(a.alert.id, 'INC-20260111100000', undefined, { onlyIfUnlinked: true })).toMatchObject({
        incidentId: 'INC-20260111100000',
      });
      expect(await alerts.linkIncident(a.alert.id, 'INC-20260111100001', undefined, { onlyIfUnlinked: true })).toBeNull();
      await alerts.linkIncident(b.alert.id, 'INC-20260111100000');
      await alerts.linkIncident(c.alert.id, 'INC-20260111100000');
      expect((await alerts.namesByIncident('INC-20260111100000')).sort()).toEqual(['CPUHigh', 'DiskFull']);
      await expect(alerts.linkIncident(a.alert.id, 'INC-20260111100009')).rejects.toThrow();

      await alerts.setEscalationLevel(a.alert.id, 2);
      await alerts.setEscalationLevel(a.alert.id, 1);
      expect((await alerts.get(a.alert.id))?.escalationLevel).toBe(2);

      await alerts.resolve(b.alert.id, at(3));
      expect((await alerts.listActive()).map((x) => x.id)).toEqual([c.alert.id, a.alert.id]);
      expect((await alerts.listActive(1)).map((x) => x.id)).toEqual([c.alert.id]);
    });

    it('records a delivery of many alerts as one by one would, in order', async () => {
      const { alerts } = stores();
      await alerts.record(firing('fpm2'), { severity: 'P2', now: T0, deliveryKey: 'm:2:0' });
      const out = await alerts.recordMany([
        { event: firing('fpm1', { labelsFrom: 'title' }), opts: { severity: 'P2', now: at(10), deliveryKey: 'm:1:1', channelId: 'C7' } },
        { event: firing('fpm2'), opts: { severity: 'P2', now: at(10), deliveryKey: 'm:2:1' } },
        { event: resolved('fpm3'), opts: { severity: 'P2', now: at(10), deliveryKey: 'm:3:1' } },
        { event: firing('fpm2'), opts: { severity: 'P2', now: at(10), deliveryKey: 'm:2:0' } },
      ]);
      expect(out.map((o) => o.kind)).toEqual(['new', 'refire', 'ignored', 'duplicate']);
      expect(out[0]).toMatchObject({ alert: { labelsFrom: 'title', channelId: 'C7', messageTs: null, groupId: null } });
      expect(out[1]).toMatchObject({ count: 2, alert: { lastSeenAt: at(10) } });
      expect((await alerts.listActiveByName('DiskFull', 10)).map((a) => a.fingerprint).sort()).toEqual(['fpm1', 'fpm2']);
    });

    it('keeps one open group per channel and key: one message claim, members get its ts, closed once all resolved', async () => {
      const { alerts } = stores();
      const a = await alerts.record(firing('fpg1'), { severity: 'P2', now: T0, post: { channelId: 'C8', ts: '800.1' } });
      const b = await alerts.record(firing('fpg2'), { severity: 'P2', now: T0, post: { channelId: 'C8', ts: '800.1' } });
      if (a.kind !== 'new' || b.kind !== 'new') throw new Error('expected new');
      const group = await alerts.openGroup('C8', 'am:DiskFull', '800.1');
      expect(await alerts.openGroup('C8', 'am:DiskFull', '800.1')).toMatchObject({ id: group.id });
      expect(await alerts.findOpenGroup('C8', 'am:DiskFull')).toMatchObject({ id: group.id, threadTs: '800.1', messageTs: null });
      await alerts.joinGroup(group.id, [a.alert.id, b.alert.id]);
      expect(await alerts.claimGroupMessage(group.id, 'replica-a', T0, 60_000)).toBe(true);
      expect(await alerts.claimGroupMessage(group.id, 'replica-b', at(1), 60_000)).toBe(false);
      expect((await alerts.listStaleGroupClaims(at(120), 60_000, 10)).map((g) => g.id)).toEqual([group.id]);
      await alerts.setGroupMessage(group.id, '800.2');
      expect(await alerts.getGroup(group.id)).toMatchObject({ messageTs: '800.2' });
      expect((await alerts.groupMembers(group.id, 10)).map((m) => [m.id, m.replyTs, m.groupId])).toEqual([
        [a.alert.id, '800.2', group.id],
        [b.alert.id, '800.2', group.id],
      ]);
      await alerts.resolve(a.alert.id, at(5));
      expect((await alerts.groupMembers(group.id, 10)).map((m) => m.id)).toEqual([b.alert.id, a.alert.id]);
      await alerts.resolve(b.alert.id, at(6));
      const next = await alerts.openGroup('C8', 'am:DiskFull', '900.1');
      expect(next.id).not.toBe(group.id);
      expect(next).toMatchObject({ threadTs: '900.1', messageTs: null });
    });
  });
}
