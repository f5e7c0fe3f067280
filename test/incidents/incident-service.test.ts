import { alertFingerprint } from '../../src/alerts/alert-event';
import { createAlertService } from '../../src/alerts/alert-service';
import { createManualClock } from '../../src/clock';
import { createIncidentService, incidentIdAt, STATUS_REMINDER_JOB, type IncidentService } from '../../src/incidents/incident-service';
import { SERVICE_STORES, type Stores } from '../support/store-backends';

let stores: Stores;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ stores, close } = await SERVICE_STORES.open('incident_service'));
}, 60_000);
afterAll(async () => close());

const MIN = 60_000;
// Each test starts on its own hour so that INC IDs never collide between tests.
let hour = 0;
function setup(): { svc: IncidentService; clock: ReturnType<typeof createManualClock>; t0: Date } {
  const t0 = new Date(Date.UTC(2026, 0, 11, ++hour, 2, 0));
  const clock = createManualClock(t0);
  const svc = createIncidentService({
    transaction: stores.transaction,
    incidents: stores.incidents,
    timeline: stores.timeline,
    alerts: stores.alerts,
    jobs: stores.jobs,
    clock,
  });
  return { svc, clock, t0 };
}

describe('INC IDs', () => {
  it('formats the opening second in UTC', () => {
    expect(incidentIdAt(new Date('2026-01-11T10:02:03.999Z'))).toBe('INC-20260111100203');
  });
  // Concurrent opens, acks and the like: test/store/concurrency.test.ts, on both databases.
});

describe('life cycle', () => {
  it('opens, acknowledges, mitigates and resolves, with a timeline event for each', async () => {
    const { svc, clock, t0 } = setup();
    const inc = await svc.open({
      title: 'Workers stuck',
      severity: 'P1',
      actor: 'U0OPENER',
      impact: 'Tasks are not processed',
      channelId: 'C1',
    });
    expect(inc).toMatchObject({
      id: incidentIdAt(t0),
      status: 'open',
      severity: 'P1',
      startedAt: t0,
      nextUpdateDueAt: new Date(t0.getTime() + 30 * MIN),
    });
    await svc.setThread(inc.id, 'C1', '1700000000.000100');
    expect((await svc.findByThread('C1', '1700000000.000100'))?.id).toBe(inc.id);

    clock.advance(4 * MIN);
    const ack = await svc.acknowledge(inc.id.toLowerCase(), 'U0ONCALL');
    expect(ack).toMatchObject({
      incident: { status: 'acknowledged', acknowledgedBy: 'U0ONCALL' },
      minutesAfterStart: 4,
      withinSla: true,
      slaMinutes: 15,
    });
    await expect(svc.acknowledge(inc.id, 'U0OTHER')).rejects.toMatchObject({
      code: 'CONFLICT',
      userMessage: `${inc.id} was already acknowledged by <@U0ONCALL> at ${new Date(t0.getTime() + 4 * MIN).toISOString().slice(11, 16)} UTC.`,
    });

    clock.advance(6 * MIN);
    expect(await svc.mitigate(inc.id, 'U0ONCALL', 'restarted worker-7')).toMatchObject({ status: 'mitigated', mitigatedBy: 'U0ONCALL' });
    await expect(svc.acknowledge(inc.id, 'U1')).rejects.toMatchObject({
      code: 'CONFLICT',
      userMessage: expect.stringContaining('already acknowledged'),
    });

    clock.advance(20 * MIN);
    const done = await svc.resolve(inc.id, { actor: 'U0ONCALL', summary: 'Worker restarted', rootCause: 'Redis stream stuck' });
    expect(done).toMatchObject({
      incident: { status: 'resolved', rootCause: 'Redis stream stuck', resolution: 'Worker restarted', nextUpdateDueAt: null },
      durationMinutes: 30,
      downtimeMinutes: 10,
      offerPostmortem: true, // P1
    });

    for (const attempt of [
      () => svc.acknowledge(inc.id, 'U1'),
      () => svc.mitigate(inc.id, 'U1'),
      () => svc.resolve(inc.id, { actor: 'U1' }),
      () => svc.postStatusUpdate(inc.id, 'still fine', 'U1'),
      () => svc.changeSeverity(inc.id, 'P0', 'U1'),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        code: 'CONFLICT',
        userMessage: expect.stringMatching(new RegExp(`^${inc.id} is already resolved`)),
      });
    }

    const timeline = await svc.timeline(inc.id);
    expect(timeline.map((e) => [e.kind, e.actor])).toEqual([
      ['opened', 'U0OPENER'],
      ['acknowledged', 'U0ONCALL'],
      ['mitigated', 'U0ONCALL'],
      ['resolved', 'U0ONCALL'],
    ]);
    expect(timeline[2]!.text).toBe('Mitigated: restarted worker-7');
    expect(timeline.map((e) => e.at.getTime() - t0.getTime())).toEqual([0, 4 * MIN, 10 * MIN, 30 * MIN]);
  });

  it('offers a post-mortem for P0/P1 or downtime over 15 minutes only', async () => {
    const { svc, clock } = setup();
    const quick = await svc.open({ title: 'blip', severity: 'P3', actor: 'U1' });
    clock.advance(10 * MIN);
    expect(await svc.resolve(quick.id, { actor: 'U1' })).toMatchObject({ offerPostmortem: false, durationMinutes: 10 });
    const long = await svc.open({ title: 'long', severity: 'P3', actor: 'U1' });
    clock.advance(16 * MIN);
    expect(await svc.resolve(long.id, { actor: 'U1' })).toMatchObject({ offerPostmortem: true, downtimeMinutes: 16 });
  });

  it('changes severity: keeps the 30-minute update cadence every active incident has, starts the new ladder, refuses a no-op', async () => {
    const { svc, clock } = setup();
    const inc = await svc.open({ title: 'slow', severity: 'P3', actor: 'U1' });
    const due = new Date(clock.now().getTime() + 30 * MIN);
    expect(inc.nextUpdateDueAt).toEqual(due);
    clock.advance(MIN);
    const up = await svc.changeSeverity(inc.id, 'P1', 'U2');
    expect(up).toMatchObject({ from: 'P3', incident: { severity: 'P1', nextUpdateDueAt: due } });
    const jobs = stores.jobs;
    expect((await jobs.listPending(STATUS_REMINDER_JOB)).filter((j) => j.payload.incidentId === inc.id)).toHaveLength(1);
    // The P1 ladder (L1 five minutes after the start) and its promotion to P0 at 30 minutes.
    const mine = (await jobs.listPending())
      .filter((j) => j.payload.incidentId === inc.id)
      .map((j) => [j.kind, j.dueAt.getTime() - inc.startedAt.getTime()]);
    expect(mine).toEqual(
      expect.arrayContaining([
        ['incident_escalation', 5 * MIN],
        ['incident_promotion', 30 * MIN],
      ]),
    );
    await expect(svc.changeSeverity(inc.id, 'P1', 'U2')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      userMessage: `${inc.id} is already P1.`,
    });
    expect((await svc.changeSeverity(inc.id, 'P2', 'U2')).incident.nextUpdateDueAt).toEqual(due);
    const kinds = (await svc.timeline(inc.id)).filter((e) => e.kind === 'severity_changed').map((e) => e.data);
    expect(kinds).toEqual([
      { from: 'P3', to: 'P1' },
      { from: 'P1', to: 'P2' },
    ]);
  });

  it('posts status updates: recorded on the timeline, next update due 30 minutes later', async () => {
    const { svc, clock } = setup();
    const inc = await svc.open({ title: 'db down', severity: 'P0', actor: 'U1' });
    clock.advance(12 * MIN);
    const { incident, event } = await svc.postStatusUpdate(inc.id, 'Failover in progress', 'U2');
    expect(incident.lastUpdateAt).toEqual(clock.now());
    expect(incident.nextUpdateDueAt).toEqual(new Date(clock.now().getTime() + 30 * MIN));
    expect(event).toMatchObject({ kind: 'status_update', actor: 'U2', text: 'Failover in progress' });
    await expect(svc.postStatusUpdate(inc.id, '   ', 'U2')).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('opens from an alert: links it, starts when the alert started', async () => {
    const { svc, t0 } = setup();
    const alerts = stores.alerts;
    const labels = { alertname: 'DaemonNotRunning', host: `h${hour}` };
    const started = new Date(t0.getTime() - 7 * MIN);
    const rec = await alerts.record(
      {
        name: 'DaemonNotRunning',
        status: 'firing',
        labels,
        annotations: {},
        fingerprint: alertFingerprint('DaemonNotRunning', labels),
        startsAt: started,
        source: 'alertmanager-webhook',
      },
      { severity: 'P0', now: t0 },
    );
    if (rec.kind !== 'new') throw new Error('expected new');
    const inc = await svc.open({ title: 'Daemon down', severity: 'P0', actor: 'U1', alertId: rec.alert.id });
    expect(inc.startedAt).toEqual(started);
    expect((await alerts.get(rec.alert.id))!.incidentId).toBe(inc.id);
    // The alert's firing is on the timeline at the time it fired, before the opening.
    expect((await svc.timeline(inc.id)).map((e) => [e.kind, e.at])).toEqual([
      ['alert_fired', started],
      ['opened', t0],
      ['alert_linked', t0],
    ]);
    await expect(svc.open({ title: 'x', severity: 'P0', actor: 'U1', alertId: 987_654 })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // Acknowledging the linked alert lands on the incident's timeline too.
    const alertService = createAlertService({ alerts, clock: createManualClock(t0), timeline: stores.timeline });
    expect(await alertService.acknowledge(rec.alert.id, 'U0ONCALL')).toMatchObject({ kind: 'acked' });
    expect((await svc.timeline(inc.id)).map((e) => [e.kind, e.actor])).toContainEqual(['alert_acknowledged', 'U0ONCALL']);

    const other = await svc.open({ title: 'second', severity: 'P2', actor: 'U1' });
    await svc.linkAlert(other.id, rec.alert.id, 'U3');
    expect((await alerts.get(rec.alert.id))!.incidentId).toBe(other.id);
  });

  it("carries an alert's acknowledgement made before the incident existed, and its resolution, to the timeline at their times", async () => {
    const { svc, clock, t0 } = setup();
    const alerts = stores.alerts;
    const alertService = createAlertService({ alerts, clock, timeline: stores.timeline });
    const labels = { alertname: 'ConnectionPoolExhausted', service: `memory-daemon-${hour}` };
    const fired = await alertService.record(
      {
        name: 'ConnectionPoolExhausted',
        status: 'firing',
        labels,
        annotations: {},
        fingerprint: alertFingerprint('ConnectionPoolExhausted', labels),
        startsAt: t0,
        source: 'alertmanager-webhook',
      },
      { catalogSeverity: 'P1' },
    );
    if (fired.kind !== 'new') throw new Error(`expected a new alert, got ${fired.kind}`);
    clock.advance(9 * MIN + 30_000);
    await alertService.acknowledge(fired.alert.id, 'U0PRIYA');
    clock.advance(40_000);
    const inc = await svc.open({ title: 'Pool exhausted', severity: 'P1', actor: 'U0PRIYA', alertId: fired.alert.id });
    clock.advance(50 * MIN);
    const resolved = await alertService.record(
      {
        name: 'ConnectionPoolExhausted',
        status: 'resolved',
        labels,
        annotations: {},
        fingerprint: alertFingerprint('ConnectionPoolExhausted', labels),
        startsAt: t0,
        source: 'alertmanager-webhook',
      },
      { catalogSeverity: 'P1' },
    );
    expect(resolved.kind).toBe('resolved');
    expect((await svc.timeline(inc.id)).map((e) => [e.kind, e.actor, e.at.toISOString().slice(11, 19)])).toEqual([
      ['alert_fired', `alert:${fired.alert.id}`, t0.toISOString().slice(11, 19)],
      ['alert_acknowledged', 'U0PRIYA', new Date(t0.getTime() + 9 * MIN + 30_000).toISOString().slice(11, 19)],
      ['opened', 'U0PRIYA', new Date(t0.getTime() + 10 * MIN + 10_000).toISOString().slice(11, 19)],
      ['alert_linked', 'U0PRIYA', new Date(t0.getTime() + 10 * MIN + 10_000).toISOString().slice(11, 19)],
      ['alert_resolved', `alert:${fired.alert.id}`, new Date(t0.getTime() + 60 * MIN + 10_000).toISOString().slice(11, 19)],
    ]);
  });

  it('takes the stated start of impact: started=HH:MM when opening, or in a status update', async () => {
    const { svc, clock, t0 } = setup();
    const inc = await svc.open({
      title: 'Workers crash-looping',
      severity: 'P2',
      actor: 'U0RAVI',
      startedAt: { hour: t0.getUTCHours(), minute: 0 },
    });
    expect(inc.startedAt).toEqual(new Date(Date.UTC(2026, 0, 11, hour, 0)));
    // A time later than now today is yesterday's.
    const late = await svc.open({
      title: 'Late',
      severity: 'P3',
      actor: 'U0RAVI',
      startedAt: { hour: (t0.getUTCHours() + 1) % 24, minute: 0 },
    });
    expect(t0.getTime() - late.startedAt.getTime()).toBe(23 * 60 * MIN + 2 * MIN);
    clock.advance(30 * MIN);
    const { incident } = await svc.postStatusUpdate(inc.id, 'Cause identified: the config change', 'U0OLGA', {
      startedAt: { hour: t0.getUTCHours() - 1, minute: 45 },
    });
    expect(incident.startedAt).toEqual(new Date(Date.UTC(2026, 0, 11, hour - 1, 45)));
  });

  it('links an alert opened separately with its history, and refuses linking it twice', async () => {
    const { svc, clock, t0 } = setup();
    const alerts = stores.alerts;
    const alertService = createAlertService({ alerts, clock, timeline: stores.timeline });
    const inc = await svc.open({ title: 'Workers crash-looping', severity: 'P2', actor: 'U0RAVI' });
    clock.advance(5 * MIN);
    const labels = { alertname: 'WorkflowFailuresHigh', service: `cli-${hour}` };
    const fired = await alertService.record(
      {
        name: 'WorkflowFailuresHigh',
        status: 'firing',
        labels,
        annotations: {},
        fingerprint: alertFingerprint('WorkflowFailuresHigh', labels),
        startsAt: clock.now(),
        source: 'alertmanager-webhook',
      },
      { catalogSeverity: 'P2' },
    );
    if (fired.kind !== 'new') throw new Error('expected new');
    clock.advance(MIN);
    await alertService.acknowledge(fired.alert.id, 'U0MIKE');
    clock.advance(MIN);
    await svc.linkAlert(inc.id, fired.alert.id, 'U0MIKE');
    expect((await svc.timeline(inc.id)).map((e) => [e.kind, e.actor])).toEqual([
      ['opened', 'U0RAVI'],
      ['alert_fired', `alert:${fired.alert.id}`],
      ['alert_acknowledged', 'U0MIKE'],
      ['alert_linked', 'U0MIKE'],
    ]);
    await expect(svc.linkAlert(inc.id, fired.alert.id, 'U0MIKE')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/already linked to/),
    });
    void t0;
  });

  it('tells alertJoined once an alert joins an incident, opened from it or linked later; a failing alertJoined leaves the link', async () => {
    const t0 = new Date(Date.UTC(2026, 0, 11, ++hour, 2, 0));
    const clock = createManualClock(t0);
    const joined: [number, string, string][] = [];
    const logged: string[] = [];
    let failNext = false;
    const svc = createIncidentService({
      transaction: stores.transaction,
      incidents: stores.incidents,
      timeline: stores.timeline,
      alerts: stores.alerts,
      clock,
      alertJoined: async (alertId, incidentId, actor) => {
        if (failNext) throw new Error('remediation store unavailable');
        joined.push([alertId, incidentId, actor]);
      },
      logger: { error: (_obj: unknown, msg: string) => logged.push(msg) } as never,
    });
    const alertService = createAlertService({ alerts: stores.alerts, clock, timeline: stores.timeline });
    const fire = async (host: string) => {
      const labels = { alertname: 'WorkerDown', worker: host };
      const out = await alertService.record(
        {
          name: 'WorkerDown',
          status: 'firing',
          labels,
          annotations: {},
          fingerprint: alertFingerprint('WorkerDown', labels),
          startsAt: clock.now(),
          source: 'alertmanager-webhook',
        },
        { catalogSeverity: 'P1' },
      );
      if (out.kind !== 'new') throw new Error(`expected a new alert, got ${out.kind}`);
      return out.alert.id;
    };
    const first = await fire(`worker-a${hour}`);
    const second = await fire(`worker-b${hour}`);
    const third = await fire(`worker-c${hour}`);

    const fromAlert = await svc.open({ title: 'Worker down', severity: 'P1', actor: 'U0OPENER', alertId: first });
    clock.advance(MIN);
    const byCommand = await svc.open({ title: 'Workers flapping', severity: 'P2', actor: 'U0RAVI' });
    expect(joined).toEqual([[first, fromAlert.id, 'U0OPENER']]);
    await svc.linkAlert(byCommand.id, second, 'U0MIKE');
    expect(joined).toEqual([
      [first, fromAlert.id, 'U0OPENER'],
      [second, byCommand.id, 'U0MIKE'],
    ]);

    failNext = true;
    await expect(svc.linkAlert(byCommand.id, third, 'U0MIKE')).resolves.toMatchObject({ id: byCommand.id });
    expect((await stores.alerts.get(third))!.incidentId).toBe(byCommand.id);
    expect(logged).toEqual([expect.stringContaining('did not follow it')]);
  });

  it("finds the incident a Slack message concerns: its thread, a linked alert's thread, or the one active incident of the channel", async () => {
    const { svc, t0 } = setup();
    const channel = `C0CONCERN${hour}`;
    const alerts = stores.alerts;
    const alertService = createAlertService({ alerts, clock: createManualClock(t0) });
    const record = async (host: string, ts: string) => {
      const labels = { alertname: 'DaemonNotRunning', host };
      const out = await alertService.record(
        {
          name: 'DaemonNotRunning',
          status: 'firing',
          labels,
          annotations: {},
          fingerprint: alertFingerprint('DaemonNotRunning', labels),
          startsAt: t0,
          source: 'alertmanager-slack',
        },
        { catalogSeverity: 'P1', deliveryKey: `${channel}:${ts}`, post: { channelId: channel, ts } },
      );
      if (out.kind !== 'new') throw new Error(`expected a new alert, got ${out.kind}`);
      return out.alert;
    };
    const linked = await record(`linked-${hour}`, '1700000100.000100');
    const unlinked = await record(`unlinked-${hour}`, '1700000200.000100');
    expect(await svc.concerning({ channelId: channel })).toBeNull();

    const inc = await svc.open({ title: 'daemon down', severity: 'P1', actor: 'U1', channelId: channel, alertId: linked.id });
    await svc.setThread(inc.id, channel, '1700000300.000100');
    expect((await svc.concerning({ channelId: channel, threadTs: '1700000300.000100' }))?.id).toBe(inc.id);
    expect((await svc.concerning({ channelId: channel, threadTs: '1700000100.000100' }))?.id).toBe(inc.id);
    // An alert thread that is not linked to an incident is that alert's own business.
    expect(await svc.concerning({ channelId: channel, threadTs: '1700000200.000100' })).toBeNull();
    expect(unlinked.incidentId).toBeNull();
    // A top-level message (a slash command, a diagnosis posted in the channel) belongs to the channel's only active incident.
    expect((await svc.concerning({ channelId: channel }))?.id).toBe(inc.id);
    expect((await svc.concerning({ channelId: channel, threadTs: '1700000999.000100' }))?.id).toBe(inc.id);

    const second = await svc.open({ title: 'another one', severity: 'P2', actor: 'U1', channelId: channel });
    expect(await svc.concerning({ channelId: channel })).toBeNull();
    await svc.resolve(second.id, { actor: 'U1' });
    expect((await svc.concerning({ channelId: channel }))?.id).toBe(inc.id);
    expect(await svc.concerning({ channelId: 'C0ELSEWHERE' })).toBeNull();
  });

  it('answers bad and unknown ids, bad titles, and lists the active incidents', async () => {
    const { svc } = setup();
    await expect(svc.get('INC-123')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      userMessage: expect.stringContaining('INC-20260111100200'),
    });
    await expect(svc.get('INC-19990101000000')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      userMessage: expect.stringContaining('/incident list'),
    });
    await expect(svc.open({ title: '  ', severity: 'P1', actor: 'U1' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    const a = await svc.open({ title: 'active one', severity: 'P1', actor: 'U1' });
    const b = await svc.open({ title: 'closed one', severity: 'P1', actor: 'U1' });
    await svc.resolve(b.id, { actor: 'U1' });
    const active = (await svc.listActive()).map((i) => i.id);
    expect(active).toContain(a.id);
    expect(active).not.toContain(b.id);
    expect((await svc.get(a.id.toLowerCase())).title).toBe('active one');
  });
});
