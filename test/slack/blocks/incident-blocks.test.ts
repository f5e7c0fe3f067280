import { validateBlocks, validateView } from '../../../src/emulator/block-kit-limits';
import { createNotifications } from '../../../src/incidents/templates';
import { escapeMrkdwn } from '../../../src/slack/blocks/mrkdwn';
import {
  chooseIncidentText,
  escalationText,
  openIncidentModal,
  parseOpenIncidentSubmission,
  POSTMORTEM_ACTION_ID,
  renderIncidentList,
  renderIncidentStatus,
  renderNotification,
  statusReminderText,
} from '../../../src/slack/blocks/incident-blocks';
import type { AlertRecord } from '../../../src/domain/alert';
import type { Incident } from '../../../src/domain/incident';
import { HOSTILE, incidentFixture, noPing, T0 } from '../../support/incident-fixture';
import type { TimelineEvent } from '../../../src/domain/timeline-event';

const incident = (over: Partial<Incident> = {}): Incident =>
  incidentFixture({ nextUpdateDueAt: new Date(T0.getTime() + 30 * 60_000), ...over });

describe('incident renderers', () => {
  it('a template notification becomes one section, with the post-mortem button when offered', () => {
    const notifications = createNotifications(
      { incidentOpened: 'INCIDENT {{title}} {{incident_id}}', statusUpdate: '{{update}}', incidentResolved: 'RESOLVED {{title}}' },
      escapeMrkdwn,
    );
    const opened = renderNotification(notifications.incidentOpened(incident({ title: HOSTILE })));
    expect(validateBlocks(opened.blocks)).toEqual([]);
    noPing(JSON.stringify(opened));
    const resolved = renderNotification('RESOLVED', { postmortemFor: 'INC-20260111100200' });
    expect(JSON.stringify(resolved.blocks)).toContain(`"action_id":"${POSTMORTEM_ACTION_ID}","value":"INC-20260111100200"`);
    expect(validateBlocks(renderNotification('x'.repeat(10_000)).blocks)).toEqual([]);
  });

  it('status shows the record and the latest timeline, escaped and within limits', () => {
    const timeline: TimelineEvent[] = Array.from({ length: 200 }, (_, i) => ({
      id: i,
      incidentId: 'INC-20260111100200',
      at: new Date(T0.getTime() + i * 60_000),
      actor: i % 2 ? 'U0ONCALL01' : HOSTILE,
      kind: 'status_update',
      text: `${HOSTILE} ${'t'.repeat(500)}`,
      data: {},
    }));
    const m = renderIncidentStatus(
      incident({ title: HOSTILE, impact: HOSTILE, acknowledgedAt: T0, acknowledgedBy: 'U0ONCALL01' }),
      timeline,
    );
    expect(validateBlocks(m.blocks)).toEqual([]);
    noPing(JSON.stringify(m));
    expect(JSON.stringify(m.blocks)).toContain('185 earlier events not shown');
    expect(JSON.stringify(m.blocks)).toContain('by <@U0ONCALL01>');
  });

  it('list and the "which incident?" answer stay within limits and escape titles', () => {
    const many = Array.from({ length: 120 }, (_, i) =>
      incident({ id: `INC-2026011110${String(i).padStart(4, '0')}`, title: `${HOSTILE} ${'x'.repeat(200)}` }),
    );
    const list = renderIncidentList(many);
    expect(validateBlocks(list.blocks)).toEqual([]);
    noPing(JSON.stringify(list));
    expect(JSON.stringify(list.blocks)).toContain('<#C0OPS>');
    expect(renderIncidentList([]).text).toBe('No active incidents.');
    noPing(chooseIncidentText(many, '/incident ack [INC-ID]'));
    expect(chooseIncidentText([], '/incident update <text>')).toContain('no active incident in this channel');
  });

  it('the reminder and the escalation page say what to do; only configured Slack ids become mentions', () => {
    expect(statusReminderText(incident())).toBe(
      ':alarm_clock: Status update overdue for *INC-20260111100200* (P1): last update none since it opened at 2026-01-11 10:02 UTC; post one with `/incident update <text>`',
    );
    const alert = { name: HOSTILE, severity: 'P0', startsAt: T0 } as AlertRecord;
    const now = new Date(T0.getTime() + 12 * 60_000);
    const group = escalationText(alert, { level: 1, name: 'L1', targets: ['S0ONCALL'], afterMinutes: 0 }, 'S0ONCALL', now);
    expect(group).toContain('*Escalation L1* <!subteam^S0ONCALL>');
    expect(group).toContain('unacknowledged for 12 min (SLA 5 min)');
    noPing(group);
    expect(escalationText(alert, { level: 2, name: 'L2', targets: ['U0LEAD'], afterMinutes: 15 }, 'U0LEAD', now)).toContain('<@U0LEAD>');
    expect(escalationText(alert, { level: 2, name: 'L2', targets: ['<!channel>'], afterMinutes: 15 }, '<!channel>', now)).not.toContain(
      '<!channel>',
    );
  });

  it('the open modal is valid, and its submission is read (with field errors)', () => {
    const view = openIncidentModal('C0OPS');
    expect(validateView(view)).toEqual([]);
    const values = (title: string, severity?: string, impact = '') => ({
      title: { value: { type: 'plain_text_input', value: title } },
      severity: { value: { type: 'static_select', selected_option: severity ? { value: severity } : null } },
      impact: { value: { type: 'plain_text_input', value: impact } },
    });
    expect(
      parseOpenIncidentSubmission({
        state: { values: values('DB down', 'P1', 'Checkout fails') },
        private_metadata: view.private_metadata,
      }),
    ).toEqual({
      ok: true,
      title: 'DB down',
      severity: 'P1',
      impact: 'Checkout fails',
      channelId: 'C0OPS',
    });
    expect(parseOpenIncidentSubmission({ state: { values: values(' ', 'P9') } })).toEqual({
      ok: false,
      errors: { title: 'Give the incident a title.', severity: 'Pick a severity.' },
    });
    const forged = parseOpenIncidentSubmission({ state: { values: values('x', 'P2') }, private_metadata: '{"channel_id":"<!channel>"}' });
    expect(forged).toEqual({ ok: true, title: 'x', severity: 'P2' });
    // The start of impact, when it began before the incident is opened: a UTC time of day, as `started=HH:MM`.
    const started = (text: string) => ({
      ...values('Checkout errors', 'P1'),
      started: { value: { type: 'plain_text_input', value: text } },
    });
    expect(parseOpenIncidentSubmission({ state: { values: started('09:58') } })).toEqual({
      ok: true,
      title: 'Checkout errors',
      severity: 'P1',
      started: { hour: 9, minute: 58 },
    });
    expect(parseOpenIncidentSubmission({ state: { values: started('9.58am') } })).toEqual({
      ok: false,
      errors: { started: 'Write the time as HH:MM in UTC, e.g. 09:58.' },
    });
  });
});
