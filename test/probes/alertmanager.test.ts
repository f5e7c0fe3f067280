import { alertmanagerProbe } from '../../src/probes/alertmanager';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager';
import { runProbe } from './probe-harness';
import { waitFor } from '../support/wait-for';

let am: RunningAlertmanager;

beforeAll(async () => {
  am = await startAlertmanager();
  await am.postAlerts([
    { labels: { alertname: 'DaemonNotRunning', job: 'memory-daemon', severity: 'P0' } },
    { labels: { alertname: 'MemoryUsageHigh', job: 'memory-daemon', severity: 'P1' } },
    { labels: { alertname: 'WorkerDown', job: 'agent-worker', worker: 'marie' } },
  ]);
  const now = Date.now();
  const res = await fetch(`${am.url}/api/v2/silences`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      matchers: [
        { name: 'alertname', value: 'MemoryUsageHigh', isRegex: false, isEqual: true },
        { name: 'job', value: 'memory-daemon', isRegex: false, isEqual: true },
      ],
      startsAt: new Date(now - 1000).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
      createdBy: 'ops-team',
      comment: 'Planned maintenance window',
    }),
  });
  expect(res.status).toBe(200);
  await waitFor('the silenced alert to be suppressed', async () => {
    const alerts = (await (await fetch(`${am.url}/api/v2/alerts?filter=alertname%3D%22MemoryUsageHigh%22`)).json()) as {
      status: { state: string };
    }[];
    return alerts[0]?.status.state === 'suppressed';
  });
}, 60_000);

afterAll(async () => {
  await am?.stop();
});

describe('alertmanager probe against a real Alertmanager', () => {
  it('active alerts, silenced alerts and active silences for a job', async () => {
    const r = await runProbe(alertmanagerProbe, { matchers: { job: 'memory-daemon' }, warn: '> 0' }, { target: { url: am.url } });
    expect(r).toMatchObject({ status: 'warn', summary: '1 firing (DaemonNotRunning), 1 silenced, 1 active silence' });
    expect(r.figures).toEqual([
      { label: 'firing', value: 1 },
      { label: 'silenced', value: 1 },
      { label: 'active silences', value: 1 },
    ]);
    expect((r.evidence.raw as { silences: { comment: string }[] }).silences[0]?.comment).toBe('Planned maintenance window');
  });

  it('a label from the command becomes an encoded filter value', async () => {
    const r = await runProbe(
      alertmanagerProbe,
      { matchers: { worker: '{{worker}}' } },
      { target: { url: am.url }, labels: { worker: 'marie' } },
    );
    expect(r.summary).toBe('1 firing (WorkerDown), 0 silenced, 0 active silences');
    expect(r.evidence.query).toBe('GET /api/v2/alerts?filter=worker%3D%22marie%22');
    expect(r.status).toBe('ok');
  });

  it('unreachable Alertmanager is unknown', async () => {
    const r = await runProbe(alertmanagerProbe, {}, { target: { url: 'http://127.0.0.1:1' } });
    expect(r).toMatchObject({ status: 'unknown', summary: expect.stringMatching(/^Alertmanager unreachable: connection refused/) });
  });
});
