import pino from 'pino';
import { Registry } from 'prom-client';
import { alertFingerprint } from '../../src/alerts/alert-event';
import { createAlertService, type AlertService } from '../../src/alerts/alert-service';
import { createManualClock } from '../../src/clock';
import { createIncidentMetrics } from '../../src/incidents/incident-metrics';
import { createIncidentService, STATUS_REMINDER_JOB, type IncidentService } from '../../src/incidents/incident-service';
import { createReminderRunner, escalationConfig, escalationConfigSchema, type ReminderCallbacks, type ReminderRunner } from '../../src/incidents/reminders-and-escalations';
import type { AlertRecord } from '../../src/domain/alert';
import type { Incident } from '../../src/domain/incident';
import { SERVICE_STORES, type Stores } from '../support/store-backends';

const MIN = 60_000;
const silent = pino({ level: 'silent' });

// Fresh stores per test: every test reasons about "all due jobs".
let stores: Stores;
let close: () => Promise<void>;
beforeEach(async () => {
  ({ stores, close } = await SERVICE_STORES.open('reminders'));
}, 60_000);
afterEach(async () => close());

interface Calls {
  reminded: string[];
  escalated: string[];
}

function world(t0 = new Date('2026-01-11T10:00:00Z')) {
  const clock = createManualClock(t0);
  const registry = new Registry();
  const incidentStore = stores.incidents;
  const metrics = createIncidentMetrics(registry, { countOpen: () => incidentStore.countActiveBySeverity() });
  const jobs = stores.jobs;
  const alertStore = stores.alerts;
  const incidents: IncidentService = createIncidentService({
    transaction: stores.transaction,
    incidents: incidentStore,
    timeline: stores.timeline,
    alerts: alertStore,
    jobs,
    clock,
    metrics,
  });
  const alerts: AlertService = createAlertService({ alerts: alertStore, jobs, clock, metrics });
  const calls: Calls = { reminded: [], escalated: [] };
  const callbacks: ReminderCallbacks = {
    remind: async (inc: Incident) => {
      calls.reminded.push(inc.id);
    },
    escalate: async (alert: AlertRecord, level, target) => {
      calls.escalated.push(`${alert.name}:L${level.level}:${target}`);
    },
  };
  const escalation = escalationConfig({ L1: ['S0ONCALL'], L2: ['U0INFRALEAD'], L3: ['S0DEVTEAM', 'U0CTO'] });
  const runner = (workerId: string, cb: ReminderCallbacks = callbacks): ReminderRunner =>
    createReminderRunner({ jobs, incidents: incidentStore, alerts: alertStore, escalation, callbacks: cb, clock, logger: silent, metrics, workerId });
  const at = (minutes: number) => new Date(t0.getTime() + minutes * MIN);
  return { clock, registry, jobs, incidents, alerts, calls, runner, at, t0 };
}

async function fire(alerts: AlertService, name: string, severity: string, startsAt: Date) {
  const labels = { alertname: name, severity };
  const out = await alerts.record({ name, status: 'firing', labels, annotations: {}, fingerprint: alertFingerprint(name, labels), startsAt, source: 'alertmanager-webhook' });
  if (out.kind !== 'new') throw new Error('expected a new alert');
  return out.alert;
}

describe('status-update reminders', () => {
  it('reminds an active P0/P1 incident every 30 minutes without an update, exactly once across two workers', async () => {
    const w = world();
    const a = w.runner('replica-a');
    const b = w.runner('replica-b');
    const inc = await w.incidents.open({ title: 'Workers stuck', severity: 'P1', actor: 'U1' });
    await w.incidents.open({ title: 'minor', severity: 'P3', actor: 'U1' }); // no cadence for P3

    await Promise.all([a.runDueJobs(w.at(29)), b.runDueJobs(w.at(29))]);
    expect(w.calls.reminded).toEqual([]);

    await Promise.all([a.runDueJobs(w.at(30)), b.runDueJobs(w.at(30)), a.runDueJobs(w.at(30)), b.runDueJobs(w.at(30))]);
    expect(w.calls.reminded).toEqual([inc.id]);
    await Promise.all([a.runDueJobs(w.at(45)), b.runDueJobs(w.at(45))]);
    expect(w.calls.reminded).toEqual([inc.id]);

    // Still no update 30 minutes later: reminded again.
    await Promise.all([a.runDueJobs(w.at(60)), b.runDueJobs(w.at(60))]);
    expect(w.calls.reminded).toEqual([inc.id, inc.id]);

    // An update at 70 moves the next one to 100: nothing at 90, a reminder at 100.
    w.clock.set(w.at(70));
    await w.incidents.postStatusUpdate(inc.id, 'failing over', 'U1');
    await Promise.all([a.runDueJobs(w.at(90)), b.runDueJobs(w.at(90))]);
    expect(w.calls.reminded).toHaveLength(2);
    await Promise.all([a.runDueJobs(w.at(100)), b.runDueJobs(w.at(100))]);
    expect(w.calls.reminded).toHaveLength(3);

    // Resolved: the pending reminder finds nothing to do and nothing is rescheduled.
    w.clock.set(w.at(110));
    await w.incidents.resolve(inc.id, { actor: 'U1' });
    await a.runDueJobs(w.at(200));
    expect(w.calls.reminded).toHaveLength(3);
    expect(await w.jobs.listPending(STATUS_REMINDER_JOB)).toEqual([]);
    expect(await w.registry.getSingleMetricAsString('incident_bot_status_update_reminders_total')).toContain('incident_bot_status_update_reminders_total{severity="P1"} 3');
  });

  it('fires each of many due jobs exactly once with two workers racing', async () => {
    const w = world();
    const ids = (await Promise.all(Array.from({ length: 30 }, (_, i) => w.incidents.open({ title: `inc ${i}`, severity: i % 2 ? 'P0' : 'P1', actor: 'U1' })))).map(
      (i) => i.id,
    );
    const [ra, rb] = await Promise.all([w.runner('a').runDueJobs(w.at(31)), w.runner('b').runDueJobs(w.at(31))]);
    expect(ra.claimed + rb.claimed).toBe(30);
    expect([...w.calls.reminded].sort()).toEqual([...ids].sort());
  });

  it('survives a restart: the schedule lives only in PostgreSQL', async () => {
    const w = world();
    const inc = await w.incidents.open({ title: 'before restart', severity: 'P0', actor: 'U1' });
    // A brand-new runner (a restarted process) finds the job.
    await w.runner('after-restart').runDueJobs(w.at(30));
    expect(w.calls.reminded).toEqual([inc.id]);
  });

  it('takes over a job whose worker died after claiming it, once the lease ran out', async () => {
    const w = world();
    const inc = await w.incidents.open({ title: 'dead worker', severity: 'P1', actor: 'U1' });
    const claimed = await w.jobs.claimDue('dead-replica', w.at(30), { limit: 10, leaseMs: 5 * MIN });
    expect(claimed).toHaveLength(1);
    await w.runner('alive').runDueJobs(w.at(32));
    expect(w.calls.reminded).toEqual([]);
    await w.runner('alive').runDueJobs(w.at(36));
    expect(w.calls.reminded).toEqual([inc.id]);
    // The dead worker coming back cannot complete what it lost.
    expect(await w.jobs.complete(claimed[0]!.id, 'dead-replica', w.at(37))).toBe(false);
  });

  it('retries a job whose callback failed, without marking it done', async () => {
    const w = world();
    const inc = await w.incidents.open({ title: 'slack down', severity: 'P1', actor: 'U1' });
    let fail = true;
    const flaky: ReminderCallbacks = {
      remind: async (i) => {
        if (fail) throw new Error('Slack answered 503');
        w.calls.reminded.push(i.id);
      },
      escalate: async () => undefined,
    };
    expect(await w.runner('a', flaky).runDueJobs(w.at(30))).toMatchObject({ failed: 1 });
    fail = false;
    await w.runner('a', flaky).runDueJobs(w.at(30.5)); // retry is due a minute later
    expect(w.calls.reminded).toEqual([]);
    await w.runner('a', flaky).runDueJobs(w.at(31));
    expect(w.calls.reminded).toEqual([inc.id]);
  });
});

describe('escalation of unacknowledged alerts', () => {
  it('steps L1 → L2 → L3 after the SLA, exactly once per level across two workers', async () => {
    const w = world();
    const a = w.runner('replica-a');
    const b = w.runner('replica-b');
    await fire(w.alerts, 'DaemonNotRunning', 'critical', w.t0); // P0: 5 min SLA
    const both = (m: number) => Promise.all([a.runDueJobs(w.at(m)), b.runDueJobs(w.at(m))]);

    await both(4);
    expect(w.calls.escalated).toEqual([]);
    await both(5);
    expect(w.calls.escalated).toEqual(['DaemonNotRunning:L1:S0ONCALL']);
    await both(19);
    expect(w.calls.escalated).toHaveLength(1);
    await both(20);
    expect(w.calls.escalated).toEqual(['DaemonNotRunning:L1:S0ONCALL', 'DaemonNotRunning:L2:U0INFRALEAD']);
    await both(35);
    expect(w.calls.escalated.slice(2)).toEqual(['DaemonNotRunning:L3:S0DEVTEAM', 'DaemonNotRunning:L3:U0CTO']);
    await both(500);
    expect(w.calls.escalated).toHaveLength(4);
    expect(await w.registry.getSingleMetricAsString('incident_bot_escalations_total')).toContain('incident_bot_escalations_total{level="2",severity="P0"} 1');
  });

  it('stops escalating once the alert is acknowledged or resolved', async () => {
    const w = world();
    const acked = await fire(w.alerts, 'QueryLatencyP95High', 'high', w.t0); // P1: 15 min
    const resolved = await fire(w.alerts, 'MemoryUsageHigh', 'high', w.t0);
    await w.runner('a').runDueJobs(w.at(15));
    expect(w.calls.escalated).toEqual(['QueryLatencyP95High:L1:S0ONCALL', 'MemoryUsageHigh:L1:S0ONCALL']);

    w.clock.set(w.at(20));
    await w.alerts.acknowledge(acked.id, 'U0ONCALL');
    await w.alerts.resolve(resolved.id);
    await w.runner('a').runDueJobs(w.at(60));
    expect(w.calls.escalated).toHaveLength(2);
    expect((await w.alerts.get(acked.id))!.escalationLevel).toBe(1);
    expect(await w.jobs.listPending()).toEqual([]);
  });

  it('waits for the first configured level\'s own delay when L1 is not configured', async () => {
    const w = world();
    await fire(w.alerts, 'DiskSpaceWarning', 'critical', w.t0); // P0: deadline at 5
    const onlyL2 = createReminderRunner({
      jobs: w.jobs,
      incidents: stores.incidents,
      alerts: stores.alerts,
      escalation: escalationConfig({ L2: ['U0LEAD'] }),
      callbacks: { remind: async () => undefined, escalate: async (a, l, t) => void w.calls.escalated.push(`${a.name}:L${l.level}:${t}`) },
      clock: w.clock,
    });
    await onlyL2.runDueJobs(w.at(5));
    expect(w.calls.escalated).toEqual([]);
    await onlyL2.runDueJobs(w.at(20));
    expect(w.calls.escalated).toEqual(['DiskSpaceWarning:L2:U0LEAD']);
  });

  it('does nothing for an alert acknowledged within its SLA', async () => {
    const w = world();
    const alert = await fire(w.alerts, 'QueueBacklogGrowing', 'warning', w.t0); // P2: 60 min
    w.clock.set(w.at(10));
    await w.alerts.acknowledge(alert.id, 'U1');
    await w.runner('a').runDueJobs(w.at(120));
    expect(w.calls.escalated).toEqual([]);
  });
});

describe('escalation config', () => {
  it('parses the operator-facing shape with the runbooks\' default timings and names mistakes', () => {
    expect(escalationConfigSchema.parse({ L1: { targets: ['S1'] }, L3: { targets: ['U3'], afterMinutes: 45 } })).toEqual({
      levels: [
        { level: 1, name: 'L1', targets: ['S1'], afterMinutes: 0 },
        { level: 3, name: 'L3', targets: ['U3'], afterMinutes: 45 },
      ],
    });
    const bad = escalationConfigSchema.safeParse({ L1: { targets: [] }, L4: {} });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['L1.targets', '']));
  });
});

describe('metrics', () => {
  it('reports open incidents by severity from the database, and time to acknowledge and resolve', async () => {
    const w = world();
    const p1 = await w.incidents.open({ title: 'a', severity: 'P1', actor: 'U1' });
    await w.incidents.open({ title: 'b', severity: 'P1', actor: 'U1' });
    await w.incidents.open({ title: 'c', severity: 'P3', actor: 'U1' });
    w.clock.set(w.at(3));
    await w.incidents.acknowledge(p1.id, 'U1');
    w.clock.set(w.at(40));
    await w.incidents.resolve(p1.id, { actor: 'U1' });
    const text = await w.registry.metrics();
    expect(text).toContain('incident_bot_open_incidents{severity="P1"} 1');
    expect(text).toContain('incident_bot_open_incidents{severity="P3"} 1');
    expect(text).toContain('incident_bot_open_incidents{severity="P0"} 0');
    expect(text).toContain('incident_bot_time_to_acknowledge_seconds_sum{subject="incident",severity="P1"} 180');
    expect(text).toContain('incident_bot_incident_time_to_resolve_seconds_sum{severity="P1"} 2400');
  });
});
