import { validateBlocks } from '../../../src/emulator/block-kit-limits';
import { ALERT_ACTION_IDS, acknowledgementLine, renderAlertMessage } from '../../../src/slack/blocks/alert-blocks';
import type { AlertRecord } from '../../../src/domain/alert';

const T0 = new Date('2026-01-11T10:02:00Z');

function alert(over: Partial<AlertRecord> = {}): AlertRecord {
  return {
    id: 42,
    fingerprint: '75c90cb38f76d1c6',
    name: 'StuckDetected',
    source: 'alertmanager-slack',
    severity: 'P1',
    status: 'firing',
    labels: { alertname: 'StuckDetected', agent: 'agent-7', severity: 'high' },
    annotations: { summary: 'Agent agent-7 is stuck' },
    generatorURL: null,
    startsAt: T0,
    endsAt: null,
    firstSeenAt: T0,
    lastSeenAt: T0,
    fireCount: 1,
    resolvedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    channelId: 'C0INCIDENTS',
    messageTs: '1700000000.000100',
    replyTs: null,
    escalationLevel: 0,
    incidentId: null,
    labelsFrom: 'sender',
    groupId: null,
    ...over,
  };
}

const sla = new Date(T0.getTime() + 15 * 60_000);
const render = (a: AlertRecord, kind: 'reply' | 'post' = 'reply') => renderAlertMessage(a, { kind, slaDeadline: sla });
const text = (m: { blocks: unknown[] }) => JSON.stringify(m.blocks);
const buttons = (m: { blocks: unknown[] }) =>
  (m.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? []);

describe('renderAlertMessage', () => {
  it('shows severity, labels, the SLA deadline and the four buttons, each carrying only the alert id', () => {
    const m = render(alert());
    expect(validateBlocks(m.blocks)).toEqual([]);
    expect(text(m)).toContain('P1 (high)');
    expect(text(m)).toContain('*Acknowledge by:* 10:17 UTC (P1 SLA: 15 min)');
    expect(text(m)).toContain('`agent=agent-7`');
    expect(buttons(m).map((b) => b.action_id)).toEqual([
      ALERT_ACTION_IDS.acknowledge,
      ALERT_ACTION_IDS.diagnose,
      ALERT_ACTION_IDS.openIncident,
      ALERT_ACTION_IDS.silence,
    ]);
    expect(new Set(buttons(m).map((b) => b.value))).toEqual(new Set(['42']));
  });

  it('gives a deadline on another day its date (a P3 has 24 h), and says "SLA missed" once it has passed unacknowledged', () => {
    const p3 = alert({ severity: 'P3' });
    const tomorrow = new Date(T0.getTime() + 24 * 3600_000);
    expect(text(renderAlertMessage(p3, { kind: 'reply', slaDeadline: tomorrow, now: T0 }))).toContain(
      '*Acknowledge by:* 2026-01-12 10:02 UTC (P3 SLA: 1 d)',
    );
    const missed = renderAlertMessage(alert(), { kind: 'reply', slaDeadline: sla, now: new Date(sla.getTime() + 1000) });
    expect(text(missed)).toContain(':warning: *SLA missed:* not acknowledged by 10:17 UTC (P1 SLA: 15 min)');
    expect(text(missed)).not.toContain('Acknowledge by');
    expect(buttons(missed).map((b) => b.action_id)).toContain(ALERT_ACTION_IDS.acknowledge);
    const acked = alert({ acknowledgedAt: new Date(sla.getTime() + 60_000), acknowledgedBy: 'U0ONCALL01' });
    expect(text(renderAlertMessage(acked, { kind: 'reply', slaDeadline: sla, now: new Date(sla.getTime() + 120_000) }))).not.toContain(
      'SLA missed',
    );
  });

  it('does not offer Silence when ALERTMANAGER_URL is not set', () => {
    expect(buttons(renderAlertMessage(alert(), { kind: 'reply', slaDeadline: sla, silence: false })).map((b) => b.action_id)).not.toContain(
      ALERT_ACTION_IDS.silence,
    );
  });

  it('counts re-fires: "fired 5× since 10:02 UTC"', () => {
    expect(text(render(alert({ fireCount: 5 })))).toContain('fired 5× since 10:02 UTC');
    expect(text(render(alert()))).not.toContain('fired 1×');
  });

  it('says who acknowledged and how fast, and drops the Acknowledge button', () => {
    const acked = alert({ acknowledgedAt: new Date(T0.getTime() + 2 * 60_000), acknowledgedBy: 'U0ONCALL01' });
    const m = render(acked);
    expect(text(m)).toContain('*Acknowledged* by <@U0ONCALL01> 2 min after firing, within the P1 SLA of 15 min');
    expect(buttons(m).map((b) => b.action_id)).not.toContain(ALERT_ACTION_IDS.acknowledge);
    expect(acknowledgementLine({ ...acked, acknowledgedAt: new Date(T0.getTime() + 20 * 60_000) })).toContain(
      'outside the P1 SLA of 15 min',
    );
  });

  it('once resolved shows the time and no buttons', () => {
    const m = render(alert({ status: 'resolved', resolvedAt: new Date('2026-01-11T10:40:00Z') }), 'post');
    expect(text(m)).toContain('[RESOLVED] StuckDetected');
    expect(text(m)).toContain('*Resolved* at 10:40 UTC');
    expect(buttons(m)).toEqual([]);
  });

  it('escapes every value from the alert: no <!channel>, no user mention, no link', () => {
    const hostile = alert({
      name: '<!channel> Stuck',
      labels: { alertname: 'x', agent: '<@U0BOSS> <https://evil.example|click>', '<!here>': 'v' },
      annotations: { summary: '<!everyone> & friends' },
      acknowledgedAt: new Date(T0.getTime() + 60_000),
      acknowledgedBy: '<!channel>',
    });
    const all = JSON.stringify(render(hostile, 'post'));
    expect(all).not.toMatch(/<!channel>|<!here>|<!everyone>|<@U0BOSS>|<https:/);
    expect(all).toContain('&lt;!channel&gt; Stuck');
    expect(all).toContain('&lt;!everyone&gt; &amp; friends');
  });

  it('stays within Block Kit limits with huge names, labels and annotations', () => {
    const labels = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`label_${i}_${'k'.repeat(100)}`, 'v'.repeat(1024)]));
    const m = render(alert({ name: 'N'.repeat(200), labels, annotations: { summary: 'S'.repeat(4096) }, fireCount: 99999 }), 'post');
    expect(validateBlocks(m.blocks)).toEqual([]);
    expect(m.text.length).toBeLessThan(40_000);
  });

  it('for a title-only post names the values it saw, the labels Diagnose lacks, and how to get them', () => {
    const titleOnly = alert({
      labels: { alertname: 'StuckDetected', severity: 'critical' },
      annotations: { context: 'agent-7 memory-daemon critical' },
      labelsFrom: 'title',
    });
    const without = text(
      renderAlertMessage(titleOnly, { kind: 'reply', slaDeadline: sla, labelsNeeded: ['agent'], alertmanagerConfigured: false }),
    );
    expect(without).toContain(
      '*Labels unknown:* the post shows only label values (`agent-7` `memory-daemon` `critical`), not their names.',
    );
    expect(without).toContain('Diagnose needs `agent`.');
    expect(without).toContain('Set ALERTMANAGER_URL and the bot reads them from Alertmanager.');
    const withAm = text(
      renderAlertMessage(titleOnly, { kind: 'reply', slaDeadline: sla, labelsNeeded: ['agent'], alertmanagerConfigured: true }),
    );
    expect(withAm).toContain('Alertmanager (ALERTMANAGER_URL) lists no active alert matching them.');
  });

  it("says when the labels were read from Alertmanager, and shows the alert's own start time", () => {
    const startsAt = new Date('2026-01-11T09:40:00Z');
    const m = text(render(alert({ labelsFrom: 'alertmanager', startsAt })));
    expect(m).toContain('labels from Alertmanager');
    expect(m).toContain('firing since 2026-01-11 09:40 UTC');
    expect(m).not.toContain('Labels unknown');
  });
});
