import type { AlertEvent, LabelsOrigin } from '../domain/alert-event';
import type { Severity } from '../domain/severity';
import type { Database } from './database';
import type { AlertGroup, AlertRecord, AlertStore, RecordOptions, RecordOutcome } from '../domain/alert';
import type { Queryable } from '../domain/queryable';

interface AlertRow {
  id: string;
  fingerprint: string;
  name: string;
  source: string;
  severity: Severity;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generator_url: string | null;
  starts_at: Date;
  ends_at: Date | null;
  first_seen_at: Date;
  last_seen_at: Date;
  fire_count: number;
  last_delivery_key: string | null;
  resolved_at: Date | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  channel_id: string | null;
  message_ts: string | null;
  reply_ts: string | null;
  reply_claimed_by?: string | null;
  escalation_level: number;
  incident_id: string | null;
  labels_from: LabelsOrigin;
  group_id: string | null;
}

interface GroupRow {
  id: string;
  channel_id: string;
  group_key: string;
  thread_ts: string | null;
  message_ts: string | null;
  message_claimed_by: string | null;
}

const toGroup = (r: GroupRow): AlertGroup => ({
  id: Number(r.id),
  channelId: r.channel_id,
  groupKey: r.group_key,
  threadTs: r.thread_ts,
  messageTs: r.message_ts,
  messageClaimedBy: r.message_claimed_by,
});

const toRecord = (r: AlertRow): AlertRecord => ({
  id: Number(r.id),
  fingerprint: r.fingerprint,
  name: r.name,
  source: r.source,
  severity: r.severity,
  status: r.status,
  labels: r.labels,
  annotations: r.annotations,
  generatorURL: r.generator_url,
  startsAt: r.starts_at,
  endsAt: r.ends_at,
  firstSeenAt: r.first_seen_at,
  lastSeenAt: r.last_seen_at,
  fireCount: r.fire_count,
  resolvedAt: r.resolved_at,
  acknowledgedAt: r.acknowledged_at,
  acknowledgedBy: r.acknowledged_by,
  channelId: r.channel_id,
  messageTs: r.message_ts,
  replyTs: r.reply_ts,
  replyClaimedBy: r.reply_claimed_by ?? null,
  escalationLevel: r.escalation_level,
  incidentId: r.incident_id,
  labelsFrom: r.labels_from,
  groupId: r.group_id === null ? null : Number(r.group_id),
});

type RecordItem = { event: AlertEvent; opts: RecordOptions };
type Indexed = RecordItem & { i: number };
/** One slot per item of a delivery, filled as each statement settles its alerts. */
type Outcomes = (RecordOutcome | undefined)[];

const one = async (q: Queryable, sql: string, params: unknown[]): Promise<AlertRecord | null> => {
  const r = await q.query<AlertRow>(sql, params);
  return r.rows[0] ? toRecord(r.rows[0]) : null;
};

async function recordFiringOn(tx: Queryable, event: AlertEvent, opts: RecordOptions, checkDelivery: boolean): Promise<RecordOutcome> {
  if (checkDelivery && opts.deliveryKey !== undefined) {
    const fresh = await tx.query('INSERT INTO alert_deliveries (delivery_key, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      opts.deliveryKey,
      opts.now,
    ]);
    if (fresh.rowCount === 0) {
      const seen = await one(tx, `SELECT * FROM alerts WHERE fingerprint = $1 ORDER BY (status = 'firing') DESC, id DESC LIMIT 1`, [
        event.fingerprint,
      ]);
      return seen ? { kind: 'duplicate', alert: seen } : { kind: 'ignored', reason: `delivery ${opts.deliveryKey} was already recorded` };
    }
  }
  // A few rounds at most: the active row can be resolved between our INSERT and our SELECT.
  for (let attempt = 0; attempt < 5; attempt++) {
    const inserted = await one(
      tx,
      `INSERT INTO alerts (fingerprint, name, source, severity, labels, annotations, generator_url, starts_at,
           first_seen_at, last_seen_at, last_delivery_key, channel_id, message_ts, labels_from)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13)
         ON CONFLICT (fingerprint) WHERE status = 'firing' DO NOTHING
         RETURNING *`,
      [
        event.fingerprint,
        event.name,
        event.source,
        opts.severity,
        JSON.stringify(event.labels),
        JSON.stringify(event.annotations),
        event.generatorURL ?? null,
        event.startsAt,
        opts.now,
        opts.deliveryKey ?? null,
        opts.post?.channelId ?? opts.channelId ?? null,
        opts.post?.ts ?? null,
        event.labelsFrom ?? 'sender',
      ],
    );
    if (inserted) {
      await opts.onNew?.(tx, inserted);
      return { kind: 'new', alert: inserted };
    }
    const active = await tx.query<AlertRow>(`SELECT * FROM alerts WHERE fingerprint = $1 AND status = 'firing' FOR UPDATE`, [
      event.fingerprint,
    ]);
    const row = active.rows[0];
    if (!row) continue;
    const updated = (await one(
      tx,
      `UPDATE alerts SET fire_count = fire_count + 1, last_seen_at = GREATEST(last_seen_at, $2), last_delivery_key = $3,
           annotations = $4
         WHERE id = $1 RETURNING *`,
      [row.id, opts.now, opts.deliveryKey ?? null, JSON.stringify(event.annotations)],
    ))!;
    return { kind: 'refire', alert: updated, count: updated.fireCount, since: updated.firstSeenAt };
  }
  throw new Error(`alert ${event.fingerprint} kept changing state while being recorded`);
}

async function resolveOn(q: Queryable, event: AlertEvent, opts: RecordOptions): Promise<RecordOutcome> {
  const resolved = await one(
    q,
    `UPDATE alerts SET status = 'resolved', resolved_at = $2, ends_at = $3, last_seen_at = GREATEST(last_seen_at, $2)
     WHERE fingerprint = $1 AND status = 'firing' RETURNING *`,
    [event.fingerprint, opts.now, event.endsAt ?? opts.now],
  );
  return resolved
    ? { kind: 'resolved', alert: resolved }
    : { kind: 'ignored', reason: `no active alert with fingerprint ${event.fingerprint}` };
}

/** Records the delivery keys in one INSERT; settles the items whose key was already seen. Returns the keys new here. */
async function recordDeliveries(tx: Queryable, items: readonly RecordItem[], out: Outcomes): Promise<Set<string>> {
  const keyed = items.map((it, i) => ({ ...it, i })).filter((it) => it.opts.deliveryKey !== undefined);
  const fresh = new Set<string>();
  if (!keyed.length) return fresh;
  const r = await tx.query<{ delivery_key: string }>(
    `INSERT INTO alert_deliveries (delivery_key, received_at) SELECT k, $2 FROM unnest($1::text[]) AS k ON CONFLICT DO NOTHING RETURNING delivery_key`,
    [keyed.map((k) => k.opts.deliveryKey), items[0]!.opts.now],
  );
  for (const row of r.rows) fresh.add(row.delivery_key);
  const seen = keyed.filter((k) => !fresh.has(k.opts.deliveryKey!));
  if (seen.length) {
    const rows = await tx.query<AlertRow>(
      `SELECT DISTINCT ON (fingerprint) * FROM alerts WHERE fingerprint = ANY($1::text[]) ORDER BY fingerprint, (status = 'firing') DESC, id DESC`,
      [seen.map((k) => k.event.fingerprint)],
    );
    const byFp = new Map(rows.rows.map((row) => [row.fingerprint, toRecord(row)]));
    for (const k of seen) {
      const a = byFp.get(k.event.fingerprint);
      out[k.i] = a ? { kind: 'duplicate', alert: a } : { kind: 'ignored', reason: `delivery ${k.opts.deliveryKey} was already recorded` };
    }
  }
  return fresh;
}

/** Counts a re-fire of every already-active alert in one UPDATE; those not active are left for the one-by-one path. */
async function refireBatch(tx: Queryable, firing: readonly Indexed[], out: Outcomes): Promise<void> {
  if (!firing.length) return;
  const r = await tx.query<AlertRow>(
    `UPDATE alerts a SET fire_count = a.fire_count + 1, last_seen_at = GREATEST(a.last_seen_at, v.now), last_delivery_key = v.key, annotations = v.annotations
     FROM (SELECT unnest($1::text[]) AS fp, unnest($2::text[]) AS key, unnest($3::jsonb[]) AS annotations, unnest($4::timestamptz[]) AS now) v
     WHERE a.fingerprint = v.fp AND a.status = 'firing'
     RETURNING a.*`,
    [
      firing.map((t) => t.event.fingerprint),
      firing.map((t) => t.opts.deliveryKey ?? null),
      firing.map((t) => JSON.stringify(t.event.annotations)),
      firing.map((t) => t.opts.now),
    ],
  );
  const byFp = new Map(r.rows.map((row) => [row.fingerprint, toRecord(row)]));
  for (const t of firing) {
    const a = byFp.get(t.event.fingerprint);
    if (a) out[t.i] = { kind: 'refire', alert: a, count: a.fireCount, since: a.firstSeenAt };
  }
}

/** Resolves the active alerts in one UPDATE; a resolution of an alert not firing is ignored. */
async function resolveBatch(tx: Queryable, resolving: readonly Indexed[], out: Outcomes): Promise<void> {
  if (!resolving.length) return;
  const r = await tx.query<AlertRow>(
    `UPDATE alerts a SET status = 'resolved', resolved_at = v.now, ends_at = COALESCE(v.ends_at, v.now), last_seen_at = GREATEST(a.last_seen_at, v.now)
     FROM (SELECT unnest($1::text[]) AS fp, unnest($2::timestamptz[]) AS now, unnest($3::timestamptz[]) AS ends_at) v
     WHERE a.fingerprint = v.fp AND a.status = 'firing'
     RETURNING a.*`,
    [resolving.map((t) => t.event.fingerprint), resolving.map((t) => t.opts.now), resolving.map((t) => t.event.endsAt ?? null)],
  );
  const byFp = new Map(r.rows.map((row) => [row.fingerprint, toRecord(row)]));
  for (const t of resolving) {
    const a = byFp.get(t.event.fingerprint);
    out[t.i] = a ? { kind: 'resolved', alert: a } : { kind: 'ignored', reason: `no active alert with fingerprint ${t.event.fingerprint}` };
  }
}

/**
 * A delivery's alerts in one transaction and a few statements: the delivery keys in one INSERT, the re-fires of
 * active alerts in one UPDATE, the resolutions in another; only alerts not yet firing are inserted one by one.
 */
async function recordManyOn(tx: Queryable, items: readonly RecordItem[]): Promise<RecordOutcome[]> {
  const out: Outcomes = items.map(() => undefined);
  const fresh = await recordDeliveries(tx, items, out);
  const todo = items.map((it, i) => ({ ...it, i })).filter((it) => out[it.i] === undefined);
  // The same alert twice in one delivery: the later ones take the one-by-one path.
  const firstOf = new Map<string, number>();
  for (const t of todo) if (!firstOf.has(t.event.fingerprint)) firstOf.set(t.event.fingerprint, t.i);
  const batchable = todo.filter((t) => firstOf.get(t.event.fingerprint) === t.i);
  const firing = batchable.filter((t) => t.event.status === 'firing');
  const resolving = batchable.filter((t) => t.event.status === 'resolved');
  await refireBatch(tx, firing, out);
  await resolveBatch(tx, resolving, out);
  for (const t of todo) {
    if (out[t.i] !== undefined) continue;
    if (t.event.status === 'firing') out[t.i] = await recordFiringOn(tx, t.event, t.opts, !fresh.has(t.opts.deliveryKey ?? ''));
    else out[t.i] = await resolveOn(tx, t.event, t.opts);
  }
  return out as RecordOutcome[];
}

/** Recording what a sender delivered, and the per-alert changes people and jobs make afterwards. */
function alertRecording(
  db: Database,
): Pick<AlertStore, 'record' | 'recordMany' | 'acknowledge' | 'resolve' | 'linkIncident' | 'setEscalationLevel' | 'pruneDeliveries'> {
  return {
    record: async (event, opts) =>
      event.status === 'firing' ? db.transaction((tx) => recordFiringOn(tx, event, opts, true)) : resolveOn(db, event, opts),
    recordMany: (items) => (items.length ? db.transaction((tx) => recordManyOn(tx, items)) : Promise.resolve([])),

    acknowledge: async (id, by, at) => {
      const acked = await one(
        db,
        `UPDATE alerts SET acknowledged_at = $3, acknowledged_by = $2
         WHERE id = $1 AND status = 'firing' AND acknowledged_at IS NULL RETURNING *`,
        [id, by, at],
      );
      if (acked) return { kind: 'acked', alert: acked };
      const current = await one(db, 'SELECT * FROM alerts WHERE id = $1', [id]);
      if (!current) return { kind: 'not_found' };
      if (current.status === 'resolved') return { kind: 'resolved', alert: current };
      return { kind: 'already', alert: current, by: current.acknowledgedBy!, at: current.acknowledgedAt! };
    },

    resolve: (id, at) =>
      one(
        db,
        `UPDATE alerts SET status = 'resolved', resolved_at = $2, ends_at = COALESCE(ends_at, $2) WHERE id = $1 AND status = 'firing' RETURNING *`,
        [id, at],
      ),
    linkIncident: (id, incidentId, tx, opts) =>
      one(
        tx ?? db,
        `UPDATE alerts SET incident_id = $2 WHERE id = $1${opts?.onlyIfUnlinked ? ' AND incident_id IS NULL' : ''} RETURNING *`,
        [id, incidentId],
      ),
    setEscalationLevel: async (id, level, tx) => {
      await (tx ?? db).query('UPDATE alerts SET escalation_level = GREATEST(escalation_level, $2) WHERE id = $1', [id, level]);
    },
    pruneDeliveries: async (before) => (await db.query('DELETE FROM alert_deliveries WHERE received_at < $1', [before])).rowCount ?? 0,
  };
}

function alertLookups(
  db: Database,
): Pick<AlertStore, 'get' | 'findActiveByFingerprint' | 'listActiveByName' | 'findByMessage' | 'namesByIncident' | 'listActive'> {
  return {
    get: (id, tx) => one(tx ?? db, 'SELECT * FROM alerts WHERE id = $1', [id]),
    findActiveByFingerprint: (fp) => one(db, `SELECT * FROM alerts WHERE fingerprint = $1 AND status = 'firing'`, [fp]),
    listActiveByName: async (name, limit) =>
      (
        await db.query<AlertRow>(`SELECT * FROM alerts WHERE name = $1 AND status = 'firing' ORDER BY id DESC LIMIT $2`, [name, limit])
      ).rows.map(toRecord),
    findByMessage: (channelId, ts) =>
      one(db, 'SELECT * FROM alerts WHERE channel_id = $1 AND (message_ts = $2 OR reply_ts = $2) ORDER BY id DESC LIMIT 1', [
        channelId,
        ts,
      ]),
    namesByIncident: async (incidentId) => {
      const r = await db.query<{ name: string }>('SELECT DISTINCT name FROM alerts WHERE incident_id = $1', [incidentId]);
      return r.rows.map((row) => row.name);
    },
    listActive: async (limit = 100) => {
      const r = await db.query<AlertRow>(`SELECT * FROM alerts WHERE status = 'firing' ORDER BY first_seen_at DESC LIMIT $1`, [limit]);
      return r.rows.map(toRecord);
    },
  };
}

/** An alert's own message and its reply: who may post it, and where it landed. */
function alertReplies(
  db: Database,
): Pick<AlertStore, 'claimReply' | 'listStaleReplyClaims' | 'giveUpReplyClaim' | 'setReplyTs' | 'setPost'> {
  return {
    claimReply: async (id, claimant, now, staleMs) => {
      const r = await db.query(
        `UPDATE alerts SET reply_claimed_by = $2, reply_claimed_at = $3
         WHERE id = $1 AND reply_ts IS NULL
           AND (reply_claimed_by IS NULL OR reply_claimed_by = $2 OR reply_claimed_at < $3::timestamptz - make_interval(secs => $4::double precision / 1000)
                -- The claimant stopped beating (killed, or stopped before finishing): no need to wait out staleMs.
                OR reply_claimed_by IN (SELECT replica_id FROM bot_replicas WHERE seen_at < now() - interval '10 seconds'))`,
        [id, claimant, now, staleMs],
      );
      return r.rowCount === 1;
    },
    listStaleReplyClaims: async (now, staleMs, limit) => {
      const r = await db.query<AlertRow>(
        `SELECT * FROM alerts
         WHERE reply_ts IS NULL AND reply_claimed_by IS NOT NULL AND status = 'firing' AND channel_id IS NOT NULL
           AND (message_ts IS NOT NULL OR source = 'alertmanager-webhook') AND group_id IS NULL
           AND (reply_claimed_at < $1::timestamptz - make_interval(secs => $2::double precision / 1000)
                OR reply_claimed_by IN (SELECT replica_id FROM bot_replicas WHERE seen_at < now() - interval '10 seconds'))
         ORDER BY id LIMIT $3`,
        [now, staleMs, limit],
      );
      return r.rows.map(toRecord);
    },
    giveUpReplyClaim: async (id, claimant) => {
      await db.query(`UPDATE alerts SET reply_claimed_at = to_timestamp(0) WHERE id = $1 AND reply_claimed_by = $2 AND reply_ts IS NULL`, [
        id,
        claimant,
      ]);
    },
    setReplyTs: async (id, ts) => {
      await db.query('UPDATE alerts SET reply_ts = $2 WHERE id = $1', [id, ts]);
    },
    setPost: async (id, channelId, ts) => {
      await db.query('UPDATE alerts SET channel_id = $2, message_ts = $3 WHERE id = $1', [id, channelId, ts]);
    },
  };
}

/** Notification groups: which alerts one message lists. */
function alertGroupMembership(db: Database): Pick<AlertStore, 'findOpenGroup' | 'openGroup' | 'getGroup' | 'joinGroup' | 'groupMembers'> {
  return {
    findOpenGroup: async (channelId, groupKey) => {
      const r = await db.query<GroupRow>('SELECT * FROM alert_groups WHERE channel_id = $1 AND group_key = $2 AND closed_at IS NULL', [
        channelId,
        groupKey,
      ]);
      return r.rows[0] ? toGroup(r.rows[0]) : null;
    },
    openGroup: async (channelId, groupKey, threadTs) => {
      for (let attempt = 0; attempt < 5; attempt++) {
        // A group whose alerts have all resolved is over: a new firing starts a new message.
        await db.query(
          `UPDATE alert_groups g SET closed_at = now()
           WHERE channel_id = $1 AND group_key = $2 AND closed_at IS NULL
             AND EXISTS (SELECT 1 FROM alerts a WHERE a.group_id = g.id)
             AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.group_id = g.id AND a.status = 'firing')`,
          [channelId, groupKey],
        );
        const inserted = await db.query<GroupRow>(
          `INSERT INTO alert_groups (channel_id, group_key, thread_ts) VALUES ($1, $2, $3)
           ON CONFLICT (channel_id, group_key) WHERE closed_at IS NULL DO NOTHING RETURNING *`,
          [channelId, groupKey, threadTs],
        );
        if (inserted.rows[0]) return toGroup(inserted.rows[0]);
        const open = await db.query<GroupRow>('SELECT * FROM alert_groups WHERE channel_id = $1 AND group_key = $2 AND closed_at IS NULL', [
          channelId,
          groupKey,
        ]);
        if (open.rows[0]) return toGroup(open.rows[0]);
      }
      throw new Error(`alert group ${groupKey} kept changing while being opened`);
    },
    getGroup: async (id) => {
      const r = await db.query<GroupRow>('SELECT * FROM alert_groups WHERE id = $1', [id]);
      return r.rows[0] ? toGroup(r.rows[0]) : null;
    },
    joinGroup: async (groupId, alertIds) => {
      if (alertIds.length === 0) return;
      await db.query('UPDATE alerts SET group_id = $1 WHERE id = ANY($2::bigint[])', [groupId, alertIds]);
    },
    groupMembers: async (groupId, limit) =>
      (
        await db.query<AlertRow>(`SELECT * FROM alerts WHERE group_id = $1 ORDER BY (status = 'firing') DESC, id LIMIT $2`, [
          groupId,
          limit,
        ])
      ).rows.map(toRecord),
  };
}

/** A group's one message: who may post it, and where it landed. */
function alertGroupMessages(
  db: Database,
): Pick<AlertStore, 'claimGroupMessage' | 'giveUpGroupClaim' | 'setGroupMessage' | 'listStaleGroupClaims'> {
  return {
    claimGroupMessage: async (groupId, claimant, now, staleMs) => {
      const r = await db.query(
        `UPDATE alert_groups SET message_claimed_by = $2, message_claimed_at = $3
         WHERE id = $1 AND message_ts IS NULL
           AND (message_claimed_by IS NULL OR message_claimed_by = $2
                OR message_claimed_at < $3::timestamptz - make_interval(secs => $4::double precision / 1000)
                OR message_claimed_by IN (SELECT replica_id FROM bot_replicas WHERE seen_at < now() - interval '10 seconds'))`,
        [groupId, claimant, now, staleMs],
      );
      return r.rowCount === 1;
    },
    giveUpGroupClaim: async (groupId, claimant) => {
      await db.query(
        `UPDATE alert_groups SET message_claimed_at = to_timestamp(0) WHERE id = $1 AND message_claimed_by = $2 AND message_ts IS NULL`,
        [groupId, claimant],
      );
    },
    setGroupMessage: async (groupId, ts) => {
      await db.transaction(async (tx) => {
        const g = await tx.query<GroupRow>('UPDATE alert_groups SET message_ts = $2 WHERE id = $1 RETURNING *', [groupId, ts]);
        await tx.query(
          'UPDATE alerts SET reply_ts = $2, channel_id = COALESCE(channel_id, $3), message_ts = COALESCE(message_ts, $4) WHERE group_id = $1 AND reply_ts IS NULL',
          [groupId, ts, g.rows[0]?.channel_id ?? null, g.rows[0]?.thread_ts ?? ts],
        );
      });
    },
    listStaleGroupClaims: async (now, staleMs, limit) => {
      const r = await db.query<GroupRow>(
        `SELECT * FROM alert_groups
         WHERE message_ts IS NULL AND message_claimed_by IS NOT NULL AND closed_at IS NULL
           AND (message_claimed_at < $1::timestamptz - make_interval(secs => $2::double precision / 1000)
                OR message_claimed_by IN (SELECT replica_id FROM bot_replicas WHERE seen_at < now() - interval '10 seconds'))
         ORDER BY id LIMIT $3`,
        [now, staleMs, limit],
      );
      return r.rows.map(toGroup);
    },
  };
}

export function createAlertStore(db: Database): AlertStore {
  return { ...alertRecording(db), ...alertLookups(db), ...alertReplies(db), ...alertGroupMembership(db), ...alertGroupMessages(db) };
}
