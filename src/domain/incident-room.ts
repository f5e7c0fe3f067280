import type { IncidentRole } from './incident-role';
import type { Queryable } from './queryable';

/**
 * What became of one runbook contact when the room opened: the users invited for it, the user groups it names (the
 * hub mentions them) and, for whatever could not be resolved, why ("CONTACT_DBA is not set", "S0DBA: no_such_subteam").
 */
export interface RoomContact {
  role: string;
  groups: string[];
  invited: string[];
  unresolved: string[];
}

/**
 * Who may read an incident: `private` when its room is a private channel (or, with no room, the channel it was
 * opened in is private, or Slack could not say), else `public`.
 */
export type RoomPrivacy = 'public' | 'private';

export interface IncidentRoom {
  incidentId: string;
  claimedBy: string;
  claimedAt: Date;
  /** When the opening finished; null while it runs, or when the replica running it stopped half-way. */
  openedAt: Date | null;
  channelId: string | null;
  channelName: string | null;
  /** The room's message naming the role holders. */
  introTs: string | null;
  /** Where the incident was opened from (the alert's thread, or the channel of `/incident open`). */
  originChannelId: string | null;
  originThreadTs: string | null;
  hubChannelId: string | null;
  hubTs: string | null;
  contacts: RoomContact[];
  /** Recorded when the opening decides where the incident lives; null for rooms opened before it was recorded. */
  privacy: RoomPrivacy | null;
}

export interface RoleHolder {
  role: IncidentRole;
  userId: string;
  assignedBy: string;
  assignedAt: Date;
}

/** Incident rooms (channel, hub message) and role holders. */
export interface IncidentRoomStore {
  /** Claims the room of an incident for `owner`; null when someone else already has it. */
  claim(incidentId: string, owner: string, at: Date, origin: { channelId?: string; threadTs?: string }): Promise<IncidentRoom | null>;
  get(incidentId: string): Promise<IncidentRoom | null>;
  findByChannel(channelId: string): Promise<IncidentRoom | null>;
  /** Records the room's channel if `owner` still holds the claim; false when another replica took the opening over. */
  setChannel(incidentId: string, channelId: string, name: string, owner: string): Promise<boolean>;
  /** Records the incident's privacy unless one is recorded already; returns the one that stands. */
  recordPrivacy(incidentId: string, privacy: RoomPrivacy): Promise<RoomPrivacy>;
  setContacts(incidentId: string, contacts: readonly RoomContact[]): Promise<void>;
  markOpened(incidentId: string, at: Date): Promise<void>;
  /**
   * Hands `owner` up to `limit` rooms whose opening was claimed before `staleBefore` and never finished (the claim is
   * renewed, so two replicas never take the same one).
   */
  takeOverUnopened(owner: string, now: Date, staleBefore: Date, limit: number): Promise<IncidentRoom[]>;
  setHubMessage(incidentId: string, channelId: string, ts: string): Promise<void>;
  setIntroMessage(incidentId: string, ts: string): Promise<void>;
  /**
   * Sets the holder of a role under the incident's row lock (concurrent hand-overs are serialised, each sees the one
   * before it); returns who held it before (undefined: nobody), or `unchanged` when `userId` already holds it. `guard`
   * sees every role's holder under that lock; when it answers a refusal nothing is written and `refused` says why.
   */
  assignRole(
    incidentId: string,
    role: IncidentRole,
    userId: string,
    by: string,
    at: Date,
    tx?: Queryable,
    guard?: (holders: Partial<Record<IncidentRole, string>>) => string | undefined,
  ): Promise<{ previous?: string; unchanged?: true; refused?: string }>;
  roles(incidentId: string): Promise<RoleHolder[]>;
}
