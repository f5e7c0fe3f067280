import type { IncidentRoom, IncidentRoomStore } from '../../domain/incident-room';
import { constraint, copy, type MemoryDatabase } from './memory-database';

/** The in-memory IncidentRoomStore: the same contract as `createIncidentRoomStore` (test/store/contracts/). */
export function createMemoryIncidentRoomStore(mem: MemoryDatabase): IncidentRoomStore {
  const t = mem.tables;
  const update = (incidentId: string, patch: Partial<IncidentRoom>) => {
    const room = t.rooms.get(incidentId);
    if (room) t.rooms.set(incidentId, { ...room, ...patch });
  };
  return {
    claim: async (incidentId, owner, at, origin) => {
      constraint(t.incidents.has(incidentId), `no incident ${incidentId}`);
      if (t.rooms.has(incidentId)) return null;
      const room: IncidentRoom = {
        incidentId,
        claimedBy: owner,
        claimedAt: copy(at),
        openedAt: null,
        channelId: null,
        channelName: null,
        introTs: null,
        originChannelId: origin.channelId ?? null,
        originThreadTs: origin.threadTs ?? null,
        hubChannelId: null,
        hubTs: null,
        contacts: [],
        privacy: null,
      };
      t.rooms.set(incidentId, room);
      return copy(room);
    },
    get: async (incidentId) => copy(t.rooms.get(incidentId) ?? null),
    findByChannel: async (channelId) => copy([...t.rooms.values()].find((r) => r.channelId === channelId) ?? null),
    setChannel: async (incidentId, channelId, channelName, owner) => {
      constraint(
        ![...t.rooms.values()].some((r) => r.channelId === channelId && r.incidentId !== incidentId),
        `channel ${channelId} is another incident's`,
      );
      const room = t.rooms.get(incidentId);
      if (!room || room.claimedBy !== owner || room.channelId !== null) return false;
      update(incidentId, { channelId, channelName });
      return true;
    },
    recordPrivacy: async (incidentId, privacy) => {
      const room = t.rooms.get(incidentId);
      if (room && room.privacy === null) update(incidentId, { privacy });
      return t.rooms.get(incidentId)?.privacy ?? privacy;
    },
    setContacts: async (incidentId, contacts) => update(incidentId, { contacts: copy([...contacts]) }),
    markOpened: async (incidentId, at) => {
      if (t.rooms.get(incidentId)?.openedAt === null) update(incidentId, { openedAt: copy(at) });
    },
    takeOverUnopened: async (owner, now, staleBefore, limit) => {
      const stale = [...t.rooms.values()]
        .filter((r) => r.openedAt === null && r.claimedAt < staleBefore)
        .sort((a, b) => a.claimedAt.getTime() - b.claimedAt.getTime())
        .slice(0, limit);
      for (const r of stale) update(r.incidentId, { claimedBy: owner, claimedAt: copy(now) });
      return stale.map((r) => copy(t.rooms.get(r.incidentId)!));
    },
    setHubMessage: async (incidentId, hubChannelId, hubTs) => update(incidentId, { hubChannelId, hubTs }),
    setIntroMessage: async (incidentId, introTs) => update(incidentId, { introTs }),
    assignRole: (incidentId, role, userId, assignedBy, assignedAt, _tx, guard) =>
      mem.transaction(async () => {
        constraint(t.incidents.has(incidentId), `no incident ${incidentId}`);
        const key = `${incidentId}:${role}`;
        const before = t.roles.get(key)?.userId;
        if (before === userId) return { unchanged: true as const };
        const holders = Object.fromEntries([...t.roles.values()].filter((r) => r.incidentId === incidentId).map((r) => [r.role, r.userId]));
        const refused = guard?.(holders);
        if (refused) return { refused };
        t.roles.set(key, { incidentId, role, userId, assignedBy, assignedAt: copy(assignedAt) });
        return before ? { previous: before } : {};
      }),
    roles: async (incidentId) =>
      [...t.roles.values()].filter((r) => r.incidentId === incidentId).map(({ incidentId: _i, ...holder }) => copy(holder)),
  };
}
