import { ROLE_TITLES, type IncidentRole } from '../../domain/incident-role';
import type { Incident } from '../../domain/incident';

/**
 * Who may change what in an incident, in the style of the remediation approval rules: a pure function that answers
 * why not (shown to the user as is), or undefined when the change is allowed.
 *
 * - A role nobody holds may be taken by anyone who can run the command (the "Take command" button is in the room).
 * - A held role moves to someone else only by its holder (a hand-over), the commander, or whoever opened the incident.
 *   So command is never taken away from a commander by a bystander.
 * - A follow-up is closed by its owner, the incident's commander or whoever opened the incident.
 *
 * @example
 *   roleChangeRefusal({ incident, role: 'commander', userId: 'U0MALLORY', actor: 'U0MALLORY', holders: { commander: 'U0ALICE' } })
 *   // → '<@U0ALICE> is the commander of INC-…: only they or <@U0BOB>, who opened the incident, can hand command over …'
 */
export function roleChangeRefusal(change: {
  incident: Pick<Incident, 'id' | 'createdBy'>;
  role: IncidentRole;
  /** Who would hold the role. */
  userId: string;
  actor: string;
  holders: Partial<Record<IncidentRole, string>>;
}): string | undefined {
  const { incident, role, userId, actor, holders } = change;
  const current = holders[role];
  if (!current || current === userId) return undefined;
  if (actor === current || actor === holders.commander || actor === incident.createdBy) return undefined;
  if (role === 'commander')
    return `<@${current}> is the commander of ${incident.id}: only they or <@${incident.createdBy}>, who opened the incident, can hand command over. Nothing was changed; ask one of them.`;
  const commander = holders.commander ? `, the commander <@${holders.commander}>` : '';
  return `<@${current}> is the ${ROLE_TITLES[role].toLowerCase()} of ${incident.id}: only they${commander} or <@${incident.createdBy}>, who opened the incident, can give the role to someone else. Nothing was changed.`;
}

export function followUpCloseRefusal(close: {
  followUp: { id: number; owner?: string | null };
  incident: Pick<Incident, 'id' | 'createdBy'>;
  commander: string | undefined;
  actor: string;
}): string | undefined {
  const { followUp, incident, commander, actor } = close;
  if ([followUp.owner, commander, incident.createdBy].includes(actor)) return undefined;
  const who = [
    ...(followUp.owner ? [`its owner <@${followUp.owner}>`] : []),
    commander ? `the commander <@${commander}>` : `the commander of ${incident.id}`,
    `<@${incident.createdBy}>, who opened ${incident.id}`,
  ];
  return `Only ${who.slice(0, -1).join(', ')} or ${who[who.length - 1]} can close follow-up #${followUp.id}. It stays open.`;
}
