import type { Database } from './database';
import type { ClaimedDelivery, InboxStore } from '../domain/inbox-delivery';

// Any fixed number, distinct from the migration lock's.
const INBOX_CLAIM_LOCK = 7_310_043;

type ClaimedRow = { event_id: string; seq: string; order_key: string; body: Record<string, unknown>; attempts: number };

const leaseSecs = (ms: number) => ms / 1000;

async function claimDue(db: Database, owner: string, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  // The poll runs a few times a second on every replica, mostly to find nothing: one indexed read answers that,
  // without the transaction, the lock and the update below (four round trips).
  const due = await db.query('SELECT 1 FROM slack_inbox WHERE done_at IS NULL AND not_before <= now() LIMIT 1');
  if (due.rows.length === 0) return [];
  // Claims are serialized (a transaction-scoped advisory lock, held for milliseconds) so that two replicas
  // never split one key between them; within a claim, a key is skipped while another replica holds any of
  // its rows or an earlier row of it waits for a retry.
  const r = await db.transaction((tx) =>
    tx.query('SELECT pg_advisory_xact_lock($1)', [INBOX_CLAIM_LOCK]).then(() =>
      tx.query<ClaimedRow>(
        `WITH busy AS (
             SELECT DISTINCT order_key FROM slack_inbox
             WHERE done_at IS NULL
               AND ((lease_until > now() AND lease_owner IS DISTINCT FROM $1
                     AND lease_owner NOT IN (SELECT replica_id FROM bot_replicas WHERE seen_at < now() - make_interval(secs => $3)))
                    OR (lease_until IS NULL AND not_before > now())))
           UPDATE slack_inbox SET lease_owner = $1, lease_until = now() + make_interval(secs => $3), attempts = attempts + 1
           WHERE event_id IN (
             SELECT event_id FROM slack_inbox
             WHERE done_at IS NULL AND not_before <= now()
               AND (lease_until IS NULL OR lease_until < now()
                    OR lease_owner IN (SELECT replica_id FROM bot_replicas WHERE seen_at < now() - make_interval(secs => $3)))
               AND order_key NOT IN (SELECT order_key FROM busy)
             ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)
           RETURNING event_id, seq, order_key, body, attempts`,
        [owner, limit, leaseSecs(leaseMs)],
      ),
    ),
  );
  return r.rows
    .map((row) => ({ eventId: row.event_id, seq: Number(row.seq), orderKey: row.order_key, body: row.body, attempts: row.attempts }))
    .sort((a, b) => a.seq - b.seq);
}

export function createInboxStore(db: Database): InboxStore {
  return {
    add: async (d) => {
      const r = await db.query(
        'INSERT INTO slack_inbox (event_id, order_key, body) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING',
        [d.eventId, d.orderKey, d.body],
      );
      return r.rowCount === 1;
    },
    addMany: async (list) => {
      if (list.length === 0) return 0;
      const r = await db.query(
        `INSERT INTO slack_inbox (event_id, order_key, body)
         SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[]) ON CONFLICT (event_id) DO NOTHING`,
        [list.map((d) => d.eventId), list.map((d) => d.orderKey), list.map((d) => JSON.stringify(d.body))],
      );
      return r.rowCount ?? 0;
    },
    claim: (owner, limit, leaseMs) => claimDue(db, owner, limit, leaseMs),
    heartbeat: async (owner, leaseMs, eventIds) => {
      await db.query(
        `INSERT INTO bot_replicas (replica_id, seen_at) VALUES ($1, now()) ON CONFLICT (replica_id) DO UPDATE SET seen_at = now()`,
        [owner],
      );
      if (eventIds.length === 0) return;
      await db.query(
        `UPDATE slack_inbox SET lease_until = now() + make_interval(secs => $2)
         WHERE lease_owner = $1 AND done_at IS NULL AND event_id = ANY($3::text[])`,
        [owner, leaseSecs(leaseMs), eventIds],
      );
    },
    complete: async (eventIds, owner) => {
      if (eventIds.length === 0) return;
      await db.query(`UPDATE slack_inbox SET done_at = now(), lease_until = NULL WHERE event_id = ANY($1::text[]) AND lease_owner = $2`, [
        eventIds,
        owner,
      ]);
    },
    release: async (eventIds, owner, delayMs = 0) => {
      if (eventIds.length === 0) return;
      await db.query(
        `UPDATE slack_inbox SET lease_owner = NULL, lease_until = NULL, not_before = now() + make_interval(secs => $3)
         WHERE event_id = ANY($1::text[]) AND lease_owner = $2 AND done_at IS NULL`,
        [eventIds, owner, delayMs / 1000],
      );
    },
    fail: async (eventId, owner, reason) => {
      await db.query(`UPDATE slack_inbox SET done_at = now(), lease_until = NULL, failure = $3 WHERE event_id = $1 AND lease_owner = $2`, [
        eventId,
        owner,
        reason.slice(0, 500),
      ]);
    },
    retire: async (owner) => {
      await db.query(`UPDATE bot_replicas SET seen_at = '-infinity' WHERE replica_id = $1`, [owner]);
    },
    pendingCount: async () =>
      Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM slack_inbox WHERE done_at IS NULL')).rows[0]!.n),
    pruneDoneBefore: async (cutoff) => {
      const r = await db.query('DELETE FROM slack_inbox WHERE done_at < $1', [cutoff]);
      return r.rowCount ?? 0;
    },
  };
}
