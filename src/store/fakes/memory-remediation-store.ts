import type {
  NewRemediationRequest,
  RemediationRequest,
  RemediationState,
  RemediationStore,
  RunCounts,
} from '../../domain/remediation-request';
import { constraint, copy, jsonb, type MemoryDatabase, type MemoryTables } from './memory-database';

const out = (r: RemediationRequest | undefined): RemediationRequest | null => (r ? copy(r) : null);
const byRequested = (a: RemediationRequest, b: RemediationRequest) =>
  a.requestedAt.getTime() - b.requestedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Moves `id` out of `from` (and past `when`, if given) with `patch`: the conditional UPDATE of the SQL store. */
function transition(
  t: MemoryTables,
  id: string,
  from: RemediationState,
  patch: Partial<RemediationRequest>,
  when: (r: RemediationRequest) => boolean = () => true,
): RemediationRequest | null {
  const r = t.remediations.get(id);
  if (!r || r.state !== from || !when(r)) return null;
  Object.assign(r, copy(patch));
  return copy(r);
}

async function runCounts(t: MemoryTables, limitKey: string, windowStart: Date): Promise<RunCounts> {
  const approvals = [...t.remediations.values()]
    .filter((r) => r.limitKey === limitKey && r.approvedAt !== null)
    .map((r) => r.approvedAt!.getTime());
  return {
    runsInWindow: approvals.filter((at) => at > windowStart.getTime()).length,
    lastRunAt: approvals.length ? new Date(Math.max(...approvals)) : null,
  };
}

/** The row a new request becomes, with the defaults the table's columns give. */
function pendingRequest(n: NewRemediationRequest): RemediationRequest {
  return {
    ...copy(n),
    declaration: jsonb(n.declaration),
    params: jsonb(n.params),
    labels: jsonb(n.labels),
    preview: jsonb(n.preview),
    declarationId: n.declarationId ?? null,
    runbookId: n.runbookId ?? null,
    targetName: n.targetName ?? null,
    incidentId: n.incidentId ?? null,
    alertId: n.alertId ?? null,
    channelId: n.channelId ?? null,
    threadTs: n.threadTs ?? null,
    state: 'pending',
    approvalMessageTs: null,
    approvedBy: null,
    approvedAt: null,
    deniedBy: null,
    deniedAt: null,
    denyReason: null,
    startedAt: null,
    leaseUntil: null,
    runner: null,
    finishedAt: null,
    result: null,
    verification: null,
    error: null,
  };
}

function memoryRemediationRequests(
  mem: MemoryDatabase,
): Pick<RemediationStore, 'insert' | 'get' | 'findOpen' | 'runCounts' | 'setApprovalMessage' | 'linkAlertRequests' | 'listByIncident'> {
  const t = mem.tables;
  return {
    insert: async (n) => {
      const existing = [...t.remediations.values()].find((r) => r.idempotencyKey === n.idempotencyKey);
      if (existing) return { request: copy(existing), created: false };
      constraint(/^rem_[a-z0-9]{10,40}$/.test(n.id), `remediation id ${n.id} is not rem_<10-40 characters>`);
      constraint(!t.remediations.has(n.id), `remediation id ${n.id} is taken`);
      const request = pendingRequest(n);
      t.remediations.set(n.id, request);
      return { request: copy(request), created: true };
    },
    get: async (id) => out(t.remediations.get(id)),
    findOpen: async (limitKey, at) =>
      out(
        [...t.remediations.values()]
          .filter(
            (r) =>
              r.limitKey === limitKey &&
              ((r.state === 'pending' && r.expiresAt.getTime() > at.getTime()) || r.state === 'approved' || r.state === 'running'),
          )
          .sort((a, b) => b.requestedAt.getTime() - a.requestedAt.getTime())[0],
      ),
    runCounts: (limitKey, windowStart) => runCounts(t, limitKey, windowStart),
    setApprovalMessage: async (id, channelId, ts) => {
      const r = t.remediations.get(id);
      if (!r) return null;
      r.channelId = channelId;
      r.approvalMessageTs = ts;
      return copy(r);
    },
    linkAlertRequests: async (alertId, incidentId) =>
      [...t.remediations.values()]
        .filter((r) => r.alertId === alertId && r.incidentId === null)
        .sort(byRequested)
        .map((r) => {
          r.incidentId = incidentId;
          return copy(r);
        }),
    listByIncident: async (incidentId) =>
      [...t.remediations.values()]
        .filter((r) => r.incidentId === incidentId)
        .sort(byRequested)
        .map((r) => copy(r)),
  };
}

function memoryRemediationDecisions(mem: MemoryDatabase): Pick<RemediationStore, 'approve' | 'deny' | 'expire' | 'expireDue'> {
  const t = mem.tables;
  return {
    // One transaction at a time (MemoryDatabase.transaction): the limit check and the approval are atomic.
    approve: (id, by, at, check) =>
      mem.transaction(async () => {
        const current = out(t.remediations.get(id));
        if (!current || current.state !== 'pending' || current.expiresAt.getTime() <= at.getTime())
          return { kind: 'not_pending', request: current };
        const refused = await check(current, (windowStart) => runCounts(t, current.limitKey, windowStart));
        if (refused) return { kind: 'limited', request: current, ...refused };
        const approved = transition(
          t,
          id,
          'pending',
          { state: 'approved', approvedBy: by, approvedAt: at },
          (r) => r.expiresAt.getTime() > at.getTime(),
        );
        return approved ? { kind: 'approved', request: approved } : { kind: 'not_pending', request: out(t.remediations.get(id)) };
      }),
    deny: async (id, by, at, reason) =>
      transition(t, id, 'pending', { state: 'denied', deniedBy: by, deniedAt: at, denyReason: reason ?? null }),
    expire: async (id, at) =>
      transition(t, id, 'pending', { state: 'expired', finishedAt: at }, (r) => r.expiresAt.getTime() <= at.getTime()),
    expireDue: async (at, limit = 100) =>
      [...t.remediations.values()]
        .filter((r) => r.state === 'pending' && r.expiresAt.getTime() <= at.getTime())
        .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime())
        .slice(0, limit)
        .map((r) => transition(t, r.id, 'pending', { state: 'expired', finishedAt: at })!),
  };
}

function memoryRemediationRuns(mem: MemoryDatabase): Pick<RemediationStore, 'start' | 'renewLease' | 'finish' | 'interruptStale'> {
  const t = mem.tables;
  return {
    start: async (id, runner, at, leaseUntil) => transition(t, id, 'approved', { state: 'running', runner, startedAt: at, leaseUntil }),
    renewLease: async (id, runner, leaseUntil) => transition(t, id, 'running', { leaseUntil }, (r) => r.runner === runner) !== null,
    finish: async (id, state, at, o) =>
      transition(t, id, 'running', {
        state,
        finishedAt: at,
        result: o.result ? jsonb(o.result) : null,
        verification: o.verification ? jsonb(o.verification) : null,
        error: o.error ?? null,
      }),
    interruptStale: async (at, approvedBefore) =>
      [...t.remediations.values()]
        .filter(
          (r) =>
            (r.state === 'running' && r.leaseUntil !== null && r.leaseUntil.getTime() < at.getTime()) ||
            (r.state === 'approved' && r.approvedAt !== null && r.approvedAt.getTime() < approvedBefore.getTime()),
        )
        .map((r) =>
          transition(t, r.id, r.state, {
            state: 'interrupted',
            finishedAt: at,
            error:
              r.state === 'running'
                ? 'the bot stopped while this was running (lease ran out); it was not re-run'
                : 'the bot stopped after the approval, before the run; it was not run',
          })!,
        ),
  };
}

/** The in-memory RemediationStore: the same contract as `createRemediationStore` (test/store/contracts/). */
export function createMemoryRemediationStore(mem: MemoryDatabase): RemediationStore {
  return { ...memoryRemediationRequests(mem), ...memoryRemediationDecisions(mem), ...memoryRemediationRuns(mem) };
}
