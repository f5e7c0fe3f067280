import type { RemediationDeclaration } from './remediation-declaration';
import type { ExecutionResult, RemediationPreview, Risk, Verification } from './remediation';
import type { Queryable } from './queryable';

export const REMEDIATION_STATES = ['pending', 'approved', 'running', 'succeeded', 'failed', 'denied', 'expired', 'interrupted'] as const;
export type RemediationState = (typeof REMEDIATION_STATES)[number];
export const FINAL_STATES: readonly RemediationState[] = ['succeeded', 'failed', 'denied', 'expired', 'interrupted'];

export interface RemediationRequest {
  id: string;
  idempotencyKey: string;
  action: string;
  declarationId: string | null;
  runbookId: string | null;
  title: string;
  risk: Risk;
  declaration: RemediationDeclaration;
  params: Record<string, unknown>;
  labels: Record<string, string>;
  targetName: string | null;
  limitKey: string;
  preview: RemediationPreview;
  state: RemediationState;
  requestedBy: string;
  requestedAt: Date;
  expiresAt: Date;
  incidentId: string | null;
  /** The alert it was requested for (from the alert's thread), until and after it is linked to an incident. */
  alertId: number | null;
  channelId: string | null;
  threadTs: string | null;
  approvalMessageTs: string | null;
  approvedBy: string | null;
  approvedAt: Date | null;
  deniedBy: string | null;
  deniedAt: Date | null;
  denyReason: string | null;
  startedAt: Date | null;
  leaseUntil: Date | null;
  runner: string | null;
  finishedAt: Date | null;
  result: ExecutionResult | null;
  verification: Verification | null;
  error: string | null;
}

export type NewRemediationRequest = Pick<
  RemediationRequest,
  | 'id'
  | 'idempotencyKey'
  | 'action'
  | 'title'
  | 'risk'
  | 'declaration'
  | 'params'
  | 'labels'
  | 'limitKey'
  | 'preview'
  | 'requestedBy'
  | 'requestedAt'
  | 'expiresAt'
> &
  Partial<Pick<RemediationRequest, 'declarationId' | 'runbookId' | 'targetName' | 'incidentId' | 'alertId' | 'channelId' | 'threadTs'>>;

/** Runs of one limit key: how many were approved since the window start, and the latest approval. */
export interface RunCounts {
  runsInWindow: number;
  lastRunAt: Date | null;
}

export type ApproveOutcome =
  | { kind: 'approved'; request: RemediationRequest }
  | { kind: 'limited'; request: RemediationRequest; refusal: string; retryAfterSeconds?: number }
  | { kind: 'not_pending'; request: RemediationRequest | null };

/**
 * Remediation requests in PostgreSQL. Every state change is a conditional UPDATE that names the state it leaves, so
 * exactly one caller wins it; the losers get null and read the row to learn who did.
 */
export interface RemediationStore {
  /** Inserts unless the idempotency key exists; then returns the existing request with created=false. */
  insert(row: NewRemediationRequest): Promise<{ request: RemediationRequest; created: boolean }>;
  get(id: string): Promise<RemediationRequest | null>;
  /** A request of this limit key still waiting or running at `at` (pending and unexpired, approved, running). */
  findOpen(limitKey: string, at: Date): Promise<RemediationRequest | null>;
  runCounts(limitKey: string, windowStart: Date, tx?: Queryable): Promise<RunCounts>;
  /**
   * pending → approved, if still pending and not expired at `at`, under a per-limit-key transaction lock so that
   * the limit check (`check`, given the counts) and the approval are atomic across replicas.
   */
  approve(
    id: string,
    by: string,
    at: Date,
    check: (
      request: RemediationRequest,
      countRuns: (windowStart: Date) => Promise<RunCounts>,
    ) => Promise<{ refusal: string; retryAfterSeconds?: number } | undefined>,
  ): Promise<ApproveOutcome>;
  /** approved → running. */
  start(id: string, runner: string, at: Date, leaseUntil: Date): Promise<RemediationRequest | null>;
  /** The running replica's heartbeat: false once the run is no longer its own (interrupted by another replica). */
  renewLease(id: string, runner: string, leaseUntil: Date): Promise<boolean>;
  /** running → succeeded / failed. */
  finish(
    id: string,
    state: 'succeeded' | 'failed',
    at: Date,
    out: { result?: ExecutionResult; verification?: Verification; error?: string },
  ): Promise<RemediationRequest | null>;
  /** pending → denied. */
  deny(id: string, by: string, at: Date, reason?: string): Promise<RemediationRequest | null>;
  /** pending → expired, for one request whose expiry has passed. */
  expire(id: string, at: Date): Promise<RemediationRequest | null>;
  /** pending → expired for every request past its expiry. */
  expireDue(at: Date, limit?: number): Promise<RemediationRequest[]>;
  /** running past its lease, or approved but never started since `approvedBefore` → interrupted. */
  interruptStale(at: Date, approvedBefore: Date): Promise<RemediationRequest[]>;
  setApprovalMessage(id: string, channelId: string, ts: string): Promise<RemediationRequest | null>;
  listByIncident(incidentId: string): Promise<RemediationRequest[]>;
  /** Links the alert's requests that belong to no incident yet to `incidentId`; returns them, oldest first. */
  linkAlertRequests(alertId: number, incidentId: string): Promise<RemediationRequest[]>;
}
