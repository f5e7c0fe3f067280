import type { RemediationDeclaration } from '../domain/remediation-declaration';
import type { ExecutionResult, RemediationPreview, Risk, Verification } from '../domain/remediation';
import type { Database } from './database';
import type { RemediationRequest, RemediationState, RemediationStore, RunCounts } from '../domain/remediation-request';
import type { Queryable } from '../domain/queryable';

interface Row {
  id: string;
  idempotency_key: string;
  action: string;
  declaration_id: string | null;
  runbook_id: string | null;
  title: string;
  risk: Risk;
  declaration: RemediationDeclaration;
  params: Record<string, unknown>;
  labels: Record<string, string>;
  target_name: string | null;
  limit_key: string;
  preview: RemediationPreview;
  state: RemediationState;
  requested_by: string;
  requested_at: Date;
  expires_at: Date;
  incident_id: string | null;
  alert_id: string | number | null;
  channel_id: string | null;
  thread_ts: string | null;
  approval_message_ts: string | null;
  approved_by: string | null;
  approved_at: Date | null;
  denied_by: string | null;
  denied_at: Date | null;
  deny_reason: string | null;
  started_at: Date | null;
  lease_until: Date | null;
  runner: string | null;
  finished_at: Date | null;
  result: ExecutionResult | null;
  verification: Verification | null;
  error: string | null;
}

const toRequest = (r: Row): RemediationRequest => ({
  id: r.id,
  idempotencyKey: r.idempotency_key,
  action: r.action,
  declarationId: r.declaration_id,
  runbookId: r.runbook_id,
  title: r.title,
  risk: r.risk,
  declaration: r.declaration,
  params: r.params,
  labels: r.labels,
  targetName: r.target_name,
  limitKey: r.limit_key,
  preview: r.preview,
  state: r.state,
  requestedBy: r.requested_by,
  requestedAt: r.requested_at,
  expiresAt: r.expires_at,
  incidentId: r.incident_id,
  alertId: r.alert_id === null || r.alert_id === undefined ? null : Number(r.alert_id),
  channelId: r.channel_id,
  threadTs: r.thread_ts,
  approvalMessageTs: r.approval_message_ts,
  approvedBy: r.approved_by,
  approvedAt: r.approved_at,
  deniedBy: r.denied_by,
  deniedAt: r.denied_at,
  denyReason: r.deny_reason,
  startedAt: r.started_at,
  leaseUntil: r.lease_until,
  runner: r.runner,
  finishedAt: r.finished_at,
  result: r.result,
  verification: r.verification,
  error: r.error,
});

const one = (rows: Row[]): RemediationRequest | null => (rows[0] ? toRequest(rows[0]) : null);

// Any fixed number: the second key of the per-limit-key advisory lock, so it never collides with other locks.
const LIMIT_LOCK_SEED = 7_310_044;

async function runCounts(q: Queryable, limitKey: string, windowStart: Date): Promise<RunCounts> {
  const r = await q.query<{ runs: number; last: Date | null }>(
    `SELECT count(*) FILTER (WHERE approved_at > $2)::int AS runs, max(approved_at) AS last
       FROM remediation_requests WHERE limit_key = $1 AND approved_at IS NOT NULL`,
    [limitKey, windowStart],
  );
  return { runsInWindow: r.rows[0]?.runs ?? 0, lastRunAt: r.rows[0]?.last ?? null };
}

/** Asking for a remediation, and finding the requests of a target or an incident. */
function remediationRequests(
  db: Database,
): Pick<RemediationStore, 'insert' | 'get' | 'findOpen' | 'runCounts' | 'setApprovalMessage' | 'linkAlertRequests' | 'listByIncident'> {
  return {
    insert: async (n) => {
      const r = await db.query<Row>(
        `INSERT INTO remediation_requests (id, idempotency_key, action, declaration_id, runbook_id, title, risk, declaration, params, labels,
                                           target_name, limit_key, preview, requested_by, requested_at, expires_at, incident_id, channel_id, thread_ts, alert_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
        [
          n.id,
          n.idempotencyKey,
          n.action,
          n.declarationId ?? null,
          n.runbookId ?? null,
          n.title,
          n.risk,
          JSON.stringify(n.declaration),
          JSON.stringify(n.params),
          JSON.stringify(n.labels),
          n.targetName ?? null,
          n.limitKey,
          JSON.stringify(n.preview),
          n.requestedBy,
          n.requestedAt,
          n.expiresAt,
          n.incidentId ?? null,
          n.channelId ?? null,
          n.threadTs ?? null,
          n.alertId ?? null,
        ],
      );
      if (r.rows[0]) return { request: toRequest(r.rows[0]), created: true };
      const existing = await db.query<Row>('SELECT * FROM remediation_requests WHERE idempotency_key = $1', [n.idempotencyKey]);
      return { request: toRequest(existing.rows[0]!), created: false };
    },
    get: async (id) => one((await db.query<Row>('SELECT * FROM remediation_requests WHERE id = $1', [id])).rows),
    findOpen: async (limitKey, at) =>
      one(
        (
          await db.query<Row>(
            `SELECT * FROM remediation_requests
              WHERE limit_key = $1 AND ((state = 'pending' AND expires_at > $2) OR state IN ('approved', 'running'))
              ORDER BY requested_at DESC LIMIT 1`,
            [limitKey, at],
          )
        ).rows,
      ),
    runCounts: (limitKey, windowStart, tx) => runCounts(tx ?? db, limitKey, windowStart),
    setApprovalMessage: async (id, channelId, ts) =>
      one(
        (
          await db.query<Row>(
            'UPDATE remediation_requests SET channel_id = $2, approval_message_ts = $3, updated_at = now() WHERE id = $1 RETURNING *',
            [id, channelId, ts],
          )
        ).rows,
      ),
    linkAlertRequests: async (alertId, incidentId) =>
      (
        await db.query<Row>('UPDATE remediation_requests SET incident_id = $2 WHERE alert_id = $1 AND incident_id IS NULL RETURNING *', [
          alertId,
          incidentId,
        ])
      ).rows
        .map(toRequest)
        .sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    listByIncident: async (incidentId) =>
      (await db.query<Row>('SELECT * FROM remediation_requests WHERE incident_id = $1 ORDER BY requested_at, id', [incidentId])).rows.map(
        toRequest,
      ),
  };
}

/** A pending request decided: approved within its limits, denied, or expired. */
function remediationDecisions(db: Database): Pick<RemediationStore, 'approve' | 'deny' | 'expire' | 'expireDue'> {
  return {
    approve: (id, by, at, check) =>
      db.transaction(async (tx) => {
        const current = one((await tx.query<Row>('SELECT * FROM remediation_requests WHERE id = $1', [id])).rows);
        if (!current || current.state !== 'pending' || current.expiresAt <= at) return { kind: 'not_pending', request: current };
        // Serialises approvals of the same target (any request, any replica) so "3 per hour" cannot be beaten by racing.
        await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, $2))', [current.limitKey, LIMIT_LOCK_SEED]);
        const refused = await check(current, (windowStart) => runCounts(tx, current.limitKey, windowStart));
        if (refused) return { kind: 'limited', request: current, ...refused };
        const r = await tx.query<Row>(
          `UPDATE remediation_requests SET state = 'approved', approved_by = $2, approved_at = $3, updated_at = now()
            WHERE id = $1 AND state = 'pending' AND expires_at > $3 RETURNING *`,
          [id, by, at],
        );
        const approved = one(r.rows);
        if (!approved)
          return {
            kind: 'not_pending',
            request: one((await tx.query<Row>('SELECT * FROM remediation_requests WHERE id = $1', [id])).rows),
          };
        return { kind: 'approved', request: approved };
      }),
    deny: async (id, by, at, reason) =>
      one(
        (
          await db.query<Row>(
            `UPDATE remediation_requests SET state = 'denied', denied_by = $2, denied_at = $3, deny_reason = $4, updated_at = now()
              WHERE id = $1 AND state = 'pending' RETURNING *`,
            [id, by, at, reason ?? null],
          )
        ).rows,
      ),
    expire: async (id, at) =>
      one(
        (
          await db.query<Row>(
            `UPDATE remediation_requests SET state = 'expired', finished_at = $2, updated_at = now()
              WHERE id = $1 AND state = 'pending' AND expires_at <= $2 RETURNING *`,
            [id, at],
          )
        ).rows,
      ),
    expireDue: async (at, limit = 100) =>
      (
        await db.query<Row>(
          `UPDATE remediation_requests SET state = 'expired', finished_at = $1, updated_at = now()
            WHERE id IN (SELECT id FROM remediation_requests WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
              AND state = 'pending' RETURNING *`,
          [at, limit],
        )
      ).rows.map(toRequest),
  };
}

/** An approved request run under a lease, and runs a stopped bot left behind. */
function remediationRuns(db: Database): Pick<RemediationStore, 'start' | 'renewLease' | 'finish' | 'interruptStale'> {
  return {
    start: async (id, runner, at, leaseUntil) =>
      one(
        (
          await db.query<Row>(
            `UPDATE remediation_requests SET state = 'running', runner = $2, started_at = $3, lease_until = $4, updated_at = now()
              WHERE id = $1 AND state = 'approved' RETURNING *`,
            [id, runner, at, leaseUntil],
          )
        ).rows,
      ),
    renewLease: async (id, runner, leaseUntil) =>
      ((
        await db.query(
          `UPDATE remediation_requests SET lease_until = $3, updated_at = now() WHERE id = $1 AND runner = $2 AND state = 'running'`,
          [id, runner, leaseUntil],
        )
      ).rowCount ?? 0) === 1,
    finish: async (id, state, at, out) =>
      one(
        (
          await db.query<Row>(
            `UPDATE remediation_requests SET state = $2, finished_at = $3, result = $4, verification = $5, error = $6, updated_at = now()
              WHERE id = $1 AND state = 'running' RETURNING *`,
            [
              id,
              state,
              at,
              out.result ? JSON.stringify(out.result) : null,
              out.verification ? JSON.stringify(out.verification) : null,
              out.error ?? null,
            ],
          )
        ).rows,
      ),
    interruptStale: async (at, approvedBefore) =>
      (
        await db.query<Row>(
          `UPDATE remediation_requests
              SET state = 'interrupted', finished_at = $1, updated_at = now(),
                  error = CASE state WHEN 'running' THEN 'the bot stopped while this was running (lease ran out); it was not re-run'
                                     ELSE 'the bot stopped after the approval, before the run; it was not run' END
            WHERE (state = 'running' AND lease_until < $1) OR (state = 'approved' AND approved_at < $2)
            RETURNING *`,
          [at, approvedBefore],
        )
      ).rows.map(toRequest),
  };
}

export function createRemediationStore(db: Database): RemediationStore {
  return { ...remediationRequests(db), ...remediationDecisions(db), ...remediationRuns(db) };
}
