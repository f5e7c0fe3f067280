import type { IncidentRole } from '../domain/incident-role';
import type { IncidentRoom, IncidentRoomStore, RoomContact, RoomPrivacy } from '../domain/incident-room';
import type { Queryable } from '../domain/queryable';
import type { Database } from './database';

interface RoomRow {
  incident_id: string;
  claimed_by: string;
  claimed_at: Date;
  opened_at: Date | null;
  channel_id: string | null;
  channel_name: string | null;
  intro_ts: string | null;
  origin_channel_id: string | null;
  origin_thread_ts: string | null;
  hub_channel_id: string | null;
  hub_ts: string | null;
  contacts: RoomContact[];
  privacy: RoomPrivacy | null;
}

const toRoom = (r: RoomRow): IncidentRoom => ({
  incidentId: r.incident_id,
  claimedBy: r.claimed_by,
  claimedAt: r.claimed_at,
  openedAt: r.opened_at,
  channelId: r.channel_id,
  channelName: r.channel_name,
  introTs: r.intro_ts,
  originChannelId: r.origin_channel_id,
  originThreadTs: r.origin_thread_ts,
  hubChannelId: r.hub_channel_id,
  hubTs: r.hub_ts,
  contacts: r.contacts,
  privacy: r.privacy ?? null,
});

export function createIncidentRoomStore(db: Database): IncidentRoomStore {
  const one = async (sql: string, params: unknown[], q: Queryable = db): Promise<IncidentRoom | null> => {
    const r = await q.query<RoomRow>(sql, params);
    return r.rows[0] ? toRoom(r.rows[0]) : null;
  };
  return {
    claim: (incidentId, owner, at, origin) =>
      one(
        `INSERT INTO incident_rooms (incident_id, claimed_by, claimed_at, origin_channel_id, origin_thread_ts) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (incident_id) DO NOTHING RETURNING *`,
        [incidentId, owner, at, origin.channelId ?? null, origin.threadTs ?? null],
      ),
    get: (incidentId) => one('SELECT * FROM incident_rooms WHERE incident_id = $1', [incidentId]),
    findByChannel: (channelId) => one('SELECT * FROM incident_rooms WHERE channel_id = $1', [channelId]),
    setChannel: async (incidentId, channelId, name, owner) => {
      const r = await db.query(
        'UPDATE incident_rooms SET channel_id = $2, channel_name = $3 WHERE incident_id = $1 AND claimed_by = $4 AND channel_id IS NULL',
        [incidentId, channelId, name, owner],
      );
      return r.rowCount === 1;
    },
    recordPrivacy: async (incidentId, privacy) => {
      const r = await db.query<{ privacy: RoomPrivacy }>(
        'UPDATE incident_rooms SET privacy = COALESCE(privacy, $2) WHERE incident_id = $1 RETURNING privacy',
        [incidentId, privacy],
      );
      return r.rows[0]?.privacy ?? privacy;
    },
    setContacts: async (incidentId, contacts) => {
      await db.query('UPDATE incident_rooms SET contacts = $2 WHERE incident_id = $1', [incidentId, JSON.stringify(contacts)]);
    },
    markOpened: async (incidentId, at) => {
      await db.query('UPDATE incident_rooms SET opened_at = $2 WHERE incident_id = $1 AND opened_at IS NULL', [incidentId, at]);
    },
    takeOverUnopened: async (owner, now, staleBefore, limit) => {
      const r = await db.query<RoomRow>(
        `UPDATE incident_rooms SET claimed_by = $1, claimed_at = $2
         WHERE incident_id IN (
           SELECT incident_id FROM incident_rooms WHERE opened_at IS NULL AND claimed_at < $3
           ORDER BY claimed_at LIMIT $4 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [owner, now, staleBefore, limit],
      );
      return r.rows.map(toRoom);
    },
    setHubMessage: async (incidentId, channelId, ts) => {
      await db.query('UPDATE incident_rooms SET hub_channel_id = $2, hub_ts = $3 WHERE incident_id = $1', [incidentId, channelId, ts]);
    },
    setIntroMessage: async (incidentId, ts) => {
      await db.query('UPDATE incident_rooms SET intro_ts = $2 WHERE incident_id = $1', [incidentId, ts]);
    },
    assignRole: async (incidentId, role, userId, by, at, tx, guard) => {
      const q = tx ?? db;
      await q.query('SELECT 1 FROM incidents WHERE id = $1 FOR UPDATE', [incidentId]);
      const held = await q.query<{ role: IncidentRole; user_id: string }>(
        'SELECT role, user_id FROM incident_roles WHERE incident_id = $1',
        [incidentId],
      );
      const holders = Object.fromEntries(held.rows.map((r) => [r.role, r.user_id])) as Partial<Record<IncidentRole, string>>;
      const previous = holders[role];
      if (previous === userId) return { unchanged: true };
      const refused = guard?.(holders);
      if (refused) return { refused };
      await q.query(
        `INSERT INTO incident_roles (incident_id, role, user_id, assigned_by, assigned_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (incident_id, role) DO UPDATE SET user_id = EXCLUDED.user_id, assigned_by = EXCLUDED.assigned_by, assigned_at = EXCLUDED.assigned_at`,
        [incidentId, role, userId, by, at],
      );
      return previous ? { previous } : {};
    },
    roles: async (incidentId) => {
      const r = await db.query<{ role: IncidentRole; user_id: string; assigned_by: string; assigned_at: Date }>(
        'SELECT role, user_id, assigned_by, assigned_at FROM incident_roles WHERE incident_id = $1',
        [incidentId],
      );
      return r.rows.map((x) => ({ role: x.role, userId: x.user_id, assignedBy: x.assigned_by, assignedAt: x.assigned_at }));
    },
  };
}
