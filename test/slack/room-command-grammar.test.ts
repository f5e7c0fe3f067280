import { parseIncidentCommand } from '../../src/slack/command-grammar';

const parsed = (text: string) => parseIncidentCommand(text);

describe('/incident role, followup, followups, stats', () => {
  it('role takes a role word, a Slack mention (escaped or not) and an optional INC-ID', () => {
    expect(parsed('role commander <@U0ALICE01|alice>')).toEqual({
      ok: true,
      command: { name: 'role', role: 'commander', userId: 'U0ALICE01', incidentId: undefined },
    });
    expect(parsed('role comms <@U0ALICE01> inc-20261126070000')).toEqual({
      ok: true,
      command: { name: 'role', role: 'communications', userId: 'U0ALICE01', incidentId: 'INC-20261126070000' },
    });
    expect(parsed('role lead <@W0ALICE01>')).toMatchObject({ ok: true, command: { role: 'commander', userId: 'W0ALICE01' } });
  });

  it('role refuses what it cannot use, with the usage', () => {
    expect(parsed('role captain <@U0ALICE01>')).toMatchObject({
      ok: false,
      problem: '`captain` is not a role: commander, comms or scribe.',
      usage: '/incident role <commander|comms|scribe> <@user> [INC-ID]',
    });
    expect(parsed('role scribe @alice')).toMatchObject({ ok: false, problem: expect.stringContaining('is not a mention') });
    expect(parsed('role scribe <!channel>')).toMatchObject({ ok: false, problem: expect.stringContaining('is not a mention') });
    expect(parsed('role scribe')).toMatchObject({ ok: false, problem: expect.stringContaining('Who?') });
    expect(parsed('role scribe <@U0ALICE01> INC-1')).toMatchObject({
      ok: false,
      problem: expect.stringContaining('is not an incident ID'),
    });
  });

  it('followup takes the text and an optional owner mention at the end', () => {
    expect(parsed('followup Add an alert on queue age <@U0ALICE01|alice>')).toEqual({
      ok: true,
      command: { name: 'followup', text: 'Add an alert on queue age', owner: 'U0ALICE01' },
    });
    expect(parsed('follow-up Rotate the <@U0BOB> key')).toEqual({
      ok: true,
      command: { name: 'followup', text: 'Rotate the <@U0BOB> key' },
    });
    expect(parsed('followup')).toMatchObject({ ok: false, usage: '/incident followup <text> [@owner]' });
    expect(parsed('followup <@U0ALICE01>')).toMatchObject({ ok: false, problem: 'Write what needs doing before the owner.' });
    expect(parsed(`followup ${'x'.repeat(501)}`)).toMatchObject({ ok: false, problem: expect.stringContaining('keep it under 500') });
  });

  it('followups takes an INC-ID, mine, or nothing', () => {
    expect(parsed('followups')).toEqual({ ok: true, command: { name: 'followups', incidentId: undefined, mine: false } });
    expect(parsed('followups MINE')).toEqual({ ok: true, command: { name: 'followups', mine: true } });
    expect(parsed('followups INC-20261126070000')).toEqual({
      ok: true,
      command: { name: 'followups', incidentId: 'INC-20261126070000', mine: false },
    });
    expect(parsed('followups yours')).toMatchObject({ ok: false, problem: expect.stringContaining('Or write `mine`') });
  });

  it('stats takes 7d, 30d or 90d (30d by default)', () => {
    expect(parsed('stats')).toEqual({ ok: true, command: { name: 'stats', days: 30 } });
    expect(parsed('stats 7d')).toEqual({ ok: true, command: { name: 'stats', days: 7 } });
    expect(parsed('stats 90')).toEqual({ ok: true, command: { name: 'stats', days: 90 } });
    expect(parsed('stats 1y')).toMatchObject({
      ok: false,
      problem: '`1y` is not a window: use 7d, 30d or 90d.',
      usage: '/incident stats [7d|30d|90d]',
    });
  });

  it('suggests the closest subcommand for a typo', () => {
    expect(parsed('folowups')).toMatchObject({ ok: false, suggestion: '/incident followups [INC-ID|mine]' });
  });
});
