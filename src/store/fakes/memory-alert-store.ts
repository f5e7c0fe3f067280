import type { AlertEvent } from '../../domain/alert-event';
import type { AlertGroup, AlertRecord, AlertStore, RecordOptions, RecordOutcome } from '../../domain/alert';
import {
  constraint,
  copy,
  jsonb,
  type MemoryAlertGroupRow,
  type MemoryAlertRow,
  type MemoryDatabase,
  type MemoryTables,
} from './memory-database';

/** A claimant whose replica has not beaten for this long is gone (the SQL's `interval '10 seconds'`). */
const REPLICA_GONE_MS = 10_000;

const out = (row: MemoryAlertRow | undefined): AlertRecord | null => (row ? copy(row.alert) : null);
const byId = (t: MemoryTables, id: number) => t.alerts.find((r) => r.alert.id === id);
const activeOf = (t: MemoryTables, fingerprint: string) =>
  t.alerts.find((r) => r.alert.fingerprint === fingerprint && r.alert.status === 'firing');
const claimantGone = (mem: MemoryDatabase, claimant: string | null | undefined) => {
  const seen = claimant ? mem.tables.replicas.get(claimant) : undefined;
  return seen !== undefined && seen.getTime() < mem.now().getTime() - REPLICA_GONE_MS;
};
const claimStale = (mem: MemoryDatabase, row: MemoryAlertRow, now: Date, staleMs: number) =>
  (row.replyClaimedAt !== null && row.replyClaimedAt.getTime() < now.getTime() - staleMs) || claimantGone(mem, row.alert.replyClaimedBy);

const groupOut = (g: MemoryAlertGroupRow | undefined): AlertGroup | null => (g ? copy(g.group) : null);
const openGroupOf = (t: MemoryTables, channelId: string, groupKey: string) =>
  t.alertGroups.find((g) => g.group.channelId === channelId && g.group.groupKey === groupKey && g.closedAt === null);
const membersOf = (t: MemoryTables, groupId: number) => t.alerts.filter((r) => r.alert.groupId === groupId);

function resolveActive(t: MemoryTables, event: AlertEvent, opts: RecordOptions): RecordOutcome {
  const row = activeOf(t, event.fingerprint);
  if (!row) return { kind: 'ignored', reason: `no active alert with fingerprint ${event.fingerprint}` };
  const a = row.alert;
  a.status = 'resolved';
  a.resolvedAt = opts.now;
  a.endsAt = event.endsAt ?? opts.now;
  a.lastSeenAt = new Date(Math.max(a.lastSeenAt.getTime(), opts.now.getTime()));
  return { kind: 'resolved', alert: copy(a) };
}

/** The outcome of a delivery already recorded, or undefined when its key is new (and now recorded). */
function repeatedDelivery(t: MemoryTables, event: AlertEvent, opts: RecordOptions): RecordOutcome | undefined {
  if (opts.deliveryKey === undefined) return undefined;
  if (t.alertDeliveries.has(opts.deliveryKey)) {
    const seen = t.alerts
      .filter((r) => r.alert.fingerprint === event.fingerprint)
      .sort((x, y) => Number(y.alert.status === 'firing') - Number(x.alert.status === 'firing') || y.alert.id - x.alert.id)[0];
    return seen
      ? { kind: 'duplicate', alert: copy(seen.alert) }
      : { kind: 'ignored', reason: `delivery ${opts.deliveryKey} was already recorded` };
  }
  t.alertDeliveries.set(opts.deliveryKey, opts.now);
  return undefined;
}

function refire(active: MemoryAlertRow, event: AlertEvent, opts: RecordOptions): RecordOutcome {
  const a = active.alert;
  a.fireCount += 1;
  a.lastSeenAt = new Date(Math.max(a.lastSeenAt.getTime(), opts.now.getTime()));
  a.annotations = jsonb(event.annotations);
  active.lastDeliveryKey = opts.deliveryKey ?? null;
  return { kind: 'refire', alert: copy(a), count: a.fireCount, since: copy(a.firstSeenAt) };
}

function insertAlert(t: MemoryTables, event: AlertEvent, opts: RecordOptions): AlertRecord {
  t.serials.alerts += 1;
  const alert: AlertRecord = {
    id: t.serials.alerts,
    fingerprint: event.fingerprint,
    name: event.name,
    source: event.source,
    severity: opts.severity,
    status: 'firing',
    labels: jsonb(event.labels),
    annotations: jsonb(event.annotations),
    generatorURL: event.generatorURL ?? null,
    startsAt: copy(event.startsAt),
    endsAt: null,
    firstSeenAt: copy(opts.now),
    lastSeenAt: copy(opts.now),
    fireCount: 1,
    resolvedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    channelId: opts.post?.channelId ?? opts.channelId ?? null,
    messageTs: opts.post?.ts ?? null,
    replyTs: null,
    replyClaimedBy: null,
    escalationLevel: 0,
    incidentId: null,
    labelsFrom: event.labelsFrom ?? 'sender',
    groupId: null,
  };
  t.alerts.push({ alert, lastDeliveryKey: opts.deliveryKey ?? null, replyClaimedAt: null });
  return alert;
}

function recordFiring(mem: MemoryDatabase, event: AlertEvent, opts: RecordOptions): Promise<RecordOutcome> {
  const t = mem.tables;
  return mem.transaction(async (tx): Promise<RecordOutcome> => {
    const repeated = repeatedDelivery(t, event, opts);
    if (repeated) return repeated;
    const active = activeOf(t, event.fingerprint);
    if (active) return refire(active, event, opts);
    const alert = insertAlert(t, event, opts);
    await opts.onNew?.(tx, copy(alert));
    return { kind: 'new', alert: copy(alert) };
  });
}

function memoryAlertRecording(
  mem: MemoryDatabase,
): Pick<AlertStore, 'record' | 'recordMany' | 'acknowledge' | 'resolve' | 'linkIncident' | 'setEscalationLevel' | 'pruneDeliveries'> {
  const t = mem.tables;
  const record: AlertStore['record'] = async (event, opts) =>
    event.status !== 'firing' ? resolveActive(t, event, opts) : recordFiring(mem, event, opts);
  return {
    record,
    recordMany: async (items) => {
      const outcomes: RecordOutcome[] = [];
      for (const { event, opts } of items) outcomes.push(await record(event, opts));
      return outcomes;
    },
    acknowledge: async (id, by, at) => {
      const row = byId(t, id);
      if (!row) return { kind: 'not_found' };
      const a = row.alert;
      if (a.status === 'resolved') return { kind: 'resolved', alert: copy(a) };
      if (a.acknowledgedAt) return { kind: 'already', alert: copy(a), by: a.acknowledgedBy!, at: copy(a.acknowledgedAt) };
      a.acknowledgedAt = copy(at);
      a.acknowledgedBy = by;
      return { kind: 'acked', alert: copy(a) };
    },
    resolve: async (id, at) => {
      const row = byId(t, id);
      if (!row || row.alert.status !== 'firing') return null;
      row.alert.status = 'resolved';
      row.alert.resolvedAt = copy(at);
      row.alert.endsAt = row.alert.endsAt ?? copy(at);
      return copy(row.alert);
    },
    linkIncident: async (id, incidentId, _tx, opts) => {
      constraint(t.incidents.has(incidentId), `no incident ${incidentId}`);
      const row = byId(t, id);
      if (!row || (opts?.onlyIfUnlinked && row.alert.incidentId !== null)) return null;
      row.alert.incidentId = incidentId;
      return copy(row.alert);
    },
    setEscalationLevel: async (id, level) => {
      const row = byId(t, id);
      if (row) row.alert.escalationLevel = Math.max(row.alert.escalationLevel, level);
    },
    pruneDeliveries: async (before) => {
      let pruned = 0;
      for (const [key, at] of t.alertDeliveries) {
        if (at.getTime() < before.getTime()) {
          t.alertDeliveries.delete(key);
          pruned += 1;
        }
      }
      return pruned;
    },
  };
}

function memoryAlertLookups(
  mem: MemoryDatabase,
): Pick<AlertStore, 'get' | 'findActiveByFingerprint' | 'listActiveByName' | 'findByMessage' | 'namesByIncident' | 'listActive'> {
  const t = mem.tables;
  return {
    get: async (id) => out(byId(t, id)),
    findActiveByFingerprint: async (fingerprint) => out(activeOf(t, fingerprint)),
    listActiveByName: async (name, limit) =>
      t.alerts
        .filter((r) => r.alert.name === name && r.alert.status === 'firing')
        .sort((x, y) => y.alert.id - x.alert.id)
        .slice(0, limit)
        .map((r) => copy(r.alert)),
    findByMessage: async (channelId, ts) =>
      out(
        t.alerts
          .filter((r) => r.alert.channelId === channelId && (r.alert.messageTs === ts || r.alert.replyTs === ts))
          .sort((x, y) => y.alert.id - x.alert.id)[0],
      ),
    namesByIncident: async (incidentId) => [...new Set(t.alerts.filter((r) => r.alert.incidentId === incidentId).map((r) => r.alert.name))],
    listActive: async (limit = 100) =>
      t.alerts
        .filter((r) => r.alert.status === 'firing')
        .sort((x, y) => y.alert.firstSeenAt.getTime() - x.alert.firstSeenAt.getTime())
        .slice(0, limit)
        .map((r) => copy(r.alert)),
  };
}

function memoryAlertReplies(
  mem: MemoryDatabase,
): Pick<AlertStore, 'claimReply' | 'listStaleReplyClaims' | 'giveUpReplyClaim' | 'setReplyTs' | 'setPost'> {
  const t = mem.tables;
  return {
    claimReply: async (id, claimant, now, staleMs) => {
      const row = byId(t, id);
      if (!row || row.alert.replyTs !== null) return false;
      const holder = row.alert.replyClaimedBy ?? null;
      if (holder !== null && holder !== claimant && !claimStale(mem, row, now, staleMs)) return false;
      row.alert.replyClaimedBy = claimant;
      row.replyClaimedAt = copy(now);
      return true;
    },
    giveUpReplyClaim: async (id, claimant) => {
      const row = byId(t, id);
      if (row && row.alert.replyTs === null && row.alert.replyClaimedBy === claimant) row.replyClaimedAt = new Date(0);
    },
    listStaleReplyClaims: async (now, staleMs, limit) =>
      t.alerts
        .filter(
          (r) =>
            r.alert.replyTs === null &&
            r.alert.replyClaimedBy != null &&
            r.alert.status === 'firing' &&
            (r.alert.messageTs !== null || r.alert.source === 'alertmanager-webhook') &&
            r.alert.groupId === null &&
            r.alert.channelId !== null &&
            claimStale(mem, r, now, staleMs),
        )
        .sort((x, y) => x.alert.id - y.alert.id)
        .slice(0, limit)
        .map((r) => copy(r.alert)),
    setReplyTs: async (id, ts) => {
      const row = byId(t, id);
      if (row) row.alert.replyTs = ts;
    },
    setPost: async (id, channelId, ts) => {
      const row = byId(t, id);
      if (!row) return;
      row.alert.channelId = channelId;
      row.alert.messageTs = ts;
    },
  };
}

function memoryAlertGroupMembership(
  mem: MemoryDatabase,
): Pick<AlertStore, 'findOpenGroup' | 'openGroup' | 'getGroup' | 'joinGroup' | 'groupMembers'> {
  const t = mem.tables;
  return {
    findOpenGroup: async (channelId, groupKey) => groupOut(openGroupOf(t, channelId, groupKey)),
    openGroup: async (channelId, groupKey, threadTs) => {
      const open = openGroupOf(t, channelId, groupKey);
      if (open) {
        const members = membersOf(t, open.group.id);
        if (members.length === 0 || members.some((r) => r.alert.status === 'firing')) return copy(open.group);
        open.closedAt = mem.now();
      }
      t.serials.alertGroups += 1;
      const row: MemoryAlertGroupRow = {
        group: { id: t.serials.alertGroups, channelId, groupKey, threadTs, messageTs: null, messageClaimedBy: null },
        claimedAt: null,
        closedAt: null,
      };
      t.alertGroups.push(row);
      return copy(row.group);
    },
    getGroup: async (id) => groupOut(t.alertGroups.find((g) => g.group.id === id)),
    joinGroup: async (groupId, ids) => {
      for (const id of ids) {
        const row = byId(t, id);
        if (row) row.alert.groupId = groupId;
      }
    },
    groupMembers: async (groupId, limit) =>
      membersOf(t, groupId)
        .sort((x, y) => Number(y.alert.status === 'firing') - Number(x.alert.status === 'firing') || x.alert.id - y.alert.id)
        .slice(0, limit)
        .map((r) => copy(r.alert)),
  };
}

function memoryAlertGroupMessages(
  mem: MemoryDatabase,
): Pick<AlertStore, 'claimGroupMessage' | 'giveUpGroupClaim' | 'setGroupMessage' | 'listStaleGroupClaims'> {
  const t = mem.tables;
  return {
    claimGroupMessage: async (groupId, claimant, now, staleMs) => {
      const g = t.alertGroups.find((x) => x.group.id === groupId);
      if (!g || g.group.messageTs !== null) return false;
      const holder = g.group.messageClaimedBy;
      const stale = (g.claimedAt !== null && g.claimedAt.getTime() < now.getTime() - staleMs) || claimantGone(mem, holder);
      if (holder !== null && holder !== claimant && !stale) return false;
      g.group.messageClaimedBy = claimant;
      g.claimedAt = copy(now);
      return true;
    },
    giveUpGroupClaim: async (groupId, claimant) => {
      const g = t.alertGroups.find((x) => x.group.id === groupId);
      if (g && g.group.messageTs === null && g.group.messageClaimedBy === claimant) g.claimedAt = new Date(0);
    },
    setGroupMessage: async (groupId, ts) => {
      const g = t.alertGroups.find((x) => x.group.id === groupId);
      if (!g) return;
      g.group.messageTs = ts;
      for (const r of membersOf(t, groupId)) {
        if (r.alert.replyTs !== null) continue;
        r.alert.replyTs = ts;
        r.alert.channelId = r.alert.channelId ?? g.group.channelId;
        r.alert.messageTs = r.alert.messageTs ?? g.group.threadTs ?? ts;
      }
    },
    listStaleGroupClaims: async (now, staleMs, limit) =>
      t.alertGroups
        .filter((g) => g.group.messageTs === null && g.group.messageClaimedBy !== null && g.closedAt === null)
        .filter(
          (g) => (g.claimedAt !== null && g.claimedAt.getTime() < now.getTime() - staleMs) || claimantGone(mem, g.group.messageClaimedBy),
        )
        .sort((x, y) => x.group.id - y.group.id)
        .slice(0, limit)
        .map((g) => copy(g.group)),
  };
}

/** The in-memory AlertStore: the same contract as `createAlertStore` (test/store/contracts/alert-store-contract.ts). */
export function createMemoryAlertStore(mem: MemoryDatabase): AlertStore {
  return {
    ...memoryAlertRecording(mem),
    ...memoryAlertLookups(mem),
    ...memoryAlertReplies(mem),
    ...memoryAlertGroupMembership(mem),
    ...memoryAlertGroupMessages(mem),
  };
}
