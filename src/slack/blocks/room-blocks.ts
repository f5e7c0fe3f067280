import type { ActionsBlock, KnownBlock } from '@slack/types';
import { ROLE_TITLES, INCIDENT_ROLES, type IncidentRole } from '../../domain/incident-role';
import type { Incident } from '../../domain/incident';
import type { RoomContact } from '../../domain/incident-room';
import { isPageTarget } from '../../domain/escalation';
import { mention } from './alert-blocks';
import { escapeAndCut, escapeMrkdwn } from './mrkdwn';

/** "Take command" on the hub summary and in the room; its value is the incident id. */
export const TAKE_COMMAND_ACTION_ID = 'incident_take_command';

export type RoleHolders = Partial<Record<IncidentRole, string>>;

const SEVERITY_ICON = { P0: ':red_circle:', P1: ':large_orange_circle:', P2: ':large_yellow_circle:', P3: ':white_circle:' } as const;
const TOPIC_MAX = 250;

const holder = (roles: RoleHolders, role: IncidentRole) => (roles[role] ? `<@${roles[role]}>` : '—');

/** The room's topic: severity, status and roles first (what people glance at), then the id and title, within Slack's 250. */
export function roomTopic(inc: Incident, roles: RoleHolders): string {
  const head = `${inc.severity} · ${inc.status} · Lead: ${holder(roles, 'commander')} · Comms: ${holder(roles, 'communications')} · Scribe: ${holder(roles, 'scribe')} · ${inc.id}`;
  const room = TOPIC_MAX - head.length - 3;
  return room > 10 ? `${head} · ${escapeAndCut(inc.title, room, '…')}` : head.slice(0, TOPIC_MAX);
}

function rolesLine(roles: RoleHolders): string {
  return INCIDENT_ROLES.map((r) => `${ROLE_TITLES[r]}: ${roles[r] ? mention(roles[r]) : '—'}`).join(' · ');
}

function takeCommand(inc: Incident): ActionsBlock {
  return {
    type: 'actions',
    block_id: 'incident_roles',
    elements: [
      { type: 'button', text: { type: 'plain_text', text: 'Take command', emoji: true }, action_id: TAKE_COMMAND_ACTION_ID, value: inc.id },
    ],
  };
}

/**
 * The runbook contacts on the hub: each user group mentioned (the group is paged once, when the summary is posted;
 * edits do not notify again), and a contact nobody could be found for named as such.
 */
function hubContactsLine(contacts: readonly RoomContact[]): string {
  const parts = contacts.slice(0, 10).map((c) => {
    const groups = c.groups.filter(isPageTarget).map((g) => `<!subteam^${g}>`);
    const role = escapeAndCut(c.role, 80);
    if (c.invited.length === 0) return `${role}: nobody invited${groups.length ? ` (${groups.join(', ')})` : ''}`;
    return groups.length ? `${groups.join(', ')} (${role})` : role;
  });
  return parts.length ? `\nContacts: ${parts.join(' · ')}` : '';
}

/** The hub's one message per incident, edited in place: severity, status, title, roles, where it lives, the runbook contacts. */
export function hubSummary(
  inc: Incident,
  roles: RoleHolders,
  where: { roomChannelId?: string | null; permalink?: string },
  contacts: readonly RoomContact[] = [],
): { text: string; blocks: KnownBlock[] } {
  const place = where.roomChannelId ? `<#${where.roomChannelId}>` : where.permalink ? `<${where.permalink}|thread>` : 'no channel';
  const head = `${SEVERITY_ICON[inc.severity]} *${inc.id}* · ${inc.severity} · *${inc.status}* — ${escapeAndCut(inc.title, 300)}`;
  const text = `${head}\n${rolesLine(roles)} · ${place}${hubContactsLine(contacts)}`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text } }];
  if (inc.status !== 'resolved') blocks.push(takeCommand(inc));
  return { text, blocks };
}

/**
 * The hub card of a private incident: the hub is usually a public channel, so it shows only that the incident exists,
 * how urgent it is and where it stands (on-call can tell a P0 is being worked and avoid opening a duplicate). Not the
 * title, the people, the runbook contacts or the channel, and no "Take command": a role is taken from inside the room.
 */
export function privateHubSummary(inc: Incident): { text: string; blocks: KnownBlock[] } {
  const text = `${SEVERITY_ICON[inc.severity]} :lock: *${inc.id}* · ${inc.severity} · *${inc.status}* — private incident
${PRIVATE_HINT}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** How someone outside a private incident gets in: the bot cannot invite on request, its people can. */
export const PRIVATE_HINT =
  '_Its title and people are shown only in its private channel. To help, ask someone working on it to add you to the channel._';

/** The room's first message after the notification: where it came from and who holds which role. */
export function roomIntro(inc: Incident, roles: RoleHolders, origin?: { permalink?: string }): { text: string; blocks: KnownBlock[] } {
  const from = origin?.permalink ? ` Opened from <${origin.permalink}|this thread>.` : '';
  const text = `Incident room for *${inc.id}*.${from}\n${rolesLine(roles)}\n\`/incident role commander @someone\` assigns a role; \`/incident followup <text> [@owner]\` records a follow-up.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }, takeCommand(inc)] };
}

/** Posted where the incident was opened (the alert's thread, or the channel) and in the hub without a summary. */
export function roomLinkText(inc: Incident, roomChannelId: string): string {
  return `:rotating_light: *${inc.id}* (${inc.severity}) has its own channel: <#${roomChannelId}> — ${escapeAndCut(inc.title, 200)}`;
}

export function roleChangedText(inc: Incident, role: IncidentRole, userId: string, previous: string | undefined, actor: string): string {
  const by = actor === userId ? '' : ` — assigned by ${mention(actor)}`;
  const from = previous ? ` from ${mention(previous)}` : '';
  if (role === 'commander' && actor === userId) return `:crown: ${mention(userId)} took command of *${inc.id}*${from}.`;
  return `${ROLE_TITLES[role]} of *${inc.id}*: ${mention(userId)}${previous ? ` (was ${mention(previous)})` : ''}${by}.`;
}

/**
 * The room's account of the runbook contacts: how many people each brought in, and for each one that could not be
 * resolved, why (so nobody is silently missing). No mentions: the people invited are notified by the invitation.
 */
export function roomContactsText(contacts: readonly RoomContact[]): string {
  const lines = contacts.slice(0, 20).map((c) => {
    const role = `*${escapeAndCut(c.role, 80)}*`;
    const invited = c.invited.length ? `${c.invited.length} invited` : 'nobody invited';
    const why = c.unresolved.length
      ? ` — not resolved: ${c.unresolved
          .slice(0, 5)
          .map((u) => escapeMrkdwn(u.slice(0, 120)))
          .join('; ')}`
      : '';
    return `• ${role}: ${invited}${why}`;
  });
  return `:busts_in_silhouette: *Runbook contacts*\n${lines.join('\n')}`;
}
