import type { ClaimedDelivery, InboxDelivery, InboxStore } from '../../domain/inbox-delivery';
import { jsonb, type MemoryDatabase, type MemoryInboxRow, type MemoryTables } from './memory-database';

/** A replica that has not beaten for a lease's length is gone: its leases may be taken at once. */
function replicaGone(t: MemoryTables, owner: string | null, now: number, leaseMs: number): boolean {
  const seen = owner === null ? undefined : t.replicas.get(owner);
  return seen !== undefined && seen.getTime() < now - leaseMs;
}

function claimDue(mem: MemoryDatabase, owner: string, limit: number, leaseMs: number): ClaimedDelivery[] {
  const t = mem.tables;
  const now = mem.now().getTime();
  const pending = t.inbox.filter((r) => r.doneAt === null);
  // A key is busy while another live replica holds one of its rows, or one of its rows waits for its retry.
  const busy = new Set(
    pending
      .filter(
        (r) =>
          (r.leaseUntil !== null &&
            r.leaseUntil.getTime() > now &&
            r.leaseOwner !== owner &&
            !replicaGone(t, r.leaseOwner, now, leaseMs)) ||
          (r.leaseUntil === null && r.notBefore.getTime() > now),
      )
      .map((r) => r.orderKey),
  );
  return pending
    .filter(
      (r) =>
        r.notBefore.getTime() <= now &&
        (r.leaseUntil === null || r.leaseUntil.getTime() < now || replicaGone(t, r.leaseOwner, now, leaseMs)) &&
        !busy.has(r.orderKey),
    )
    .sort((a, b) => a.seq - b.seq)
    .slice(0, limit)
    .map((r) => {
      r.leaseOwner = owner;
      r.leaseUntil = new Date(now + leaseMs);
      r.attempts += 1;
      return { eventId: r.eventId, seq: r.seq, orderKey: r.orderKey, body: jsonb(r.body), attempts: r.attempts };
    });
}

/** The in-memory InboxStore: leases read the database clock (`MemoryDatabase.now`); the same contract as `createInboxStore`. */
export function createMemoryInboxStore(mem: MemoryDatabase): InboxStore {
  const t = mem.tables;
  const at = (ms: number) => new Date(mem.now().getTime() + ms);
  const add = (d: InboxDelivery): boolean => {
    if (t.inbox.some((r) => r.eventId === d.eventId)) return false;
    t.serials.inbox += 1;
    t.inbox.push({
      seq: t.serials.inbox,
      eventId: d.eventId,
      orderKey: d.orderKey,
      body: jsonb(d.body),
      leaseOwner: null,
      leaseUntil: null,
      notBefore: mem.now(),
      attempts: 0,
      doneAt: null,
      failure: null,
    });
    return true;
  };
  const held = (eventId: string, owner: string): MemoryInboxRow | undefined =>
    t.inbox.find((r) => r.eventId === eventId && r.leaseOwner === owner);
  return {
    add: async (d) => add(d),
    addMany: async (list) => list.filter(add).length,
    claim: async (owner, limit, leaseMs) => claimDue(mem, owner, limit, leaseMs),
    heartbeat: async (owner, leaseMs, eventIds) => {
      t.replicas.set(owner, mem.now());
      for (const r of t.inbox) if (r.leaseOwner === owner && r.doneAt === null && eventIds.includes(r.eventId)) r.leaseUntil = at(leaseMs);
    },
    complete: async (eventIds, owner) => {
      for (const eventId of eventIds) {
        const r = held(eventId, owner);
        if (!r) continue;
        r.doneAt = mem.now();
        r.leaseUntil = null;
      }
    },
    release: async (eventIds, owner, delayMs = 0) => {
      for (const r of t.inbox) {
        if (!eventIds.includes(r.eventId) || r.leaseOwner !== owner || r.doneAt !== null) continue;
        r.leaseOwner = null;
        r.leaseUntil = null;
        r.notBefore = at(delayMs);
      }
    },
    fail: async (eventId, owner, reason) => {
      const r = held(eventId, owner);
      if (!r) return;
      r.doneAt = mem.now();
      r.leaseUntil = null;
      r.failure = reason.slice(0, 500);
    },
    retire: async (owner) => {
      if (t.replicas.has(owner)) t.replicas.set(owner, new Date(-8.64e15));
    },
    pendingCount: async () => t.inbox.filter((r) => r.doneAt === null).length,
    pruneDoneBefore: async (cutoff) => {
      const before = t.inbox.length;
      t.inbox = t.inbox.filter((r) => r.doneAt === null || r.doneAt.getTime() >= cutoff.getTime());
      return before - t.inbox.length;
    },
  };
}
