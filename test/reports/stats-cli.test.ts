import { alertFingerprint } from '../../src/alerts/alert-event';
import { createAlertService } from '../../src/alerts/alert-service';
import { createManualClock } from '../../src/clock';
import { createIncidentService } from '../../src/incidents/incident-service';
import { runStatsCli } from '../../src/reports/stats-cli';
import { createAlertStore } from '../../src/store/alert-store';
import type { Database } from '../../src/store/database';
import { createIncidentStore } from '../../src/store/incident-store';
import { createTimelineStore } from '../../src/store/timeline-store';
import { createMigratedDatabase } from '../support/migrated-database';

const MIN = 60_000;

/** `incident-bot stats` reads the report from the database the incidents were recorded in. */
describe('incident-bot stats', () => {
  let db: Database;
  let url: string;
  let drop: () => Promise<void>;
  const clock = createManualClock('2026-11-20T10:00:00Z');

  beforeAll(async () => {
    ({ db, url, drop } = await createMigratedDatabase('stats_cli'));
    const alerts = createAlertStore(db);
    const alertService = createAlertService({ alerts, clock });
    const incidents = createIncidentService({
      transaction: (fn) => db.transaction(fn),
      incidents: createIncidentStore(db),
      timeline: createTimelineStore(db),
      alerts,
      clock,
    });
    const labels = { alertname: 'WorkerDown', worker: 'marie' };
    const fired = await alertService.record(
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
    if (fired.kind !== 'new') throw new Error(`expected a new alert, got ${fired.kind}`);
    const inc = await incidents.open({ title: 'Worker marie down', severity: 'P1', actor: 'U0ONCALL1', alertId: fired.alert.id });
    clock.advance(4 * MIN);
    await incidents.acknowledge(inc.id, 'U0ONCALL1');
    clock.advance(26 * MIN);
    await incidents.resolve(inc.id, { actor: 'U0ONCALL1', summary: 'restarted' });
    clock.set(new Date('2026-11-21T09:00:00Z'));
    const late = await incidents.open({ title: 'Disk filling', severity: 'P0', actor: 'U0ONCALL1' });
    clock.advance(12 * MIN);
    await incidents.acknowledge(late.id, 'U0ONCALL1');
    clock.set(new Date('2026-11-26T08:00:00Z'));
  }, 60_000);
  afterAll(async () => drop?.());

  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runStatsCli(args, {
      env: { DATABASE_URL: url, LOG_LEVEL: 'silent' },
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      clock,
    });
    return { code, out: out.join(''), err: err.join('') };
  };

  it('prints the 7-day report: counts, MTTA and MTTR, the P0 acknowledged after its SLA, the top alert', async () => {
    const r = await run(['7d']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe(
      [
        'Incidents, last 7 days (2026-11-19 – 2026-11-26): 2 (P0 1 · P1 1 · P2 0 · P3 0)',
        'MTTA: median 4 min, p90 12 min (2 acknowledged)',
        'MTTR: median 30 min, p90 30 min (1 resolved)',
        'SLA breaches: 1 (INC-20261121090000 P0 +7 min)',
        'Top alerts: WorkerDown ×1',
        'Follow-ups: 0 open, 0 overdue',
        '',
      ].join('\n'),
    );
  });

  it('--json gives the same figures as data', async () => {
    const r = await run(['30d', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      days: 30,
      total: 2,
      mtta: { count: 2, medianSeconds: 240, p90Seconds: 720 },
      mttr: { count: 1, medianSeconds: 1800 },
    });
  });

  it('refuses a window it does not offer, with the usage', async () => {
    const r = await run(['1y']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('"1y" is not a window');
    expect(r.err).toContain('usage: incident-bot stats [7d|30d|90d] [--json]');
  });
});
