import type { AlertEvent } from '../../../src/domain/alert-event';
import { useStores, type StoreBackend } from '../../support/store-backends';

const T0 = new Date('2026-01-11T10:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const DAY = 24 * 3600;
const incident = (createdAt: Date) => ({ title: 'Queue stuck', severity: 'P1' as const, createdBy: 'U1', createdAt, startedAt: createdAt });

export function incidentRoomStoreContract(backend: StoreBackend): void {
  describe(`IncidentRoomStore: ${backend.name}`, () => {
    const stores = useStores(backend);

    it('gives the room of an incident to the first claimant only, then remembers its channel, intro and hub message', async () => {
      const { incidents, rooms } = stores();
      await incidents.tryInsert('INC-20260111100000', incident(T0));
      const claims = await Promise.all(
        ['r1', 'r2', 'r3'].map((owner) => rooms.claim('INC-20260111100000', owner, T0, { channelId: 'C0ALERTS', threadTs: '1.1' })),
      );
      expect(claims.filter((c) => c !== null)).toHaveLength(1);
      expect(claims.find((c) => c !== null)).toMatchObject({
        incidentId: 'INC-20260111100000',
        channelId: null,
        originChannelId: 'C0ALERTS',
        originThreadTs: '1.1',
        hubTs: null,
      });
      const winner = claims.find((c) => c !== null)!.claimedBy;
      expect(await rooms.setChannel('INC-20260111100000', 'C0ROOM', 'inc-20260111-queue-stuck', 'someone-else')).toBe(false);
      expect(await rooms.setChannel('INC-20260111100000', 'C0ROOM', 'inc-20260111-queue-stuck', winner)).toBe(true);
      await rooms.setIntroMessage('INC-20260111100000', '2.1');
      await rooms.setHubMessage('INC-20260111100000', 'C0HUB', '3.1');
      expect(await rooms.findByChannel('C0ROOM')).toMatchObject({
        incidentId: 'INC-20260111100000',
        channelName: 'inc-20260111-queue-stuck',
        introTs: '2.1',
        hubChannelId: 'C0HUB',
        hubTs: '3.1',
      });
      expect(await rooms.findByChannel('C0OTHER')).toBeNull();
      expect(await rooms.get('INC-20260111100001')).toBeNull();
      await expect(rooms.claim('INC-20260111100009', 'r1', T0, {})).rejects.toThrow();
    });

    it('records an incident’s privacy once: the first decision stands, so a resumed opening cannot make a private room public', async () => {
      const { incidents, rooms } = stores();
      await incidents.tryInsert('INC-20260111100000', incident(T0));
      expect(await rooms.claim('INC-20260111100000', 'r1', T0, { channelId: 'G0SECURITY' })).toMatchObject({ privacy: null });
      expect(await rooms.recordPrivacy('INC-20260111100000', 'private')).toBe('private');
      expect(await rooms.recordPrivacy('INC-20260111100000', 'public')).toBe('private');
      expect(await rooms.get('INC-20260111100000')).toMatchObject({ privacy: 'private' });
    });

    it('hands an opening left unfinished past its lease to one replica, which then owns the channel it creates', async () => {
      const { incidents, rooms } = stores();
      for (const id of ['INC-20260111100000', 'INC-20260111100001', 'INC-20260111100002']) await incidents.tryInsert(id, incident(T0));
      await rooms.claim('INC-20260111100000', 'dead', T0, { channelId: 'C0ALERTS', threadTs: '1.1' });
      await rooms.claim('INC-20260111100001', 'busy', at(100), { channelId: 'C0ALERTS' });
      await rooms.claim('INC-20260111100002', 'done', T0, { channelId: 'C0ALERTS' });
      await rooms.markOpened('INC-20260111100002', at(5));
      expect((await rooms.get('INC-20260111100002'))!.openedAt).toEqual(at(5));

      // At T0+120 s with a 60 s lease: only the dead replica's claim is stale; two replicas race for it, one wins.
      const taken = await Promise.all(['r1', 'r2'].map((owner) => rooms.takeOverUnopened(owner, at(120), at(60), 10)));
      expect(taken.flat().map((r) => r.incidentId)).toEqual(['INC-20260111100000']);
      const taker = taken.flat()[0]!;
      expect(taker).toMatchObject({ claimedAt: at(120), openedAt: null, originThreadTs: '1.1', channelId: null });
      // The replica that stopped is no longer the owner: a channel it would still create is not recorded.
      expect(await rooms.setChannel('INC-20260111100000', 'C0LATE', 'inc-late', 'dead')).toBe(false);
      expect(await rooms.setChannel('INC-20260111100000', 'C0ROOM2', 'inc-20260111-queue-stuck-2', taker.claimedBy)).toBe(true);
      await rooms.setContacts('INC-20260111100000', [{ role: 'Database Admin', groups: ['S0DBA'], invited: ['U1'], unresolved: [] }]);
      await rooms.markOpened('INC-20260111100000', at(121));
      expect(await rooms.get('INC-20260111100000')).toMatchObject({
        channelId: 'C0ROOM2',
        openedAt: at(121),
        contacts: [{ role: 'Database Admin', groups: ['S0DBA'], invited: ['U1'], unresolved: [] }],
      });
      expect(await rooms.takeOverUnopened('r3', at(1000), at(900), 10)).toEqual([
        expect.objectContaining({ incidentId: 'INC-20260111100001', claimedBy: 'r3' }),
      ]);
    });

    it('hands a role over, saying who had it; the same holder again is unchanged; concurrent hand-overs form one chain', async () => {
      const { incidents, rooms, transaction } = stores();
      await incidents.tryInsert('INC-20260111100000', incident(T0));
      expect(await transaction((tx) => rooms.assignRole('INC-20260111100000', 'commander', 'U0ALICE', 'U0BOB', T0, tx))).toEqual({});
      expect(await transaction((tx) => rooms.assignRole('INC-20260111100000', 'commander', 'U0ALICE', 'U0BOB', at(1), tx))).toEqual({
        unchanged: true,
      });
      const results = await Promise.all(
        ['U0C', 'U0D', 'U0E'].map((u, i) => transaction((tx) => rooms.assignRole('INC-20260111100000', 'commander', u, u, at(2 + i), tx))),
      );
      const previous = results.map((r) => r.previous).sort();
      const holders = (await rooms.roles('INC-20260111100000')).filter((h) => h.role === 'commander');
      expect(holders).toHaveLength(1);
      // Each saw the one before it: the previous holders are Alice and two of the three, never the same one twice.
      expect(new Set(previous).size).toBe(3);
      expect(previous).toContain('U0ALICE');
      await transaction((tx) => rooms.assignRole('INC-20260111100000', 'scribe', 'U0ALICE', 'U0BOB', at(9), tx));
      expect((await rooms.roles('INC-20260111100000')).map((h) => h.role).sort()).toEqual(['commander', 'scribe']);
    });

    it('asks the guard under the lock with every holder; a refusal writes nothing', async () => {
      const { incidents, rooms, transaction } = stores();
      await incidents.tryInsert('INC-20260111100002', incident(T0));
      await transaction((tx) => rooms.assignRole('INC-20260111100002', 'commander', 'U0ALICE', 'U0ALICE', T0, tx));
      await transaction((tx) => rooms.assignRole('INC-20260111100002', 'scribe', 'U0BOB', 'U0ALICE', at(1), tx));
      const seen: unknown[] = [];
      const refused = await transaction((tx) =>
        rooms.assignRole('INC-20260111100002', 'commander', 'U0MALLORY', 'U0MALLORY', at(2), tx, (holders) => {
          seen.push(holders);
          return 'no';
        }),
      );
      expect(refused).toEqual({ refused: 'no' });
      expect(seen).toEqual([{ commander: 'U0ALICE', scribe: 'U0BOB' }]);
      const commander = (await rooms.roles('INC-20260111100002')).find((h) => h.role === 'commander');
      expect(commander).toMatchObject({ userId: 'U0ALICE', assignedAt: T0 });
      expect(
        await transaction((tx) => rooms.assignRole('INC-20260111100002', 'commander', 'U0CAROL', 'U0ALICE', at(3), tx, () => undefined)),
      ).toEqual({ previous: 'U0ALICE' });
    });
  });
}

export function followUpStoreContract(backend: StoreBackend): void {
  describe(`FollowUpStore: ${backend.name}`, () => {
    const stores = useStores(backend);

    it('inserts, lists by incident, owner and status (open first by due date), marks done once', async () => {
      const { incidents, followUps } = stores();
      await incidents.tryInsert('INC-20260111100000', incident(T0));
      const a = await followUps.insert({
        incidentId: 'INC-20260111100000',
        text: 'later',
        owner: 'U0ALICE',
        dueAt: at(3 * DAY),
        source: 'command',
        createdBy: 'U1',
        createdAt: T0,
      });
      const b = await followUps.insert({
        incidentId: 'INC-20260111100000',
        text: 'sooner',
        dueAt: at(DAY),
        source: 'postmortem',
        createdBy: 'U1',
        createdAt: T0,
      });
      expect(b.id).toBeGreaterThan(a.id);
      expect(a).toMatchObject({ status: 'open', owner: 'U0ALICE', doneAt: null, lastRemindedAt: null, externalUrl: null });
      expect((await followUps.list({ incidentId: 'INC-20260111100000' }, 10)).map((f) => f.text)).toEqual(['sooner', 'later']);
      expect((await followUps.list({ owner: 'U0ALICE', status: 'open' }, 10)).map((f) => f.id)).toEqual([a.id]);
      expect(await followUps.markDone(b.id, 'U2', at(10))).toMatchObject({ status: 'done', doneBy: 'U2', doneAt: at(10) });
      expect(await followUps.markDone(b.id, 'U3', at(11))).toBeNull();
      expect((await followUps.list({ status: 'open' }, 10)).map((f) => f.id)).toEqual([a.id]);
      expect(await followUps.get(9999)).toBeNull();
      const keyed = await followUps.insert({
        incidentId: 'INC-20260111100000',
        text: 'from a draft',
        dueAt: at(DAY),
        source: 'postmortem',
        sourceKey: 'abc',
        createdBy: 'U1',
        createdAt: T0,
      });
      expect(keyed.created).toBe(true);
      expect(
        await followUps.insert({
          incidentId: 'INC-20260111100000',
          text: 'from a draft',
          dueAt: at(DAY),
          source: 'postmortem',
          sourceKey: 'abc',
          createdBy: 'U2',
          createdAt: at(5),
        }),
      ).toEqual({ ...keyed, created: false });
      await expect(
        followUps.insert({ incidentId: 'INC-20260111100009', text: 'x', dueAt: T0, source: 'command', createdBy: 'U1', createdAt: T0 }),
      ).rejects.toThrow();
    });

    it('hands out an overdue follow-up once per reminder period, and an export to one claimant until it finishes or goes stale', async () => {
      const { incidents, followUps } = stores();
      await incidents.tryInsert('INC-20260111100000', incident(T0));
      const f = await followUps.insert({
        incidentId: 'INC-20260111100000',
        text: 'due',
        dueAt: at(DAY),
        source: 'command',
        createdBy: 'U1',
        createdAt: T0,
      });
      expect(await followUps.claimOverdue(at(DAY - 1), at(0), 10)).toEqual([]);
      const [first, second] = await Promise.all([
        followUps.claimOverdue(at(DAY + 1), at(1), 10),
        followUps.claimOverdue(at(DAY + 1), at(1), 10),
      ]);
      expect([...first!, ...second!].map((x) => x.id)).toEqual([f.id]);
      expect(await followUps.claimOverdue(at(DAY + 60), at(60), 10)).toEqual([]);
      expect((await followUps.claimOverdue(at(2 * DAY + 2), at(DAY + 2), 10)).map((x) => x.lastRemindedAt)).toEqual([at(2 * DAY + 2)]);

      expect(await followUps.claimExport(f.id, at(0), at(-60))).toBe(true);
      expect(await followUps.claimExport(f.id, at(1), at(-59))).toBe(false);
      expect(await followUps.claimExport(f.id, at(120), at(60))).toBe(true);
      await followUps.finishExport(f.id, null);
      expect(await followUps.claimExport(f.id, at(121), at(61))).toBe(true);
      await followUps.finishExport(f.id, 'https://github.corp.internal/acme/ops/issues/1');
      expect(await followUps.claimExport(f.id, at(500), at(400))).toBe(false);
      expect((await followUps.get(f.id))?.externalUrl).toBe('https://github.corp.internal/acme/ops/issues/1');
    });
  });
}

export function reportStoreContract(backend: StoreBackend): void {
  describe(`ReportStore: ${backend.name}`, () => {
    const stores = useStores(backend);
    const alert = (name: string, fingerprint: string, startsAt: Date): AlertEvent => ({
      name,
      status: 'firing',
      labels: { alertname: name },
      annotations: {},
      fingerprint,
      startsAt,
      source: 'alertmanager-webhook',
    });

    it('reads the incidents that began in the window, the alerts by count, the open and overdue follow-ups', async () => {
      const { incidents, alerts, followUps, reports } = stores();
      await incidents.tryInsert('INC-20260111100000', incident(T0));
      await incidents.tryInsert('INC-20260111110000', incident(at(3600)));
      await incidents.tryInsert('INC-20260101100000', incident(new Date('2026-01-01T10:00:00Z')));
      expect((await reports.incidentsSince(at(-60))).map((r) => r.id)).toEqual(['INC-20260111100000', 'INC-20260111110000']);
      expect((await reports.incidentsSince(at(-60)))[0]).toEqual({
        id: 'INC-20260111100000',
        severity: 'P1',
        status: 'open',
        startedAt: T0,
        acknowledgedAt: null,
        resolvedAt: null,
      });
      await alerts.record(alert('WorkerDown', 'fa', T0), { severity: 'P1', now: T0, post: { channelId: 'C0ALERTS', ts: '1.1' } });
      await alerts.record(alert('WorkerDown', 'fa', T0), { severity: 'P1', now: at(30) });
      await alerts.record(alert('WorkerDown', 'fb', T0), { severity: 'P1', now: T0, channelId: 'G0SECURITY' });
      await alerts.record(alert('DiskFull', 'fc', T0), { severity: 'P2', now: T0 });
      await alerts.record(alert('Old', 'fd', new Date('2026-01-01T10:00:00Z')), { severity: 'P2', now: T0 });
      const top = await reports.topAlertsSince(at(-60), 5);
      expect(top.map((t) => ({ ...t, channels: [...t.channels].sort() }))).toEqual([
        { name: 'WorkerDown', alerts: 2, fires: 3, channels: ['C0ALERTS', 'G0SECURITY'] },
        { name: 'DiskFull', alerts: 1, fires: 1, channels: [] },
      ]);
      await followUps.insert({
        incidentId: 'INC-20260111100000',
        text: 'a',
        dueAt: at(60),
        source: 'command',
        createdBy: 'U1',
        createdAt: T0,
      });
      const done = await followUps.insert({
        incidentId: 'INC-20260111100000',
        text: 'b',
        dueAt: at(60),
        source: 'command',
        createdBy: 'U1',
        createdAt: T0,
      });
      await followUps.insert({
        incidentId: 'INC-20260111100000',
        text: 'c',
        dueAt: at(DAY),
        source: 'command',
        createdBy: 'U1',
        createdAt: T0,
      });
      await followUps.markDone(done.id, 'U1', at(1));
      expect(await reports.followUpCounts(at(120))).toEqual({ open: 2, overdue: 1 });
    });
  });
}
