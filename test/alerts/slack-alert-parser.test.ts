import fs from 'node:fs';
import path from 'node:path';
import { alertFingerprint, LABEL_LIMITS, sanitizeLabels } from '../../src/alerts/alert-event';
import { compileAlertPatterns, parseSlackAlert, slackTsToDate, type SlackAlertMessage } from '../../src/alerts/slack-alert-parser';
import { BotError } from '../../src/errors';

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/slack/event-alertmanager-bot-message.json'), 'utf8')) as {
  event: SlackAlertMessage & { ts: string };
};
const receivedAt = new Date('2026-01-11T10:02:00Z');

describe('Alertmanager posts in Slack', () => {
  it('reads the captured Alertmanager post: name, labels, annotations, an Alertmanager-compatible fingerprint', () => {
    const [event, ...rest] = parseSlackAlert(fixture.event, { receivedAt: slackTsToDate(fixture.event.ts) });
    expect(rest).toEqual([]);
    const labels = { alertname: 'StuckDetected', env: 'prod', instance: 'worker-7', job: 'memory-daemon', severity: 'critical' };
    expect(event).toEqual({
      name: 'StuckDetected',
      status: 'firing',
      labels,
      annotations: {
        summary: 'Agent worker-7 has made no progress for 15 minutes',
        description: 'agent_last_progress_timestamp_seconds has not advanced since 2023-11-14T22:00:00Z',
      },
      fingerprint: alertFingerprint('StuckDetected', labels),
      startsAt: new Date('2023-11-14T22:13:20.000Z'),
      source: 'alertmanager-slack',
      groupKey: 'alertmanager-slack:StuckDetected',
    });
  });

  it('reads the default template (title only) and matches its [RESOLVED] post by fingerprint', () => {
    const post = (title: string): SlackAlertMessage => ({
      subtype: 'bot_message',
      text: '',
      username: 'Alertmanager',
      attachments: [{ title, title_link: 'http://alertmanager.internal:9093/#/alerts?receiver=slack', text: '', color: 'danger' }],
    });
    const [firing] = parseSlackAlert(post('[FIRING:2] StuckDetected (prod worker-7 critical)'), { receivedAt });
    const [resolved] = parseSlackAlert(post('[RESOLVED] StuckDetected (prod worker-7 critical)'), { receivedAt });
    const [other] = parseSlackAlert(post('[FIRING:1] StuckDetected (prod worker-8 critical)'), { receivedAt });
    expect(firing).toMatchObject({ name: 'StuckDetected', status: 'firing', labels: { alertname: 'StuckDetected', severity: 'critical' } });
    expect(firing!.annotations.context).toBe('prod worker-7 critical');
    expect(firing!.generatorURL).toBe('http://alertmanager.internal:9093/#/alerts?receiver=slack');
    expect(resolved).toMatchObject({ status: 'resolved', fingerprint: firing!.fingerprint });
    expect(other!.fingerprint).not.toBe(firing!.fingerprint);
    // The label names are unknown: what the title shows is kept for the Alertmanager look-up and the reply.
    expect(firing).toMatchObject({
      labelsFrom: 'title',
      titleShows: 'StuckDetected (prod worker-7 critical)',
      groupKey: 'alertmanager-slack:StuckDetected',
    });
    expect(resolved!.groupKey).toBe(firing!.groupKey);
  });

  it('reads the label-list template (" - name = value"), one event per alert, firing and resolved sections', () => {
    const text = [
      'Alerts Firing:',
      'Labels:',
      ' - alertname = QueryLatencyP95High',
      ' - instance = db-1',
      ' - severity = high',
      'Annotations:',
      ' - summary = p95 latency 1.4 s &gt; 1 s',
      'Source: <http://prometheus:9090/graph?g0.expr=x&amp;g0.tab=1>',
      'Labels:',
      ' - alertname = QueryLatencyP95High',
      ' - instance = db-2',
      ' - severity = high',
      'Annotations:',
      'Source: http://prometheus:9090/graph',
      '',
      'Alerts Resolved:',
      'Labels:',
      ' - alertname = QueryLatencyP95High',
      ' - instance = db-3',
      'Annotations:',
    ].join('\n');
    const events = parseSlackAlert(
      { username: 'Alertmanager', attachments: [{ title: '[FIRING:2, RESOLVED:1] QueryLatencyP95High', text }] },
      { receivedAt },
    );
    expect(events.map((e) => [e.labels.instance, e.status])).toEqual([
      ['db-1', 'firing'],
      ['db-2', 'firing'],
      ['db-3', 'resolved'],
    ]);
    expect(events[0]!.annotations.summary).toBe('p95 latency 1.4 s > 1 s');
    expect(events[0]!.generatorURL).toBe('http://prometheus:9090/graph?g0.expr=x&g0.tab=1');
    expect(events[0]!.fingerprint).toBe(alertFingerprint('QueryLatencyP95High', events[0]!.labels));
  });

  it('gives a post that lists all labels the same fingerprint as the webhook (Alertmanager computes it the same way)', () => {
    const text =
      ' - agent = agent-7\n - alertname = StuckDetected\n - instance = memory-daemon:9100\n - job = memory-daemon\n - severity = critical';
    const [e] = parseSlackAlert({ attachments: [{ title: '[FIRING:1] StuckDetected', text: `Labels:\n${text}` }] }, { receivedAt });
    // The fingerprint Alertmanager put in test/fixtures/alertmanager/webhook-firing.json for this label set.
    expect(e!.fingerprint).toBe('75c90cb38f76d1c6');
  });

  it('reads a plain-text post whose first line is the title', () => {
    const [e] = parseSlackAlert({ text: '*[FIRING:1] DaemonNotRunning*\n*Alert:* memory daemon is down - `critical`' }, { receivedAt });
    expect(e).toMatchObject({ name: 'DaemonNotRunning', status: 'firing', labels: { severity: 'critical' } });
  });

  it('answers [] for a message that is not an alert', () => {
    expect(parseSlackAlert({ text: 'anyone seeing slowness on prod?' }, { receivedAt })).toEqual([]);
    expect(parseSlackAlert({ attachments: [{ title: 'Deploy finished', text: 'v1.2.3' }] }, { receivedAt })).toEqual([]);
  });
});

describe('Grafana posts in Slack', () => {
  it('reads unified alerting (title like Alertmanager, **Firing** sections, footer Grafana)', () => {
    const text = [
      '**Firing**',
      '',
      'Value: B=97.2',
      'Labels:',
      ' - alertname = CPUUsageSustainedHigh',
      ' - grafana_folder = Infra',
      ' - instance = web-1',
      'Annotations:',
      ' - summary = CPU above 95% for 10 minutes',
      'Source: <http://grafana.local/alerting/grafana/cdx1/view?orgId=1>',
      'Silence: <http://grafana.local/alerting/silence/new?alertmanager=grafana&amp;matcher=alertname%3DCPU>',
      'Dashboard: <http://grafana.local/d/abc?orgId=1>',
      '',
      '**Resolved**',
      '',
      'Value: B=40',
      'Labels:',
      ' - alertname = CPUUsageSustainedHigh',
      ' - instance = web-2',
      'Annotations:',
    ].join('\n');
    const events = parseSlackAlert(
      {
        username: 'grafana',
        attachments: [
          {
            title: '[FIRING:1, RESOLVED:1] CPUUsageSustainedHigh Infra',
            title_link: 'http://grafana.local/alerting/list',
            text,
            footer: 'Grafana v10.4.1',
          },
        ],
      },
      { receivedAt },
    );
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      name: 'CPUUsageSustainedHigh',
      status: 'firing',
      source: 'grafana-slack',
      labels: { instance: 'web-1', grafana_folder: 'Infra' },
      annotations: { summary: 'CPU above 95% for 10 minutes', value: 'B=97.2' },
      generatorURL: 'http://grafana.local/alerting/grafana/cdx1/view?orgId=1',
    });
    expect(events[1]).toMatchObject({ status: 'resolved', labels: { instance: 'web-2' } });
  });

  it('reads legacy alerting titles: [Alerting] fires, [OK] resolves the same alert', () => {
    const post = (title: string): SlackAlertMessage => ({
      username: 'Grafana',
      attachments: [{ title, text: 'CPU is high', footer: 'Grafana v7.5.0' }],
    });
    const [fire] = parseSlackAlert(post('[Alerting] High CPU alert'), { receivedAt });
    const [ok] = parseSlackAlert(post('[OK] High CPU alert'), { receivedAt });
    expect(fire).toMatchObject({ name: 'High CPU alert', status: 'firing', source: 'grafana-slack' });
    expect(ok).toMatchObject({ status: 'resolved', fingerprint: fire!.fingerprint });
  });
});

describe('configured patterns for other senders', () => {
  const patterns = compileAlertPatterns([
    {
      name: 'nagios',
      regex: '^(?<status>PROBLEM|RECOVERY): (?<name>\\S+) on (?<host>\\S+)',
      senders: ['nagios'],
      resolvedWords: ['RECOVERY'],
    },
  ]);

  it('turns named groups into name, status and labels', () => {
    const [p] = parseSlackAlert({ username: 'nagios', text: 'PROBLEM: DiskSpaceWarning on db-1 is 91% full' }, { receivedAt, patterns });
    const [r] = parseSlackAlert({ username: 'nagios', text: 'RECOVERY: DiskSpaceWarning on db-1' }, { receivedAt, patterns });
    expect(p).toMatchObject({
      name: 'DiskSpaceWarning',
      status: 'firing',
      source: 'pattern',
      labels: { alertname: 'DiskSpaceWarning', host: 'db-1' },
    });
    expect(r).toMatchObject({ status: 'resolved', fingerprint: p!.fingerprint });
  });

  it('only tries the listed senders', () => {
    expect(parseSlackAlert({ username: 'someone', text: 'PROBLEM: X on y' }, { receivedAt, patterns })).toEqual([]);
  });

  it('refuses a pattern that does not compile or cannot name the alert, naming the pattern', () => {
    const bad = (regex: string) => () => compileAlertPatterns([{ name: 'pager', regex }]);
    expect(bad('(?<name>unclosed')).toThrow(/alert pattern "pager": the regex does not compile/);
    expect(bad('^ALERT (?<host>\\S+)')).toThrow(/alert pattern "pager": the regex needs a named group \(\?<name>…\)/);
    expect(bad('(')).toThrow(BotError);
  });
});

describe('untrusted labels', () => {
  it('strips control characters and bidi overrides, caps keys, values and count', () => {
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${String(i).padStart(3, '0')}`, 'v']));
    const labels = sanitizeLabels({
      ...many,
      'a\u0000b': 'x\u001b[31my\u202e',
      long: 'v'.repeat(5000),
      ['k'.repeat(300)]: 'y',
      n: 3,
      obj: { x: 1 },
    });
    expect(Object.keys(labels)).toHaveLength(LABEL_LIMITS.maxLabels);
    expect(labels.ab).toBe('x[31my');
    expect(Object.keys(labels).every((k) => k.length <= LABEL_LIMITS.maxKeyLength)).toBe(true);
    expect(Object.values(labels).every((v) => v.length <= LABEL_LIMITS.maxValueLength)).toBe(true);
    expect(sanitizeLabels({ description: 'line 1\nline 2\u0007' }, 'annotations')).toEqual({ description: 'line 1\nline 2' });
    expect(sanitizeLabels('nope')).toEqual({});
  });

  it('keeps a hostile post parseable and bounded', () => {
    const lines = Array.from({ length: 500 }, (_, i) => ` - l${i} = ${'x'.repeat(3000)}`).join('\n');
    const [e] = parseSlackAlert(
      { attachments: [{ title: '[FIRING:1] Evil\u0007Name', text: `Labels:\n - alertname = Evil\u0007Name\n${lines}` }] },
      { receivedAt },
    );
    expect(e!.name).toBe('EvilName');
    expect(Object.keys(e!.labels).length).toBeLessThanOrEqual(LABEL_LIMITS.maxLabels);
    expect(e!.labels.alertname).toBe('EvilName');
  });
});
