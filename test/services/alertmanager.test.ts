import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startAlertmanager,
  startWebhookReceiver,
  type AlertmanagerWebhookPayload,
  type RunningAlertmanager,
  type WebhookReceiver,
} from '../support/alertmanager';
import { startExporter, startPrometheus } from '../support/prometheus';

jest.setTimeout(90_000);

/**
 * The captured payloads become fixtures for other tests (test/fixtures/alertmanager/). They are written when absent
 * or when UPDATE_FIXTURES=1; otherwise the live payload is compared with the fixture's shape.
 */
const FIXTURES = join(__dirname, '..', 'fixtures', 'alertmanager');
const UPDATE = process.env.UPDATE_FIXTURES === '1';

function saveOrCompare(file: string, payload: AlertmanagerWebhookPayload): void {
  const path = join(FIXTURES, file);
  if (UPDATE || !existsSync(path)) {
    mkdirSync(FIXTURES, { recursive: true });
    writeFileSync(path, `${JSON.stringify(payload, null, 2)}\n`);
    return;
  }
  const fixture = JSON.parse(readFileSync(path, 'utf8')) as AlertmanagerWebhookPayload;
  expect(Object.keys(payload).sort()).toEqual(Object.keys(fixture).sort());
  expect(Object.keys(payload.alerts[0] ?? {}).sort()).toEqual(Object.keys(fixture.alerts[0] ?? {}).sort());
  expect(payload.status).toBe(fixture.status);
  expect(payload.alerts[0]?.fingerprint).toBe(fixture.alerts[0]?.fingerprint); // fingerprint = hash of the labels
  expect(payload.groupKey).toBe(fixture.groupKey);
}

const ALERT_LABELS = {
  alertname: 'StuckDetected',
  severity: 'critical',
  agent: 'agent-7',
  instance: 'memory-daemon:9100',
  job: 'memory-daemon',
};
const ALERT_ANNOTATIONS = {
  summary: 'Agent agent-7 has been stuck for more than 10 minutes',
  description: 'No progress from agent agent-7 since its last heartbeat; the stream is not advancing.',
  runbook_url: 'https://runbooks.example.com/memory-daemon#stuck-agent',
};

describe('real Alertmanager', () => {
  let receiver: WebhookReceiver;
  let am: RunningAlertmanager;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    am = await startAlertmanager({ webhookUrl: receiver.url, groupWaitSeconds: 1 });
  });

  afterAll(async () => {
    await am?.stop();
    await receiver?.close();
  });

  it('accepts an alert on /api/v2/alerts and delivers a v4 webhook (firing, then resolved)', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const res = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: ALERT_LABELS,
          annotations: ALERT_ANNOTATIONS,
          startsAt,
          generatorURL: 'http://prometheus.example.com/graph?g0.expr=stuck_agents+%3E+0',
        },
      ]),
    });
    expect(res.status).toBe(200);

    const firing = await receiver.waitFor((w) => w.body.status === 'firing');
    expect(firing.body.version).toBe('4');
    expect(firing.body.groupKey).toBe('{}:{alertname="StuckDetected"}');
    expect(firing.body.receiver).toBe('incident-bot');
    expect(firing.body.alerts).toHaveLength(1);
    expect(firing.body.alerts[0]?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(firing.body.alerts[0]?.labels).toEqual(ALERT_LABELS);
    expect(firing.headers['content-type']).toContain('application/json');
    saveOrCompare('webhook-firing.json', firing.body);

    // the API lists it as active
    const list = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as { fingerprint: string; status: { state: string } }[];
    expect(list.map((a) => a.fingerprint)).toContain(firing.body.alerts[0]?.fingerprint);

    // resolve: the same alert again with endsAt in the past
    await am.postAlerts([
      {
        labels: ALERT_LABELS,
        annotations: ALERT_ANNOTATIONS,
        startsAt,
        endsAt: new Date(Date.now() - 1000).toISOString(),
        generatorURL: 'http://prometheus.example.com/graph?g0.expr=stuck_agents+%3E+0',
      },
    ]);
    const resolved = await receiver.waitFor((w) => w.body.status === 'resolved', 30_000);
    expect(resolved.body.alerts[0]?.status).toBe('resolved');
    expect(resolved.body.alerts[0]?.fingerprint).toBe(firing.body.alerts[0]?.fingerprint);
    expect(resolved.body.groupKey).toBe(firing.body.groupKey);
    expect(new Date(resolved.body.alerts[0]?.endsAt ?? 0).getTime()).toBeLessThan(Date.now());
    saveOrCompare('webhook-resolved.json', resolved.body);
  });

  it('receives alerts that a real Prometheus evaluates and sends', async () => {
    const exporter = await startExporter();
    exporter.set('stuck_agents', { agent: 'agent-9' }, 1);
    const prom = await startPrometheus({
      scrapeTargets: [{ job: 'memory-daemon', target: exporter.hostPort }],
      alertmanagerUrl: am.url,
      rules:
        'groups:\n  - name: t\n    rules:\n      - alert: StreamStuckAgent\n        expr: stuck_agents > 0\n        labels: { severity: high }\n',
    });
    try {
      const hook = await receiver.waitFor((w) => w.body.groupLabels.alertname === 'StreamStuckAgent', 30_000);
      expect(hook.body.alerts[0]?.labels).toMatchObject({
        alertname: 'StreamStuckAgent',
        agent: 'agent-9',
        severity: 'high',
        job: 'memory-daemon',
      });
      expect(hook.body.alerts[0]?.generatorURL).toContain('/graph?g0.expr=');
    } finally {
      await prom.stop();
      await exporter.close();
    }
  });

  it('runs several instances side by side (no cluster port, ephemeral web ports)', async () => {
    const [a, b] = await Promise.all([startAlertmanager({}), startAlertmanager({})]);
    try {
      expect(a.url).not.toBe(b.url);
      const status = (await (await fetch(`${a.url}/api/v2/status`)).json()) as { cluster: { status: string } };
      expect(status.cluster.status).toBe('disabled');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
