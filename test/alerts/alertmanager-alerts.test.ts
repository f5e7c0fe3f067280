import { alertFingerprint, type AlertEvent } from '../../src/alerts/alert-event';
import {
  alertsOfPost,
  createAlertmanagerAlerts,
  equalityMatcher,
  rendersTitle,
  TITLE_MATCH_MAX_STEPS,
  type AlertmanagerAlert,
} from '../../src/alerts/alertmanager-alerts';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager';

describe('equalityMatcher', () => {
  it('quotes the value and escapes what could end it or add a matcher', () => {
    expect(equalityMatcher('alertname', 'StuckDetected')).toBe('alertname="StuckDetected"');
    expect(equalityMatcher('alertname', 'a",job=~".*')).toBe('alertname="a\\",job=~\\".*"');
    expect(equalityMatcher('alertname', 'back\\slash\nline')).toBe('alertname="back\\\\slash\\nline"');
  });

  it('refuses a label name that is not one', () => {
    expect(() => equalityMatcher('alert name', 'x')).toThrow(/not a label name/);
  });
});

describe('alertsOfPost', () => {
  const am = (labels: Record<string, string>): AlertmanagerAlert => ({
    labels: { alertname: 'StuckDetected', ...labels },
    annotations: {},
    startsAt: new Date('2026-11-26T07:00:00Z'),
    fingerprint: alertFingerprint('StuckDetected', { alertname: 'StuckDetected', ...labels }),
  });
  const listed = [
    am({ agent: 'agent-7', severity: 'critical' }),
    am({ agent: 'agent-8', severity: 'critical' }),
    am({ agent: 'agent-7', severity: 'warning' }),
  ];
  const event = (over: Partial<AlertEvent> = {}): AlertEvent => ({
    name: 'StuckDetected',
    status: 'firing',
    labels: { alertname: 'StuckDetected' },
    annotations: {},
    fingerprint: 'f',
    startsAt: new Date(),
    source: 'alertmanager-slack',
    ...over,
  });

  it('a title-only post: every alert whose labels render to the title', () => {
    expect(alertsOfPost(event(), 'StuckDetected (agent-7 critical)', listed).map((a) => `${a.labels.agent}/${a.labels.severity}`)).toEqual([
      'agent-7/critical',
    ]);
    // A [FIRING:2] notification shows only what its alerts have in common.
    expect(alertsOfPost(event(), 'StuckDetected (critical)', listed)).toHaveLength(2);
    // Grouped by agent: the agent is before the parentheses.
    expect(alertsOfPost(event(), 'StuckDetected agent-8 (critical)', listed)).toEqual([listed[1]]);
    expect(alertsOfPost(event(), 'StuckDetected (agent-9 critical)', listed)).toEqual([]);
    // A value shown twice must be there twice; the order is SortedPairs' (alertname, then by name).
    expect(alertsOfPost(event(), 'StuckDetected (agent-7 agent-7)', listed)).toEqual([]);
    expect(alertsOfPost(event(), 'StuckDetected (critical agent-7)', listed)).toEqual([]);
  });

  it('a title-only post whose label values contain spaces: compared as rendered, never split on spaces', () => {
    const spaced = [
      am({ agent: 'agent 7', job: 'memory daemon', severity: 'critical' }),
      // Its values are the title's words: splitting the title on spaces would take it too, though it renders otherwise.
      am({ agent: 'daemon', instance: 'memory', job: '7', severity: 'critical', zone: 'agent' }),
      am({ agent: 'agent 7', job: 'memory daemon (eu)', severity: 'critical' }),
    ];
    expect(alertsOfPost(event(), 'StuckDetected (agent 7 memory daemon critical)', spaced)).toEqual([spaced[0]]);
    expect(alertsOfPost(event(), 'StuckDetected agent 7 (memory daemon critical)', spaced)).toEqual([spaced[0]]);
    expect(alertsOfPost(event(), 'StuckDetected (agent 7 memory daemon (eu) critical)', spaced)).toEqual([spaced[2]]);
    expect(alertsOfPost(event(), 'StuckDetected (agent 7 memory  daemon  critical)', spaced)).toEqual([spaced[0]]);
    expect(alertsOfPost(event(), 'StuckDetected (agent 8 memory daemon critical)', spaced)).toEqual([]);
    expect(alertsOfPost(event(), 'StuckDetected (daemon memory 7 critical agent)', spaced)).toEqual([spaced[1]]);
  });

  it('a post that listed its labels: the one alert with the same fingerprint', () => {
    const one = listed[1]!;
    expect(alertsOfPost(event({ fingerprint: one.fingerprint }), undefined, listed)).toEqual([one]);
  });
});

describe('rendersTitle', () => {
  // 64 labels, a fifth of the values with parentheses of their own: the most a real title asks of the matcher.
  const labels: Record<string, string> = { alertname: 'DiskFull' };
  for (let i = 0; i < 63; i++) labels[`k${String(i).padStart(2, '0')}`] = `value-${i}${i % 5 === 0 ? ' (x)' : ''}`;
  const values = Object.keys(labels)
    .filter((k) => k !== 'alertname')
    .sort()
    .map((k) => labels[k]!);
  const title = `DiskFull ${values.filter((_, i) => i < 10 && i % 2).join(' ')} (${values.filter((_, i) => i >= 10 && i % 3).join(' ')})`;

  it('matches a title of many labels within the step budget', () => {
    expect(rendersTitle(labels, title)).toBe(true);
    expect(rendersTitle(labels, title, TITLE_MATCH_MAX_STEPS / 4)).toBe(true);
  });

  it('gives up on a title that would take more steps than allowed, matching no alert rather than blocking intake', () => {
    expect(rendersTitle(labels, title, 50)).toBe(false);
    // Labels sharing one value and a title of nested parentheses: without the budget, seconds per alert.
    const same: Record<string, string> = { alertname: 'N' };
    for (let i = 0; i < 63; i++) same[`l${String(i).padStart(2, '0')}`] = 'a';
    expect(rendersTitle(same, `N ${'a '.repeat(30)}${'(a '.repeat(2700)}b)`)).toBe(false);
  });
});

describe('createAlertmanagerAlerts against a real Alertmanager', () => {
  let alertmanager: RunningAlertmanager;
  beforeAll(async () => {
    alertmanager = await startAlertmanager();
    await alertmanager.postAlerts([
      { labels: { alertname: 'StuckDetected', agent: 'agent-7', severity: 'critical' }, startsAt: '2026-11-26T06:30:00Z' },
      { labels: { alertname: 'Quote"d', job: 'x' } },
      { labels: { alertname: 'Other', agent: 'agent-7' } },
    ]);
  }, 60_000);
  afterAll(async () => {
    await alertmanager?.stop();
  });

  it('lists the active alerts of one name with their labels, start and Alertmanager fingerprint', async () => {
    const answer = await createAlertmanagerAlerts({ url: alertmanager.url }).byName('StuckDetected');
    if (!answer.ok) throw new Error(answer.reason);
    expect(answer.alerts).toEqual([
      {
        labels: { alertname: 'StuckDetected', agent: 'agent-7', severity: 'critical' },
        annotations: {},
        startsAt: new Date('2026-11-26T06:30:00Z'),
        fingerprint: alertFingerprint('StuckDetected', { alertname: 'StuckDetected', agent: 'agent-7', severity: 'critical' }),
      },
    ]);
  });

  it('a name carrying quotes and matcher syntax matches only itself', async () => {
    const amAlerts = createAlertmanagerAlerts({ url: alertmanager.url });
    const quoted = await amAlerts.byName('Quote"d');
    expect(quoted.ok && quoted.alerts.map((a) => a.labels.alertname)).toEqual(['Quote"d']);
    const injected = await amAlerts.byName('x",alertname=~".+');
    expect(injected).toEqual({ ok: true, alerts: [] });
  });

  it('says why when Alertmanager does not answer, without the credentials of its URL', async () => {
    const closed = `http://user:s3cret@127.0.0.1:1`;
    const answer = await createAlertmanagerAlerts({ url: closed, timeoutMs: 1_000 }).byName('StuckDetected');
    expect(answer.ok).toBe(false);
    expect(JSON.stringify(answer)).toMatch(/Alertmanager did not answer/);
    expect(JSON.stringify(answer)).not.toContain('s3cret');
  });
});
