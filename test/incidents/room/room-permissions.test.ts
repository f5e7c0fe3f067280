import { followUpCloseRefusal, roleChangeRefusal } from '../../../src/incidents/room/room-permissions';

const incident = { id: 'INC-20261126070000', createdBy: 'U0OPENER1' };

describe('who may move a role and close a follow-up', () => {
  it('a role nobody holds is anyone’s to take; a held one moves only by its holder, the commander or the opener', () => {
    const take = (role: 'commander' | 'scribe', actor: string, holders: Record<string, string>) =>
      roleChangeRefusal({ incident, role, userId: actor, actor, holders });
    expect(take('commander', 'U0MALLORY', {})).toBeUndefined();
    expect(take('commander', 'U0MALLORY', { commander: 'U0ALICE01' })).toBe(
      '<@U0ALICE01> is the commander of INC-20261126070000: only they or <@U0OPENER1>, who opened the incident, can hand command over. Nothing was changed; ask one of them.',
    );
    expect(take('commander', 'U0OPENER1', { commander: 'U0ALICE01' })).toBeUndefined();
    expect(
      roleChangeRefusal({ incident, role: 'commander', userId: 'U0BOB0001', actor: 'U0ALICE01', holders: { commander: 'U0ALICE01' } }),
    ).toBeUndefined();
    expect(take('scribe', 'U0MALLORY', { scribe: 'U0BOB0001', commander: 'U0ALICE01' })).toContain(
      'only they, the commander <@U0ALICE01> or <@U0OPENER1>',
    );
    expect(
      roleChangeRefusal({
        incident,
        role: 'scribe',
        userId: 'U0CAROL01',
        actor: 'U0ALICE01',
        holders: { scribe: 'U0BOB0001', commander: 'U0ALICE01' },
      }),
    ).toBeUndefined();
  });

  it('a follow-up is closed by its owner, the commander or the opener, and the refusal names them', () => {
    const close = (actor: string, owner: string | null, commander?: string) =>
      followUpCloseRefusal({ followUp: { id: 7, owner }, incident, commander, actor });
    for (const actor of ['U0OWNER01', 'U0LEAD001', 'U0OPENER1']) expect(close(actor, 'U0OWNER01', 'U0LEAD001')).toBeUndefined();
    expect(close('U0MALLORY', 'U0OWNER01', 'U0LEAD001')).toBe(
      'Only its owner <@U0OWNER01>, the commander <@U0LEAD001> or <@U0OPENER1>, who opened INC-20261126070000 can close follow-up #7. It stays open.',
    );
    expect(close('U0MALLORY', null)).toBe(
      'Only the commander of INC-20261126070000 or <@U0OPENER1>, who opened INC-20261126070000 can close follow-up #7. It stays open.',
    );
  });
});
