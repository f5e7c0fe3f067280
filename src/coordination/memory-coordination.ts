import { randomUUID } from 'node:crypto';
import { checkKey, type Coordination, type Lock, type SharedRecord } from './coordination';

/** Keys that expire, set only when absent (Redis's SET NX PX). */
function createExpiringKeys(now: () => number) {
  const expiries = new Map<string, { value: string; expiresAt: number }>();
  // Swept when the map has doubled since the last sweep, so many live keys do not mean a full scan per claim.
  let sweepAbove = 10_000;
  const sweep = () => {
    const t = now();
    for (const [k, e] of expiries) if (e.expiresAt <= t) expiries.delete(k);
    sweepAbove = Math.max(10_000, expiries.size * 2);
  };
  const live = (key: string) => {
    const e = expiries.get(key);
    if (e && e.expiresAt <= now()) {
      expiries.delete(key);
      return undefined;
    }
    return e;
  };
  const setNx = (key: string, value: string, ttlMs: number): boolean => {
    if (live(key)) return false;
    expiries.set(key, { value, expiresAt: now() + ttlMs });
    if (expiries.size > sweepAbove) sweep();
    return true;
  };
  return { live, setNx, delete: (key: string) => expiries.delete(key), clear: () => expiries.clear() };
}

/** The shared records: small maps of strings that expire after their last change. */
function memoryRecords(now: () => number): Pick<Coordination, 'updateRecord' | 'readRecord' | 'deleteRecordIf'> & { clear(): void } {
  const records = new Map<string, { fields: SharedRecord; expiresAt: number }>();
  const liveRecord = (key: string) => {
    const r = records.get(key);
    if (r && r.expiresAt <= now()) {
      records.delete(key);
      return undefined;
    }
    return r;
  };
  return {
    updateRecord: async (key, change, opts) => {
      checkKey(key);
      const current = liveRecord(key);
      if (!current && !opts.create) return null;
      const fields = current?.fields ?? {};
      for (const [k, v] of Object.entries(change.setIfAbsent ?? {})) if (!(k in fields)) fields[k] = v;
      Object.assign(fields, change.set ?? {});
      for (const [k, v] of Object.entries(change.increment ?? {})) fields[k] = String(Number(fields[k] ?? 0) + v);
      records.set(key, { fields, expiresAt: now() + opts.ttlMs });
      return { ...fields };
    },
    readRecord: async (key) => {
      const r = liveRecord(checkKey(key));
      return r ? { ...r.fields } : null;
    },
    deleteRecordIf: async (key, field, value) => {
      const r = liveRecord(checkKey(key));
      if (!r || r.fields[field] !== value) return null;
      records.delete(key);
      return { ...r.fields };
    },
    clear: () => records.clear(),
  };
}

/** Single-process stand-in for Redis: correct for one replica only. */
export function createMemoryCoordination(now: () => number = Date.now): Coordination {
  const expiring = createExpiringKeys(now);
  const nextSlot = new Map<string, number>();
  const windows = new Map<string, { member: string; at: number }[]>();
  const { clear: clearRecords, ...records } = memoryRecords(now);
  // Real time, not `now`: what matters is how long this process has held its keys, whatever a test clock says.
  const startedAt = performance.now();

  return {
    kind: 'memory',
    claim: async (key, ttlMs) => expiring.setNx(checkKey(key), '1', ttlMs),
    claimMany: async (keys, ttlMs) => {
      for (const key of keys) checkKey(key);
      return keys.map((key) => expiring.setNx(key, '1', ttlMs));
    },
    acquireLock: async (key, ttlMs): Promise<Lock | null> => {
      checkKey(key);
      const token = randomUUID();
      if (!expiring.setNx(key, token, ttlMs)) return null;
      return {
        release: async () => {
          if (expiring.live(key)?.value === token) expiring.delete(key);
        },
      };
    },
    reserveRate: async (bucket, perSecond) => {
      checkKey(bucket);
      const t = now();
      const slot = Math.max(t, nextSlot.get(bucket) ?? 0);
      nextSlot.set(bucket, slot + Math.ceil(1000 / perSecond));
      return slot - t;
    },
    areClaimed: async (keys) => keys.map((key) => expiring.live(checkKey(key)) !== undefined),
    countInWindow: async (key, members, windowMs) => {
      checkKey(key);
      const t = now();
      const kept = (windows.get(key) ?? []).filter((m) => m.at > t - windowMs && !members.includes(m.member));
      kept.push(...members.map((member) => ({ member, at: t })));
      windows.set(key, kept);
      return kept.length;
    },
    ...records,
    keptForMs: () => performance.now() - startedAt,
    ping: async () => undefined,
    close: async () => {
      expiring.clear();
      nextSlot.clear();
      windows.clear();
      clearRecords();
    },
  };
}
