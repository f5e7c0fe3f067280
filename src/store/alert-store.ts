import type { AlertEvent } from '../domain/alert-event';
import type { Severity } from '../domain/severity';
import type { Database } from './database';
import type { AlertRecord, AlertStore, RecordOptions, RecordOutcome } from '../domain/alert';
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
}

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
});

export function createAlertStore(db: Database): AlertStore {
  const one = async (q: Queryable, sql: string, params: unknown[]): Promise<AlertRecord | null> => {
    const r = await q.query<AlertRow>(sql, params);
    return r.rows[0] ? toRecord(r.rows[0]) : null;
  };

  const recordFiring = (event: AlertEvent, opts: RecordOptions) =>
    db.transaction(async (tx): Promise<RecordOutcome> => {
      if (opts.deliveryKey !== undefined) {
        const fresh = await tx.query('INSERT INTO alert_deliveries (delivery_key, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [opts.deliveryKey, opts.now]);
        if (fresh.rowCount === 0) {
          const seen = await one(tx, `SELECT * FROM alerts WHERE fingerprint = $1 ORDER BY (status = 'firing') DESC, id DESC LIMIT 1`, [event.fingerprint]);
          return seen ? { kind: 'duplicate', alert: seen } : { kind: 'ignored', reason: `delivery ${opts.deliveryKey} was already recorded` };
        }
      }
      // A few rounds at most: the active row can be resolved between our INSERT and our SELECT.
      for (let attempt = 0; attempt < 5; attempt++) {
        const inserted = await one(
          tx,
          `INSERT INTO alerts (fingerprint, name, source, severity, labels, annotations, generator_url, starts_at,
             first_seen_at, last_seen_at, last_delivery_key, channel_id, message_ts)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12)
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
            opts.post?.channelId ?? null,
            opts.post?.ts ?? null,
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
    });

  return {
    record: async (event, opts) => {
      if (event.status === 'firing') return recordFiring(event, opts);
      const resolved = await one(
        db,
        `UPDATE alerts SET status = 'resolved', resolved_at = $2, ends_at = $3, last_seen_at = GREATEST(last_seen_at, $2)
         WHERE fingerprint = $1 AND status = 'firing' RETURNING *`,
        [event.fingerprint, opts.now, event.endsAt ?? opts.now],
      );
      return resolved ? { kind: 'resolved', alert: resolved } : { kind: 'ignored', reason: `no active alert with fingerprint ${event.fingerprint}` };
    },

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
      one(db, `UPDATE alerts SET status = 'resolved', resolved_at = $2, ends_at = COALESCE(ends_at, $2) WHERE id = $1 AND status = 'firing' RETURNING *`, [
        id,
        at,
      ]),

    get: (id, tx) => one(tx ?? db, 'SELECT * FROM alerts WHERE id = $1', [id]),
    findActiveByFingerprint: (fp) => one(db, `SELECT * FROM alerts WHERE fingerprint = $1 AND status = 'firing'`, [fp]),
    findByMessage: (channelId, ts) =>
      one(db, 'SELECT * FROM alerts WHERE channel_id = $1 AND (message_ts = $2 OR reply_ts = $2) ORDER BY id DESC LIMIT 1', [channelId, ts]),

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
         WHERE reply_ts IS NULL AND reply_claimed_by IS NOT NULL AND status = 'firing' AND message_ts IS NOT NULL AND channel_id IS NOT NULL
           AND (reply_claimed_at < $1::timestamptz - make_interval(secs => $2::double precision / 1000)
                OR reply_claimed_by IN (SELECT replica_id FROM bot_replicas WHERE seen_at < now() - interval '10 seconds'))
         ORDER BY id LIMIT $3`,
        [now, staleMs, limit],
      );
      return r.rows.map(toRecord);
    },
    setReplyTs: async (id, ts) => {
      await db.query('UPDATE alerts SET reply_ts = $2 WHERE id = $1', [id, ts]);
    },
    setPost: async (id, channelId, ts) => {
      await db.query('UPDATE alerts SET channel_id = $2, message_ts = $3 WHERE id = $1', [id, channelId, ts]);
    },
    linkIncident: (id, incidentId, tx, opts) =>
      one(tx ?? db, `UPDATE alerts SET incident_id = $2 WHERE id = $1${opts?.onlyIfUnlinked ? ' AND incident_id IS NULL' : ''} RETURNING *`, [id, incidentId]),
    setEscalationLevel: async (id, level, tx) => {
      await (tx ?? db).query('UPDATE alerts SET escalation_level = GREATEST(escalation_level, $2) WHERE id = $1', [id, level]);
    },
    pruneDeliveries: async (before) => (await db.query('DELETE FROM alert_deliveries WHERE received_at < $1', [before])).rowCount ?? 0,
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
