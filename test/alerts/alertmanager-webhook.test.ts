import fs from 'node:fs';
import path from 'node:path';
import { alertFingerprint } from '../../src/alerts/alert-event';
import { parseAlertmanagerWebhook } from '../../src/alerts/alertmanager-webhook';

const load = (name: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/alertmanager', name), 'utf8')) as Record<string, unknown>;

describe('Alertmanager webhook (v4)', () => {
  it('parses the payload captured from the real Alertmanager', () => {
    const r = parseAlertmanagerWebhook(load('webhook-firing.json'));
    if (!r.ok) throw new Error(r.message);
    expect(r.webhook).toMatchObject({
      groupKey: '{}:{alertname="StuckDetected"}',
      receiver: 'incident-bot',
      status: 'firing',
      rejected: [],
    });
    expect(r.webhook.alerts).toEqual([
      {
        name: 'StuckDetected',
        status: 'firing',
        labels: {
          agent: 'agent-7',
          alertname: 'StuckDetected',
          instance: 'memory-daemon:9100',
          job: 'memory-daemon',
          severity: 'critical',
        },
        annotations: expect.objectContaining({ summary: 'Agent agent-7 has been stuck for more than 10 minutes' }),
        fingerprint: '75c90cb38f76d1c6',
        startsAt: new Date('2026-11-22T09:03:05.959Z'),
        source: 'alertmanager-webhook',
        generatorURL: 'http://prometheus.example.com/graph?g0.expr=stuck_agents+%3E+0',
        groupKey: '{}:{alertname="StuckDetected"}',
      },
    ]);
    // Go's zero time means "not ended": no endsAt.
    expect(r.webhook.alerts[0]!.endsAt).toBeUndefined();
  });

  it('parses the resolved payload with its end time and the same fingerprint', () => {
    const r = parseAlertmanagerWebhook(load('webhook-resolved.json'));
    if (!r.ok) throw new Error(r.message);
    const [a] = r.webhook.alerts;
    expect(a).toMatchObject({ status: 'resolved', fingerprint: '75c90cb38f76d1c6' });
    expect(a!.endsAt).toBeInstanceOf(Date);
  });

  it('reports a malformed alert and lets the rest of the batch through', () => {
    const body = load('webhook-firing.json');
    const good = (body.alerts as Record<string, unknown>[])[0]!;
    const second = { ...good, labels: { alertname: 'MemoryUsageHigh', severity: 'high' }, fingerprint: undefined };
    body.alerts = [
      good,
      { ...good, labels: { job: 'x' } },
      { ...good, status: 'exploded' },
      'not an object',
      { ...good, startsAt: 'yesterday' },
      second,
    ];
    const r = parseAlertmanagerWebhook(body);
    if (!r.ok) throw new Error(r.message);
    expect(r.webhook.alerts.map((a) => a.name)).toEqual(['StuckDetected', 'MemoryUsageHigh']);
    // No fingerprint given: computed the way Alertmanager would.
    expect(r.webhook.alerts[1]!.fingerprint).toBe(alertFingerprint('MemoryUsageHigh', { alertname: 'MemoryUsageHigh', severity: 'high' }));
    expect(r.webhook.rejected.map((x) => x.index)).toEqual([1, 2, 3, 4]);
    expect(r.webhook.rejected[0]!.message).toMatch(/^alerts\[1\]: labels\.alertname has no alertname label/);
    expect(r.webhook.rejected[1]!.message).toMatch(/^alerts\[2\]: status/);
    expect(r.webhook.rejected[3]!.message).toMatch(/^alerts\[4\]: startsAt is not an RFC 3339 timestamp/);
  });

  it('refuses a payload that is not a v4 webhook, saying why', () => {
    const body = load('webhook-firing.json');
    expect(parseAlertmanagerWebhook({ ...body, version: '3' })).toEqual({ ok: false, message: expect.stringContaining('version') });
    expect(parseAlertmanagerWebhook({ hello: 'world' })).toMatchObject({ ok: false });
    expect(parseAlertmanagerWebhook(null)).toMatchObject({ ok: false });
  });

  it('sanitizes labels from the webhook too', () => {
    const body = load('webhook-firing.json');
    const good = (body.alerts as Record<string, unknown>[])[0]!;
    body.alerts = [{ ...good, labels: { alertname: 'X\u0000Y', note: 'a\u001bb' } }];
    const r = parseAlertmanagerWebhook(body);
    if (!r.ok) throw new Error(r.message);
    expect(r.webhook.alerts[0]).toMatchObject({ name: 'XY', labels: { alertname: 'XY', note: 'ab' } });
  });
});
