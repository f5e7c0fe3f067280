import pino from 'pino';
import { Registry } from 'prom-client';
import { alertFingerprint } from '../../src/alerts/alert-event';
import { createAlertService, type AlertService } from '../../src/alerts/alert-service';
import { createManualClock } from '../../src/clock';
import { createIncidentMetrics } from '../../src/incidents/incident-metrics';
import { createIncidentService, STATUS_REMINDER_JOB, type IncidentService } from '../../src/incidents/incident-service';
import {
  createReminderRunner,
  escalationConfig,
  escalationConfigSchema,
  type ReminderCallbacks,
  type ReminderRunner,
} from '../../src/incidents/reminders-and-escalations';
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
  incidentPages: string[];
  promoted: string[];
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
  const calls: Calls = { reminded: [], escalated: [], incidentPages: [], promoted: [] };
  const callbacks: ReminderCallbacks = {
    remind: async (inc: Incident) => {
      calls.reminded.push(inc.id);
    },
    escalate: async (alert: AlertRecord, level, target) => {
      calls.escalated.push(`${alert.name}:L${level.level}:${target}`);
    },
    escalateIncident: async (inc, level, targets) => {
      calls.incidentPages.push(`${inc.id}:${inc.severity}:L${level.level}:${targets.join(',')}`);
    },
    promoted: async (inc, from) => {
      calls.promoted.push(`${inc.id}:${from}→${inc.severity}`);
    },
  };
  const escalation = escalationConfig({ L1: ['S0ONCALL'], L2: ['U0INFRALEAD'], L3: ['S0DEVTEAM', 'U0CTO'] });
  const runner = (
    workerId: string,
    cb: ReminderCallbacks = callbacks,
    contactsFor?: (names: readonly string[], level: { name: string }) => string[],
  ): ReminderRunner =>
    createReminderRunner({
      jobs,
      incidents: incidentStore,
      incidentService: incidents,
      alerts: alertStore,
      escalation,
      callbacks: cb,
      clock,
      logger: silent,
      metrics,
      workerId,
      ...(contactsFor ? { contactsFor } : {}),
    });
  const at = (minutes: number) => new Date(t0.getTime() + minutes * MIN);
  return { clock, registry, jobs, incidents, alerts, alertStore, calls, runner, at, t0 };
}

async function fire(alerts: AlertService, name: string, severity: string, startsAt: Date) {
  const labels = { alertname: name, severity };
  const out = await alerts.record({
    name,
    status: 'firing',
    labels,
    annotations: {},
    fingerprint: alertFingerprint(name, labels),
    startsAt,
    source: 'alertmanager-webhook',
  });
  if (out.kind !== 'new') throw new Error('expected a new alert');
  return out.alert;
}

describe('status-update reminders', () => {
  it('reminds every active incident 30 minutes after its last update, P0/P1 again every 15 minutes while overdue, exactly once across two workers', async () => {
    const w = world();
    const a = w.runner('replica-a');
    const b = w.runner('replica-b');
    const inc = await w.incidents.open({ title: 'Workers stuck', severity: 'P0', actor: 'U1' });
    const minor = await w.incidents.open({ title: 'minor', severity: 'P3', actor: 'U1' });
    const count = (id: string) => w.calls.reminded.filter((x) => x === id).length;
    const both = (m: number) => Promise.all([a.runDueJobs(w.at(m)), b.runDueJobs(w.at(m)), a.runDueJobs(w.at(m)), b.runDueJobs(w.at(m))]);

    await both(29);
    expect(w.calls.reminded).toEqual([]);
    await both(30);
    expect([count(inc.id), count(minor.id)]).toEqual([1, 1]);
    // Still no update: the P0 is reminded again 15 minutes later, the P3 after 30.
    await both(45);
    expect([count(inc.id), count(minor.id)]).toEqual([2, 1]);
    await both(60);
    expect([count(inc.id), count(minor.id)]).toEqual([3, 2]);

    // An update at 70 moves the P0's next one to 100: nothing for it at 90, a reminder at 100.
    w.clock.set(w.at(70));
    await w.incidents.postStatusUpdate(inc.id, 'failing over', 'U1');
    await both(90);
    expect([count(inc.id), count(minor.id)]).toEqual([3, 3]);
    await both(100);
    expect(count(inc.id)).toBe(4);

    // Resolved: the pending reminder finds nothing to do and nothing is rescheduled.
    w.clock.set(w.at(110));
    await w.incidents.resolve(inc.id, { actor: 'U1', rootCause: 'stuck lock', resolution: 'removed it' });
    await w.incidents.resolve(minor.id, { actor: 'U1', rootCause: 'typo', resolution: 'fixed' });
    await a.runDueJobs(w.at(200));
    expect(count(inc.id)).toBe(4);
    expect(await w.jobs.listPending(STATUS_REMINDER_JOB)).toEqual([]);
    expect(await w.registry.getSingleMetricAsString('incident_bot_status_update_reminders_total')).toContain(
      'incident_bot_status_update_reminders_total{severity="P0"} 4',
    );
  });

  it('fires each of many due jobs exactly once with two workers racing', async () => {
    const w = world();
    const ids = (
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => w.incidents.open({ title: `inc ${i}`, severity: i % 2 ? 'P2' : 'P3', actor: 'U1' })),
      )
    ).map((i) => i.id);
    const [ra, rb] = await Promise.all([w.runner('a').runDueJobs(w.at(31)), w.runner('b').runDueJobs(w.at(31))]);
    expect(ra.claimed + rb.claimed).toBe(30);
    expect([...w.calls.reminded].sort()).toEqual([...ids].sort());
  });

  it('survives a restart: the schedule lives only in PostgreSQL', async () => {
    const w = world();
    const inc = await w.incidents.open({ title: 'before restart', severity: 'P2', actor: 'U1' });
    // A brand-new runner (a restarted process) finds the job.
    await w.runner('after-restart').runDueJobs(w.at(30));
    expect(w.calls.reminded).toEqual([inc.id]);
  });

  it('takes over a job whose worker died after claiming it, once the lease ran out', async () => {
    const w = world();
    const inc = await w.incidents.open({ title: 'dead worker', severity: 'P2', actor: 'U1' });
    const claimed = await w.jobs.claimDue('dead-replica', w.at(30), { limit: 10, leaseMs: 5 * MIN, kinds: [STATUS_REMINDER_JOB] });
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
    const inc = await w.incidents.open({ title: 'slack down', severity: 'P2', actor: 'U1' });
    let fail = true;
    const flaky: ReminderCallbacks = {
      remind: async (i) => {
        if (fail) throw new Error('Slack answered 503');
        w.calls.reminded.push(i.id);
      },
      escalate: async () => undefined,
      escalateIncident: async () => undefined,
      promoted: async () => undefined,
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
  it('steps L1 → L2 → L3 at 5, 15 and 30 minutes from the alert start, exactly once per level across two workers', async () => {
    const w = world();
    const a = w.runner('replica-a');
    const b = w.runner('replica-b');
    await fire(w.alerts, 'DaemonNotRunning', 'critical', w.t0); // P0
    const both = (m: number) => Promise.all([a.runDueJobs(w.at(m)), b.runDueJobs(w.at(m))]);

    await both(4);
    expect(w.calls.escalated).toEqual([]);
    await both(5);
    expect(w.calls.escalated).toEqual(['DaemonNotRunning:L1:S0ONCALL']);
    await both(14);
    expect(w.calls.escalated).toHaveLength(1);
    await both(15);
    expect(w.calls.escalated).toEqual(['DaemonNotRunning:L1:S0ONCALL', 'DaemonNotRunning:L2:U0INFRALEAD']);
    await both(30);
    expect(w.calls.escalated.slice(2)).toEqual(['DaemonNotRunning:L3:S0DEVTEAM', 'DaemonNotRunning:L3:U0CTO']);
    await both(500);
    expect(w.calls.escalated).toHaveLength(4);
    expect(await w.registry.getSingleMetricAsString('incident_bot_escalations_total')).toContain(
      'incident_bot_escalations_total{level="2",severity="P0"} 1',
    );
  });

  it('counts a P1 from its start too (not from its 15-minute SLA deadline)', async () => {
    const w = world();
    await fire(w.alerts, 'QueryLatencyP95High', 'high', w.t0);
    await w.runner('a').runDueJobs(w.at(5));
    await w.runner('a').runDueJobs(w.at(15));
    expect(w.calls.escalated).toEqual(['QueryLatencyP95High:L1:S0ONCALL', 'QueryLatencyP95High:L2:U0INFRALEAD']);
  });

  it('stops escalating once the alert is acknowledged, resolved or part of an incident', async () => {
    const w = world();
    const acked = await fire(w.alerts, 'QueryLatencyP95High', 'high', w.t0); // P1
    const resolved = await fire(w.alerts, 'MemoryUsageHigh', 'high', w.t0);
    const linked = await fire(w.alerts, 'CPUUsageSustainedHigh', 'high', w.t0);
    await w.runner('a').runDueJobs(w.at(5));
    expect(w.calls.escalated).toEqual([
      'QueryLatencyP95High:L1:S0ONCALL',
      'MemoryUsageHigh:L1:S0ONCALL',
      'CPUUsageSustainedHigh:L1:S0ONCALL',
    ]);

    w.clock.set(w.at(10));
    await w.alerts.acknowledge(acked.id, 'U0ONCALL');
    await w.alerts.resolve(resolved.id);
    await w.incidents.open({ title: 'CPU', severity: 'P1', actor: 'U1', alertId: linked.id });
    await w.runner('a').runDueJobs(w.at(16));
    expect(w.calls.escalated).toHaveLength(3);
    expect((await w.alerts.get(acked.id))!.escalationLevel).toBe(1);
  });

  it('pages nobody at a level without ESCALATION_Ln or contacts, and the next configured level on time', async () => {
    const w = world();
    await fire(w.alerts, 'DiskSpaceWarning', 'critical', w.t0); // unknown to this test's catalog: the label's P0
    const onlyL2 = createReminderRunner({
      jobs: w.jobs,
      incidents: stores.incidents,
      incidentService: w.incidents,
      alerts: stores.alerts,
      escalation: escalationConfig({ L2: ['U0LEAD'] }),
      callbacks: {
        remind: async () => undefined,
        escalate: async (a, l, t) => void w.calls.escalated.push(`${a.name}:L${l.level}:${t}`),
        escalateIncident: async () => undefined,
        promoted: async () => undefined,
      },
      clock: w.clock,
    });
    await onlyL2.runDueJobs(w.at(5));
    expect(w.calls.escalated).toEqual([]);
    await onlyL2.runDueJobs(w.at(15));
    expect(w.calls.escalated).toEqual(['DiskSpaceWarning:L2:U0LEAD']);
  });

  it('pages P2/P3 once, at L1, when their response SLA lapses unacknowledged; never when acknowledged in time', async () => {
    const w = world();
    await fire(w.alerts, 'QueueBacklogGrowing', 'warning', w.t0); // P2: 60 min
    const acked = await fire(w.alerts, 'EmbeddingGenerationSlow', 'warning', w.t0);
    w.clock.set(w.at(10));
    await w.alerts.acknowledge(acked.id, 'U1');
    await w.runner('a').runDueJobs(w.at(59));
    expect(w.calls.escalated).toEqual([]);
    await w.runner('a').runDueJobs(w.at(60));
    await w.runner('a').runDueJobs(w.at(600));
    expect(w.calls.escalated).toEqual(['QueueBacklogGrowing:L1:S0ONCALL']);
  });

  it("adds the runbook's contacts of the level to the configured targets, once each", async () => {
    const w = world();
    await fire(w.alerts, 'PostgreSQLUnreachable', 'critical', w.t0);
    const contacts = (names: readonly string[], level: { name: string }) =>
      level.name === 'L2' && names.includes('PostgreSQLUnreachable') ? ['S0DBA', 'U0INFRALEAD'] : [];
    while ((await w.runner('a', undefined, contacts).runDueJobs(w.at(15))).claimed > 0);
    expect(w.calls.escalated).toEqual([
      'PostgreSQLUnreachable:L1:S0ONCALL',
      'PostgreSQLUnreachable:L2:U0INFRALEAD',
      'PostgreSQLUnreachable:L2:S0DBA',
    ]);
  });
});

describe('escalation of open incidents and the P1 → P0 rule', () => {
  it('pages L2 at 15 and L3 at 30 minutes from the start while unmitigated, skips L1 once acknowledged, and writes each page on the timeline', async () => {
    const w = world();
    const inc = await w.incidents.open({ title: 'Checkout down', severity: 'P0', actor: 'U1' });
    const acked = await w.incidents.open({ title: 'API slow', severity: 'P0', actor: 'U1' });
    w.clock.set(w.at(2));
    await w.incidents.acknowledge(acked.id, 'U0ONCALL');
    await w.runner('a').runDueJobs(w.at(5));
    expect(w.calls.incidentPages).toEqual([`${inc.id}:P0:L1:S0ONCALL`]);
    await Promise.all([w.runner('a').runDueJobs(w.at(15)), w.runner('b').runDueJobs(w.at(15))]);
    expect(w.calls.incidentPages.slice(1).sort()).toEqual([`${acked.id}:P0:L2:U0INFRALEAD`, `${inc.id}:P0:L2:U0INFRALEAD`].sort());

    // Mitigated: the impact stopped, no L3.
    w.clock.set(w.at(20));
    await w.incidents.mitigate(acked.id, 'U0ONCALL');
    await w.runner('a').runDueJobs(w.at(30));
    expect(w.calls.incidentPages.slice(3)).toEqual([`${inc.id}:P0:L3:S0DEVTEAM,U0CTO`]);
    const events = (await w.incidents.timeline(inc.id)).filter((e) => e.kind === 'escalated');
    expect(events.map((e) => [e.actor, e.text, e.at.toISOString()])).toEqual([
      ['bot', 'Escalated to L1', w.at(5).toISOString()],
      ['bot', 'Escalated to L2', w.at(15).toISOString()],
      ['bot', 'Escalated to L3', w.at(30).toISOString()],
    ]);
  });

  it('promotes a P1 still unresolved 30 minutes after its start to P0, with a severity_promoted event, once across two workers', async () => {
    const w = world();
    const inc = await w.incidents.open({ title: 'Queries slow', severity: 'P1', actor: 'U1' });
    const mitigated = await w.incidents.open({ title: 'Pool near max', severity: 'P1', actor: 'U1' });
    w.clock.set(w.at(10));
    await w.incidents.acknowledge(inc.id, 'U0ONCALL');
    await w.incidents.mitigate(mitigated.id, 'U0ONCALL');
    await w.runner('a').runDueJobs(w.at(29));
    expect(w.calls.promoted).toEqual([]);
    await Promise.all([w.runner('a').runDueJobs(w.at(30)), w.runner('b').runDueJobs(w.at(30))]);
    expect(w.calls.promoted).toEqual([`${inc.id}:P1→P0`]);

    const after = await w.incidents.get(inc.id);
    expect(after.severity).toBe('P0');
    const promoted = (await w.incidents.timeline(inc.id)).filter((e) => e.kind === 'severity_promoted');
    expect(promoted).toHaveLength(1);
    expect(promoted[0]).toMatchObject({ actor: 'bot', data: { from: 'P1', to: 'P0', afterMinutes: 30 }, at: w.at(30) });
    expect((await w.incidents.get(mitigated.id)).severity).toBe('P1');

    // L1 was skipped (acknowledged) and L2 paged while it was P1; the P0 ladder does not page them again, L3 follows.
    while ((await w.runner('a').runDueJobs(w.at(120))).claimed > 0);
    expect(w.calls.incidentPages.filter((p) => p.startsWith(inc.id))).toEqual([
      `${inc.id}:P1:L2:U0INFRALEAD`,
      `${inc.id}:P0:L3:S0DEVTEAM,U0CTO`,
    ]);
    expect(w.calls.promoted).toHaveLength(1);
  });

  it('promotes at once an incident opened from an alert that started more than 30 minutes ago', async () => {
    const w = world();
    const alert = await fire(w.alerts, 'QueryLatencyP95High', 'high', new Date(w.t0.getTime() - 31 * MIN));
    const inc = await w.incidents.open({ title: 'from an old alert', severity: 'P1', actor: 'U1', alertId: alert.id });
    expect(inc.startedAt).toEqual(alert.startsAt);
    const run = await w.runner('a').runDueJobs(w.at(0));
    expect(run.promoted).toEqual([inc.id]);
  });

  it('leaves a P1 set by hand after the 30-minute mark alone for another 30 minutes', async () => {
    const w = world();
    const inc = await w.incidents.open({ title: 'was critical', severity: 'P0', actor: 'U1' });
    w.clock.set(w.at(40));
    await w.incidents.changeSeverity(inc.id, 'P1', 'U0LEAD');
    await w.runner('a').runDueJobs(w.at(41));
    await w.runner('a').runDueJobs(w.at(69));
    expect(w.calls.promoted).toEqual([]);
    await w.runner('a').runDueJobs(w.at(70));
    expect(w.calls.promoted).toEqual([`${inc.id}:P1→P0`]);
  });

  it('does not promote a P1 that was resolved or whose severity was changed by hand', async () => {
    const w = world();
    const resolved = await w.incidents.open({ title: 'a', severity: 'P1', actor: 'U1' });
    const lowered = await w.incidents.open({ title: 'b', severity: 'P1', actor: 'U1' });
    w.clock.set(w.at(20));
    await w.incidents.resolve(resolved.id, { actor: 'U1', rootCause: 'x', resolution: 'y' });
    await w.incidents.changeSeverity(lowered.id, 'P2', 'U1');
    await w.runner('a').runDueJobs(w.at(40));
    expect(w.calls.promoted).toEqual([]);
  });
});

describe('escalation config', () => {
  it("parses the operator-facing shape with the runbooks' default timings and names mistakes", () => {
    expect(escalationConfigSchema.parse({ L1: { targets: ['S1'] }, L3: { targets: ['U3'], afterMinutes: 45 } })).toEqual({
      levels: [
        { level: 1, name: 'L1', targets: ['S1'], afterMinutes: 5 },
        { level: 2, name: 'L2', targets: [], afterMinutes: 15 },
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
