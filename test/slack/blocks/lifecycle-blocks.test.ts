import { validateBlocks, validateView } from '../../../src/emulator/block-kit-limits';
import type { RunbookContact } from '../../../src/domain/escalation';
import { statusReminderText } from '../../../src/slack/blocks/incident-blocks';
import {
  chooseIncidentToResolveText,
  INCIDENT_ACTION_IDS,
  incidentActionsBlock,
  incidentEscalationText,
  parseResolveSubmission,
  promotedText,
  resolveModal,
  routedCopy,
  whoToCallBlock,
} from '../../../src/slack/blocks/lifecycle-blocks';
import type { Incident } from '../../../src/domain/incident';
import { HOSTILE, incidentFixture, noPing, T0 } from '../../support/incident-fixture';

const incident = (over: Partial<Incident> = {}): Incident => incidentFixture({ ...over });

const submission = (values: Record<string, Record<string, unknown>>, meta: Record<string, unknown>) => ({
  state: { values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v }])) },
  private_metadata: JSON.stringify(meta),
});

describe('lifecycle renderers', () => {
  it('an active incident offers Mitigated and Resolve; a mitigated one only Resolve; a resolved one nothing', () => {
    const open = incidentActionsBlock(incident())!;
    expect(validateBlocks([open])).toEqual([]);
    expect(open.elements.map((e) => ('action_id' in e ? e.action_id : ''))).toEqual([
      INCIDENT_ACTION_IDS.mitigated,
      INCIDENT_ACTION_IDS.resolve,
    ]);
    expect(incidentActionsBlock(incident({ status: 'mitigated' }))!.elements).toHaveLength(1);
    expect(incidentActionsBlock(incident({ status: 'resolved' }))).toBeUndefined();
  });

  it('the resolve modal is valid with a known incident and with a picker; its submission needs root cause and resolution', () => {
    const known = resolveModal({ incidentId: 'INC-20260111100200', channelId: 'C0OPS', resolution: 'rolled back' });
    expect(validateView(known)).toEqual([]);
    const many = Array.from({ length: 3 }, (_, i) => incident({ id: `INC-2026011110020${i}`, title: HOSTILE }));
    const picker = resolveModal({ choices: many, channelId: 'C0OPS' });
    expect(validateView(picker)).toEqual([]);
    expect(JSON.stringify(picker)).toContain('"block_id":"incident"');

    const ok = parseResolveSubmission(
      submission(
        { root_cause: { value: ' pool too small ' }, resolution: { value: 'resized' } },
        { channel_id: 'C0OPS', incident_id: 'INC-20260111100200' },
      ),
    );
    expect(ok).toEqual({
      ok: true,
      incidentId: 'INC-20260111100200',
      rootCause: 'pool too small',
      resolution: 'resized',
      channelId: 'C0OPS',
    });
    const picked = parseResolveSubmission(
      submission(
        { incident: { selected_option: { value: 'INC-20260111100201' } }, root_cause: { value: 'x' }, resolution: { value: 'y' } },
        { channel_id: 'C0OPS' },
      ),
    );
    expect(picked).toMatchObject({ ok: true, incidentId: 'INC-20260111100201' });
    expect(parseResolveSubmission(submission({ root_cause: { value: ' ' }, resolution: { value: '' } }, { channel_id: 'C0OPS' }))).toEqual({
      ok: false,
      errors: {
        incident: 'Choose the incident to resolve.',
        root_cause: 'Give the root cause (what made it happen), even if provisional.',
        resolution: 'Say what was done to fix it.',
      },
    });
    // A forged incident value is refused, not looked up.
    expect(
      parseResolveSubmission(
        submission(
          { incident: { selected_option: { value: "INC-1'; DROP" } }, root_cause: { value: 'x' }, resolution: { value: 'y' } },
          {},
        ),
      ),
    ).toMatchObject({ ok: false });
  });

  it('the reminder names the lead only when urgent; escalation and promotion texts mention configured ids only', () => {
    expect(statusReminderText(incident({ severity: 'P0', acknowledgedBy: 'U0LEAD' }), true)).toContain(
      ':alarm_clock: <@U0LEAD> Status update overdue',
    );
    expect(statusReminderText(incident({ severity: 'P3' }))).not.toContain('<@');
    const page = incidentEscalationText(
      incident({ title: HOSTILE }),
      { level: 2, name: 'L2', targets: [], afterMinutes: 15 },
      ['S0DBA', 'U0LEAD', '<!channel>'],
      new Date(T0.getTime() + 16 * 60_000),
    );
    expect(page).toContain('*Escalation L2* <!subteam^S0DBA> <@U0LEAD>');
    expect(page).toContain('not mitigated 16 min after it started');
    noPing(page);
    expect(promotedText(incident({ severity: 'P0' }), 'P1', new Date(T0.getTime() + 31 * 60_000))).toContain('raised from P1 to *P0*');
  });

  it('who to call lists every contact, "not configured" with the variable when unset', () => {
    const contacts: RunbookContact[] = [
      { role: 'Primary On-Call', level: 'L1', when: 'P0 alerts', variable: 'CONTACT_ONCALL', ids: ['S0ONCALL'] },
      { role: 'Database Admin', area: 'database', level: 'L2', when: 'PostgreSQL issues', variable: 'CONTACT_DBA', ids: [] },
    ];
    const block = whoToCallBlock(contacts)!;
    expect(validateBlocks([block])).toEqual([]);
    expect(block.text!.text).toContain('*Primary On-Call* (L1, P0 alerts): <!subteam^S0ONCALL>');
    expect(block.text!.text).toContain('*Database Admin* (L2, database, PostgreSQL issues): not configured (set CONTACT_DBA)');
    expect(whoToCallBlock([])).toBeUndefined();
  });

  it('the copy for the severity channel drops the buttons and links the thread; the bare-resolve answer lists the active incidents', () => {
    const copy = routedCopy(
      { text: 'INCIDENT', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'INCIDENT' } }, incidentActionsBlock(incident())!] },
      'https://slack.test/archives/C0OPS/p1',
    );
    expect(copy.blocks.map((b) => b.type)).toEqual(['section', 'context']);
    expect(validateBlocks(copy.blocks)).toEqual([]);
    const text = chooseIncidentToResolveText([incident({ title: HOSTILE })]);
    expect(text).toContain('`INC-20260111100200` P1 · open');
    noPing(text);
  });
});
