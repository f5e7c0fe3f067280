import type { WebClient } from '@slack/web-api';
import type { Clock } from '../clock';
import type { IncidentRoomConfig } from '../config';
import type { Coordination, Lock } from '../coordination/coordination';
import type { IncidentRole } from '../domain/incident-role';
import type { IncidentService } from '../incidents/incident-service';
import { incidentChannelName, withSuffix } from '../incidents/room/channel-name';
import type { IncidentRoles, RoleChange } from '../incidents/room/incident-roles';
import type { Logger } from '../logger';
import type { AlertRecord } from '../domain/alert';
import type { IncidentRoom, IncidentRoomStore, RoomContact, RoomPrivacy } from '../domain/incident-room';
import type { RunbookContact } from '../domain/escalation';
import type { Incident } from '../domain/incident';
import type { TimelineStore } from '../domain/timeline-event';
import {
  hubSummary,
  privateHubSummary,
  roleChangedText,
  roomContactsText,
  roomIntro,
  roomLinkText,
  roomTopic,
  type RoleHolders,
} from './blocks/room-blocks';
import { slackErrorCode, type ChannelAccess } from './channel-access';
import type { SlackPoster } from './slack-poster';
import type { UsergroupMembership } from './usergroup-membership';

export interface RoomLinks {
  runbook?: { title: string; url: string };
  dashboards: { title: string; url: string }[];
}

export interface IncidentRoomDeps {
  config: IncidentRoomConfig;
  rooms: IncidentRoomStore;
  roles: IncidentRoles;
  incidents: Pick<IncidentService, 'get' | 'setThread'>;
  timeline: Pick<TimelineStore, 'append'>;
  client: WebClient;
  poster: SlackPoster;
  membership: Pick<UsergroupMembership, 'membersOf'>;
  /** Whether the channel an incident was opened in is public: its room is private unless it is. */
  access: Pick<ChannelAccess, 'privacy'>;
  /** The configured runbook and dashboard links of an alert (none without configuration: no placeholders). */
  linksFor: (alertName: string) => RoomLinks;
  /** Who answers an alert besides its acknowledger: user (U…) and user-group (S…) ids, e.g. the first escalation level. */
  respondersOf: (alert: AlertRecord) => string[];
  /** The runbook's emergency contacts for the alert (its runbook, its area); they are invited to the room. */
  contactsOf?: (alert: AlertRecord) => RunbookContact[];
  /** Identifies this replica's claims. */
  owner: string;
  /** Serialises the topic and hub edits of one incident across replicas, so an older state never lands last. */
  coordination: Pick<Coordination, 'acquireLock'>;
  clock: Clock;
  logger: Logger;
}

export interface OpenRoomContext {
  opener: string;
  /** Where the incident was opened: the alert's thread, or the channel of `/incident open`. */
  origin: { channelId: string; threadTs?: string };
  alert?: AlertRecord;
  /** Posts the opening notification in `channelId` and makes it the incident's thread (today's thread mode). */
  announce: (channelId: string) => Promise<Incident>;
}

/**
 * An incident's room and hub summary. `open` runs once per incident (the `incident_rooms` row is the claim, so
 * replicas and retries create one channel and one hub message); `refresh` keeps the topic and the hub message
 * current. With INCIDENT_CHANNELS=off, or when Slack refuses the channel, the incident lives in the thread it was
 * opened from, as before.
 */
export interface IncidentRooms {
  readonly channelsEnabled: boolean;
  open(incident: Incident, ctx: OpenRoomContext): Promise<Incident>;
  refresh(incident: Incident): Promise<void>;
  assignRole(incidentId: string, role: IncidentRole, userId: string, actor: string): Promise<RoleChange>;
  /** The incident whose room `channelId` is (any status). */
  incidentOfChannel(channelId: string): Promise<string | undefined>;
  /**
   * Who may read the incident and the channel it lives in (its room, else its thread's channel, else where it was
   * opened). Incidents opened before privacy was recorded are public, as they were shown until then.
   */
  privacyOf(incident: Pick<Incident, 'id' | 'channelId'>): Promise<{ privacy: RoomPrivacy; channelId: string | null }>;
  /**
   * Finishes the openings whose replica stopped half-way (claimed longer than the lease ago, never finished): each
   * is taken over by one replica and resumed from where it stopped. Returns how many were taken over.
   */
  recoverUnopened(contextOf: (incident: Incident, room: IncidentRoom) => Promise<OpenRoomContext>): Promise<number>;
}

const NAME_ATTEMPTS = 20;
const RECOVERY_BATCH = 10;
const REFRESH_LOCK_MS = 15_000;
const REFRESH_WAIT_MS = 10_000;

export function createIncidentRooms(deps: IncidentRoomDeps): IncidentRooms {
  return {
    channelsEnabled: deps.config.channels,

    open: async (incident, ctx) => {
      const claimed = await deps.rooms.claim(incident.id, deps.owner, deps.clock.now(), ctx.origin);
      if (!claimed) return deps.incidents.get(incident.id);
      return finishOpening(deps, incident, ctx, claimed, false);
    },

    recoverUnopened: (contextOf) => recoverUnopened(deps, contextOf),

    refresh: (incident) => refresh(deps, incident),

    assignRole: async (incidentId, role, userId, actor) => {
      const change = await deps.roles.assign(incidentId, role, userId, actor);
      const inc = change.incident;
      if (inc.channelId) {
        await deps.poster.post({
          channel: inc.channelId,
          ...(inc.threadTs ? { thread_ts: inc.threadTs } : {}),
          text: roleChangedText(inc, role, userId, change.previous, actor),
        });
      }
      await refresh(deps, inc);
      await updateIntro(deps, inc);
      return change;
    },

    incidentOfChannel: async (channelId) => (await deps.rooms.findByChannel(channelId))?.incidentId,

    privacyOf: async (incident) => {
      const room = await deps.rooms.get(incident.id);
      return { privacy: room?.privacy ?? 'public', channelId: room?.channelId ?? incident.channelId ?? room?.originChannelId ?? null };
    },
  };
}

/** Slack's error code, else the error's message: what the logs name. */
function errorText(err: unknown): string {
  return slackErrorCode(err) ?? (err as Error).message;
}

/** conversations.create, suffixing the name while Slack answers name_taken. */
async function createChannel(deps: IncidentRoomDeps, incident: Incident, isPrivate: boolean): Promise<{ id: string; name: string }> {
  const base = incidentChannelName(deps.config.channelPrefix, incident.title, incident.createdAt);
  for (let n = 1; n <= NAME_ATTEMPTS; n++) {
    const name = n === 1 ? base : withSuffix(base, n);
    try {
      const r = await deps.client.conversations.create({ name, is_private: isPrivate });
      return { id: r.channel!.id!, name };
    } catch (err) {
      if (slackErrorCode(err) !== 'name_taken') throw err;
    }
  }
  const last = withSuffix(base, Number(incident.id.slice(-6)));
  const r = await deps.client.conversations.create({ name: last, is_private: isPrivate });
  return { id: r.channel!.id!, name: last };
}

/**
 * An incident opened in a private channel (or one the bot cannot tell about) gets a private room: a public room would
 * show everyone what only that channel's members could read.
 */
async function roomIsPrivate(deps: IncidentRoomDeps, incident: Incident, origin: OpenRoomContext['origin']): Promise<boolean> {
  const privacy = await deps.access.privacy(origin.channelId);
  if (privacy === 'unknown')
    deps.logger.warn(
      { incidentId: incident.id, channelId: origin.channelId },
      'could not tell whether the channel the incident was opened in is public (scopes channels:read, groups:read?): its room is private',
    );
  return privacy !== 'public';
}

/** Decided once per incident, before its channel exists: a resumed opening keeps the decision its first try recorded. */
async function privacyOfOpening(
  deps: IncidentRoomDeps,
  incident: Incident,
  room: IncidentRoom,
  origin: OpenRoomContext['origin'],
): Promise<RoomPrivacy> {
  return room.privacy ?? deps.rooms.recordPrivacy(incident.id, (await roomIsPrivate(deps, incident, origin)) ? 'private' : 'public');
}

function hubCard(
  incident: Incident,
  roles: RoleHolders,
  where: { roomChannelId?: string | null; permalink?: string },
  room: IncidentRoom | null,
) {
  return room?.privacy === 'private' ? privateHubSummary(incident) : hubSummary(incident, roles, where, room?.contacts);
}

/** User ids as they are, user groups as their members (a group that cannot be read is logged and skipped). */
async function expand(deps: IncidentRoomDeps, ids: readonly string[]): Promise<string[]> {
  const users = new Set<string>();
  for (const id of ids) {
    if (/^[UW][A-Z0-9]{2,20}$/.test(id)) users.add(id);
    else if (/^S[A-Z0-9]{2,20}$/.test(id)) {
      try {
        for (const u of await deps.membership.membersOf(id)) users.add(u);
      } catch (err) {
        deps.logger.warn(
          { usergroup: id, err: { message: (err as Error).message } },
          'could not read a user group: its members are not invited',
        );
      }
    }
  }
  return [...users];
}

/** Invites `userIds`; returns why each one who is not in the channel could not be invited. */
async function invite(deps: IncidentRoomDeps, channelId: string, userIds: string[], incidentId: string): Promise<Map<string, string>> {
  const refused = new Map<string, string>();
  if (userIds.length === 0) return refused;
  try {
    // force: the others are invited when one of them cannot be (deactivated, a guest, already in).
    const r = (await deps.client.conversations.invite({ channel: channelId, users: userIds.join(','), force: true })) as {
      errors?: { user: string; error: string }[];
    };
    for (const e of r.errors ?? [])
      if (e.error !== 'already_in_channel') {
        refused.set(e.user, e.error);
        deps.logger.warn({ incidentId, user: e.user, error: e.error }, 'could not invite someone to the incident channel');
      }
  } catch (err) {
    const error = errorText(err);
    // Slack answers a single refused user with the error itself rather than in `errors`.
    const perUser = (err as { data?: { errors?: { user: string; error: string }[] } }).data?.errors;
    for (const u of userIds) refused.set(u, perUser?.find((e) => e.user === u)?.error ?? error);
    deps.logger.warn({ incidentId, error }, 'could not invite people to the incident channel');
  }
  return refused;
}

/** The users each runbook contact names, its groups expanded; what cannot be resolved is kept with the reason. */
async function resolveContacts(deps: IncidentRoomDeps, contacts: readonly RunbookContact[]): Promise<RoomContact[]> {
  const out: RoomContact[] = [];
  for (const c of contacts) {
    const contact: RoomContact = { role: c.role, groups: [], invited: [], unresolved: [] };
    if (c.ids.length === 0) contact.unresolved.push(`${c.variable} is not set`);
    for (const id of c.ids) {
      if (/^[UW][A-Z0-9]{2,20}$/.test(id)) contact.invited.push(id);
      else if (/^S[A-Z0-9]{2,20}$/.test(id)) {
        contact.groups.push(id);
        try {
          const members = await deps.membership.membersOf(id);
          if (members.length === 0) contact.unresolved.push(`user group ${id} has no members`);
          contact.invited.push(...members);
        } catch (err) {
          contact.unresolved.push(`user group ${id} could not be read (${errorText(err)})`);
        }
      }
    }
    out.push({ ...contact, invited: [...new Set(contact.invited)] });
  }
  return out;
}

async function permalink(deps: IncidentRoomDeps, channel: string, ts: string): Promise<string | undefined> {
  try {
    return (await deps.client.chat.getPermalink({ channel, message_ts: ts })).permalink;
  } catch {
    return undefined;
  }
}

async function setTopic(deps: IncidentRoomDeps, incident: Incident, channelId: string): Promise<void> {
  const roles = await deps.roles.holders(incident.id);
  await deps.client.conversations.setTopic({ channel: channelId, topic: roomTopic(incident, roles) }).catch((err: unknown) => {
    deps.logger.warn({ incidentId: incident.id, error: errorText(err) }, 'could not set the incident channel topic');
  });
}

async function postHub(deps: IncidentRoomDeps, incident: Incident, room: IncidentRoom | null): Promise<void> {
  if (!deps.config.hubChannel) return;
  const roles = await deps.roles.holders(incident.id);
  const where = await placeOf(deps, incident, room);
  try {
    const posted = await deps.poster.post({
      channel: deps.config.hubChannel,
      ...hubCard(incident, roles, where, room),
      unfurl_links: false,
    });
    await deps.rooms.setHubMessage(incident.id, posted.channel, posted.ts);
  } catch (err) {
    deps.logger.warn({ incidentId: incident.id, error: errorText(err) }, 'could not post the hub summary');
  }
}

/** Where the hub card points: the room, else a link to the incident's thread. */
async function placeOf(deps: IncidentRoomDeps, incident: Incident, room: IncidentRoom | null) {
  if (room?.channelId) return { roomChannelId: room.channelId };
  if (incident.channelId && incident.threadTs) {
    const link = await permalink(deps, incident.channelId, incident.threadTs);
    if (link) return { permalink: link };
  }
  return {};
}

/**
 * Creates the room (or takes the one a stopped replica created), invites people, announces the incident there and
 * posts the intro; each step already done (per the room's row and the incident's thread) is skipped, so a
 * takeover resumes rather than repeats. undefined: no channel (Slack refused it); `lost`: another replica took over.
 */
async function openChannel(
  deps: IncidentRoomDeps,
  incident: Incident,
  ctx: OpenRoomContext,
  room: IncidentRoom,
  privacy: RoomPrivacy,
): Promise<Incident | 'lost' | undefined> {
  const channel = room.channelId
    ? { id: room.channelId, name: room.channelName ?? room.channelId }
    : await createRoomChannel(deps, incident, ctx, privacy);
  if (channel === undefined || channel === 'lost') return channel;
  const contacts = await inviteToRoom(deps, incident, ctx, channel.id);
  await deps.rooms.setContacts(incident.id, contacts);
  const inRoom = incident.channelId === channel.id ? incident : await ctx.announce(channel.id);
  await setTopic(deps, inRoom, channel.id);
  if (room.introTs) return inRoom;
  await furnishRoom(deps, inRoom, ctx, channel.id, contacts);
  return inRoom;
}

/** The room's channel, recorded on the claim; undefined when Slack refuses it, `lost` when another replica took over. */
async function createRoomChannel(
  deps: IncidentRoomDeps,
  incident: Incident,
  ctx: OpenRoomContext,
  privacy: RoomPrivacy,
): Promise<{ id: string; name: string } | 'lost' | undefined> {
  let channel: { id: string; name: string };
  try {
    channel = await createChannel(deps, incident, privacy === 'private');
  } catch (err) {
    deps.logger.warn(
      { incidentId: incident.id, error: errorText(err) },
      'could not create the incident channel (scopes channels:manage, groups:write?): the incident stays in its thread',
    );
    return undefined;
  }
  if (!(await deps.rooms.setChannel(incident.id, channel.id, channel.name, deps.owner))) {
    deps.logger.warn(
      { incidentId: incident.id, channel: channel.id },
      'another replica took over the opening of this room: the channel created here stays unused',
    );
    return 'lost';
  }
  await deps.timeline.append({
    incidentId: incident.id,
    at: deps.clock.now(),
    actor: ctx.opener,
    kind: 'room_opened',
    text: `Channel #${channel.name} created`,
    data: { channelId: channel.id, name: channel.name },
  });
  return channel;
}

/** Invites the opener, the alert's responders and the runbook contacts; the contacts, with whoever could not be invited. */
async function inviteToRoom(deps: IncidentRoomDeps, incident: Incident, ctx: OpenRoomContext, channelId: string): Promise<RoomContact[]> {
  const responders = ctx.alert ? [...(ctx.alert.acknowledgedBy ? [ctx.alert.acknowledgedBy] : []), ...deps.respondersOf(ctx.alert)] : [];
  const contacts = await resolveContacts(deps, ctx.alert && deps.contactsOf ? deps.contactsOf(ctx.alert) : []);
  const invitees = await expand(deps, [ctx.opener, ...responders, ...contacts.flatMap((c) => c.invited)]);
  const refused = await invite(deps, channelId, invitees, incident.id);
  for (const c of contacts) {
    c.unresolved.push(...c.invited.filter((u) => refused.has(u)).map((u) => `${u} could not be invited (${refused.get(u)})`));
    c.invited = c.invited.filter((u) => !refused.has(u));
  }
  return contacts;
}

/** The bookmarks, the intro, the contacts, and a link to the room where the incident was opened. */
async function furnishRoom(
  deps: IncidentRoomDeps,
  inRoom: Incident,
  ctx: OpenRoomContext,
  channelId: string,
  contacts: RoomContact[],
): Promise<void> {
  const warn = (what: string) => (err: unknown) => deps.logger.warn({ incidentId: inRoom.id, error: errorText(err) }, what);
  const links = ctx.alert ? deps.linksFor(ctx.alert.name) : { dashboards: [] };
  for (const link of [...(links.runbook ? [links.runbook] : []), ...links.dashboards].slice(0, 10)) {
    await deps.client.bookmarks
      .add({ channel_id: channelId, title: link.title.slice(0, 100), type: 'link', link: link.url })
      .catch(warn('could not bookmark a link in the incident channel'));
  }
  const originLink = ctx.origin.threadTs ? await permalink(deps, ctx.origin.channelId, ctx.origin.threadTs) : undefined;
  const intro = await deps.poster.post({
    channel: channelId,
    ...roomIntro(inRoom, await deps.roles.holders(inRoom.id), originLink ? { permalink: originLink } : {}),
    unfurl_links: false,
  });
  await deps.rooms.setIntroMessage(inRoom.id, intro.ts);
  if (contacts.length)
    await deps.poster
      .post({ channel: channelId, text: roomContactsText(contacts), unfurl_links: false })
      .catch(warn('could not post the runbook contacts in the room'));
  await deps.poster
    .post({
      channel: ctx.origin.channelId,
      ...(ctx.origin.threadTs ? { thread_ts: ctx.origin.threadTs } : {}),
      text: roomLinkText(inRoom, channelId),
      unfurl_links: false,
    })
    .catch(warn('could not link the incident channel where it was opened'));
}

/**
 * Everything after the claim: the room (or the thread), the hub summary, then the mark that the opening finished.
 * A resumed opening whose incident already has its thread was announced before its replica stopped.
 */
async function finishOpening(
  deps: IncidentRoomDeps,
  incident: Incident,
  ctx: OpenRoomContext,
  room: IncidentRoom,
  resumed: boolean,
): Promise<Incident> {
  const privacy = await privacyOfOpening(deps, incident, room, ctx.origin);
  const inRoom = deps.config.channels ? await openChannel(deps, incident, ctx, room, privacy) : undefined;
  if (inRoom === 'lost') return deps.incidents.get(incident.id);
  const announced = resumed && incident.channelId !== null && incident.threadTs !== null;
  const opened = inRoom ?? (announced ? incident : await ctx.announce(ctx.origin.channelId));
  const now = await deps.rooms.get(incident.id);
  if (!now?.hubTs) await postHub(deps, opened, now);
  await deps.rooms.markOpened(incident.id, deps.clock.now());
  return opened;
}

async function recoverUnopened(
  deps: IncidentRoomDeps,
  contextOf: (incident: Incident, room: IncidentRoom) => Promise<OpenRoomContext>,
): Promise<number> {
  const now = deps.clock.now();
  const taken = await deps.rooms.takeOverUnopened(deps.owner, now, new Date(now.getTime() - deps.config.leaseMs), RECOVERY_BATCH);
  for (const room of taken) {
    const log = deps.logger.child({ incidentId: room.incidentId });
    try {
      log.warn(
        { channelId: room.channelId, introTs: room.introTs, hubTs: room.hubTs },
        'the opening of this incident room did not finish (its replica stopped?): resuming it here',
      );
      const incident = await deps.incidents.get(room.incidentId);
      await finishOpening(deps, incident, await contextOf(incident, room), room, true);
    } catch (err) {
      // The claim stays unfinished: after another lease the next run tries again.
      log.warn({ err: { message: (err as Error).message } }, 'could not finish opening the incident room; retrying after the lease');
    }
  }
  return taken.length;
}

/** Waits for the incident's refresh lock; without coordination (Redis down) the edit goes ahead unserialised. */
async function refreshLock(deps: IncidentRoomDeps, incidentId: string): Promise<Lock | undefined> {
  const deadline = Date.now() + REFRESH_WAIT_MS;
  try {
    for (;;) {
      const lock = await deps.coordination.acquireLock(`room-refresh:${incidentId}`, REFRESH_LOCK_MS);
      if (lock) return lock;
      if (Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    deps.logger.warn(
      { incidentId, err: { message: (err as Error).message } },
      'coordination unavailable: the room is refreshed without its lock',
    );
    return undefined;
  }
}

/**
 * Topic and hub from the state read under the lock: each change refreshes after it committed, so the last edit shows the latest
 * state.
 */
async function refresh(deps: IncidentRoomDeps, changed: Incident): Promise<void> {
  const room = await deps.rooms.get(changed.id);
  if (!room || (!room.channelId && !room.hubTs)) return;
  const lock = await refreshLock(deps, changed.id);
  try {
    await refreshUnlocked(deps, await deps.incidents.get(changed.id), (await deps.rooms.get(changed.id)) ?? room);
  } finally {
    await lock?.release().catch(() => undefined);
  }
}

async function refreshUnlocked(deps: IncidentRoomDeps, incident: Incident, room: IncidentRoom): Promise<void> {
  if (room.channelId) await setTopic(deps, incident, room.channelId);
  if (room.hubChannelId && room.hubTs) {
    const roles = await deps.roles.holders(incident.id);
    await deps.poster
      .update({
        channel: room.hubChannelId,
        ts: room.hubTs,
        ...hubCard(incident, roles, await placeOf(deps, incident, room), room),
      })
      .catch((err: unknown) => deps.logger.warn({ incidentId: incident.id, error: errorText(err) }, 'could not update the hub summary'));
  }
}

/** The room's intro names the role holders: it follows each hand-over. */
async function updateIntro(deps: IncidentRoomDeps, incident: Incident): Promise<void> {
  const room = await deps.rooms.get(incident.id);
  if (!room?.channelId || !room.introTs) return;
  const originLink =
    room.originChannelId && room.originThreadTs ? await permalink(deps, room.originChannelId, room.originThreadTs) : undefined;
  await deps.poster
    .update({
      channel: room.channelId,
      ts: room.introTs,
      ...roomIntro(incident, await deps.roles.holders(incident.id), originLink ? { permalink: originLink } : {}),
    })
    .catch((err: unknown) => deps.logger.warn({ incidentId: incident.id, error: errorText(err) }, 'could not update the room intro'));
}
