import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../clock';
import type { Coordination } from '../coordination/coordination';
import { badInput, BotError } from '../errors';
import type { Logger } from '../logger';
import { LabelError, placeholdersIn, SAFE_LABEL_VALUE } from '../targets/params-template';
import { scrubSecrets } from '../targets/secret-scrubber';
import { labelSelectionRefusal } from '../targets/target-allow';
import type { ResolvedTarget } from '../targets/target';
import type { AuditEntry, AuditStore } from '../domain/audit';
import type { RemediationRequest, RemediationState, RemediationStore } from '../domain/remediation-request';
import type { RemediationTimelineStep, TimelineStore } from '../domain/timeline-event';
import {
  approversFor,
  checkApprover,
  checkRequester,
  effectiveLimits,
  limitRefusal,
  requestersFor,
  unapprovableReason,
  type RoleSubject,
} from './approval-policy';
import {
  createDeclarationSchema,
  type Approvers,
  type RemediationDeclaration,
  type RemediationDeclarationInput,
} from './remediation-declaration';
import type { RemediationMetrics } from './remediation-metrics';
import { getRemediation, remediationRegistry, type RemediationRegistry } from './registry';
import {
  RemediationRefused,
  type ExecutionResult,
  type Remediation,
  type RemediationActors,
  type RemediationContext,
  type RemediationPreview,
  type Risk,
  type Verification,
} from './types';

export interface RemediationServiceDeps {
  store: RemediationStore;
  audit: AuditStore;
  /** Redis (or in-process) coordination: a lock around each execution. Approvals fail closed when it is down. */
  coordination: Coordination;
  clock: Clock;
  logger: Logger;
  /** Finds a declaration's target in the catalog (`${ENV}` already resolved). Secrets are never stored with a request. */
  resolveTarget(ref: { runbookId?: string; target: string }): ResolvedTarget | undefined;
  registry?: RemediationRegistry;
  metrics?: RemediationMetrics;
  /** When given, every step is also an event on the incident's timeline. */
  timeline?: TimelineStore;
  /** Who may approve per risk level when a declaration names no approvers (low/medium default: anyone but the requester; high: nobody). */
  approversByRisk?: Partial<Record<Risk, Approvers>>;
  /** Who may request per risk level when a declaration names no requesters (default: anyone). */
  requestersByRisk?: Partial<Record<Risk, Approvers>>;
  /** Default expiry of a request (15 min). */
  expiresInMinutes?: number;
  /**
   * A run whose replica stopped renewing its lease for this long is dead (the process stopped):
   * `recoverInterrupted` marks it. The running replica renews it every third of this. Default 60 s.
   */
  leaseMs?: number;
  previewTimeoutMs?: number;
  /** Execution + verification deadline. Default 5 min. */
  executeTimeoutMs?: number;
  /** This replica's name in `runner` (default host:pid). */
  runnerId?: string;
  /** The environment a process an action starts gets (`Config.childProcessEnv`). */
  childProcessEnv?: Readonly<Record<string, string>>;
}

export interface RemediationRequestInput {
  /** A catalog declaration (`action:` or the catalog's `kind:`), validated here against the registry. */
  declaration: RemediationDeclaration | RemediationDeclarationInput | Readonly<Record<string, unknown>>;
  /** The runbook that declared it: where its target is looked up. */
  runbookId?: string;
  /** Alert labels and `label=value` pairs from the command; only the ones the params use matter. */
  labels?: Readonly<Record<string, string>>;
  requestedBy: string;
  /** The user groups (among `groupsToCheck(…, 'request')`) the requester belongs to. */
  requesterGroups?: readonly string[];
  incidentId?: string;
  /** The alert it is requested for (from the alert's thread): linked to the incident the alert becomes part of. */
  alertId?: number;
  channelId?: string;
  threadTs?: string;
  /**
   * Makes a retried click return the first request: pass Slack's action identity (e.g. `${container.message_ts}:${action_id}:${user}`).
   * Default: the same declaration, labels, requester and incident within the same minute.
   */
  idempotencyKey?: string;
}

export type RequestResult =
  | { kind: 'created'; request: RemediationRequest }
  /** The same click again, or an open request for the same thing already exists: show that one. */
  | { kind: 'existing'; request: RemediationRequest }
  /** The preview found nothing to act on (no backend, no key, no stuck task). */
  | { kind: 'nothing_to_do'; title: string; preview: RemediationPreview }
  /** Cooldown or max runs per window. */
  | { kind: 'limited'; title: string; reason: string; retryAfterSeconds?: number }
  /** The action cannot run as asked (container missing, target down, unsafe pattern, stale PID file). */
  | { kind: 'refused'; title: string; reason: string };

export type ApproveResult =
  | { kind: 'not_found' }
  | {
      kind: 'not_approver';
      rule: 'self_approval' | 'not_listed' | 'unconfigured';
      reason: string;
      approvers?: Approvers;
      request: RemediationRequest;
    }
  /** Someone already decided: `by` approved (or denied) it. */
  | { kind: 'already'; state: RemediationState; by: string | null; at: Date | null; request: RemediationRequest }
  /** Another click on the same request is being handled right now. */
  | { kind: 'busy'; request: RemediationRequest }
  | { kind: 'expired'; request: RemediationRequest }
  | { kind: 'limited'; reason: string; retryAfterSeconds?: number; request: RemediationRequest }
  | {
      kind: 'ran';
      outcome: 'succeeded' | 'failed';
      result?: ExecutionResult;
      verification?: Verification;
      error?: string;
      request: RemediationRequest;
    };

export type DenyResult =
  | { kind: 'not_found' }
  | { kind: 'not_approver'; reason: string; approvers?: Approvers; request: RemediationRequest }
  | { kind: 'already'; state: RemediationState; by: string | null; at: Date | null; request: RemediationRequest }
  | { kind: 'expired'; request: RemediationRequest }
  | { kind: 'denied'; request: RemediationRequest };

/**
 * Remediations behind an approval: request (with a dry-run preview) → approve / deny → execution → verification,
 * every step in the audit log (and the incident timeline). Exactly once: state moves only by conditional UPDATEs in
 * PostgreSQL; a coordination lock around the execution is an extra guard.
 *
 * @example
 *   const r = await remediations.request({ declaration, runbookId, labels: { worker: 'marie' }, requestedBy: 'U1', incidentId,
 *   channelId, threadTs });
 *   if (r.kind === 'created') await remediations.setApprovalMessage(r.request.id, channelId, postedTs);
 *   // the Approve button's value is r.request.id; the listener acks first, then:
 *   const a = await remediations.approve(requestId, clickingUser, clickingUserGroups);
 *   if (a.kind === 'not_approver') respondEphemeral(a.reason);
 *   if (a.kind === 'ran') updateMessage(`Approved by ${a.request.approvedBy}, ${a.outcome}: ${a.verification?.summary}`);
 */
export interface RemediationService {
  request(input: RemediationRequestInput): Promise<RequestResult>;
  approve(requestId: string, userId: string, userGroups?: readonly string[]): Promise<ApproveResult>;
  deny(requestId: string, userId: string, userGroups?: readonly string[], reason?: string): Promise<DenyResult>;
  get(requestId: string): Promise<RemediationRequest | null>;
  /**
   * The user groups whose membership decides who may request or approve this subject (a catalog entry or a stored
   * request): the caller looks up the user's membership in these only.
   */
  groupsToCheck(subject: RoleSubject, role: 'request' | 'approve'): string[];
  /** Remember the approval message (for in-place updates). */
  setApprovalMessage(requestId: string, channelId: string, ts: string): Promise<RemediationRequest | null>;
  /** Pending requests past their expiry → expired (call periodically); returns them so their messages can be updated. */
  expireDue(): Promise<RemediationRequest[]>;
  /** At start-up: runs whose process died → interrupted, never re-run; returns them to report in their threads. */
  recoverInterrupted(): Promise<RemediationRequest[]>;
  listForIncident(incidentId: string): Promise<RemediationRequest[]>;
  /** `/incident audit`: every audit entry of the incident, oldest first. */
  listAudit(incidentId: string): Promise<AuditEntry[]>;
  /** Every audit entry of one request. */
  listRequestAudit(requestId: string): Promise<AuditEntry[]>;
  /**
   * The alert became part of an incident: its requests that belonged to none join it (audited), and the steps they
   * already went through are put on the incident's timeline at the times they happened, for the post-mortem.
   */
  linkAlertRequests(alertId: number, incidentId: string, actor: string): Promise<RemediationRequest[]>;
}

const REQUEST_ID = /^rem_[a-z0-9]{10,40}$/;
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function coordinationUnavailable(cause: unknown): BotError {
  return new BotError(
    'COORDINATION_UNAVAILABLE',
    'Approvals are paused: coordination (Redis) is unavailable. Nothing was run; try again when Redis is back.',
    { cause },
  );
}

export function createRemediationService(deps: RemediationServiceDeps): RemediationService {
  const env = serviceEnv(deps);
  const { store, audit } = env;
  return {
    request: (input) => requestRemediation(env, input),
    approve: (requestId, userId, userGroups = []) => approveRemediation(env, requestId, userId, userGroups),
    deny: (requestId, userId, userGroups = [], reason) => denyRemediation(env, requestId, userId, userGroups, reason),
    get: (requestId) => (REQUEST_ID.test(requestId) ? store.get(requestId) : Promise.resolve(null)),
    groupsToCheck: (subject, role) =>
      (role === 'request' ? requestersFor(subject, deps.requestersByRisk) : approversFor(subject, deps.approversByRisk))?.usergroups ?? [],
    setApprovalMessage: (requestId, channelId, ts) => store.setApprovalMessage(requestId, channelId, ts),
    expireDue: () => expireDue(env),
    recoverInterrupted: () => recoverInterrupted(env),
    listForIncident: (incidentId) => store.listByIncident(incidentId),
    listAudit: (incidentId) => listIncidentAudit(env, incidentId),
    listRequestAudit: (requestId) => audit.list({ subject: subjectOf(requestId), limit: 1000 }),
    linkAlertRequests: (alertId, incidentId, actor) => linkAlertRequests(env, alertId, incidentId, actor),
  };
}

// A request linked to the incident after some of its steps keeps those entries under its own subject only.
async function listIncidentAudit(env: ServiceEnv, incidentId: string): Promise<AuditEntry[]> {
  const { audit, store } = env;
  const own = await audit.list({ incidentId, limit: 1000 });
  const seen = new Set(own.map((e) => e.id));
  const linked = (await store.listByIncident(incidentId)).filter((r) => r.alertId !== null);
  const earlier = (await Promise.all(linked.map((r) => audit.list({ subject: subjectOf(r.id), limit: 1000 }))))
    .flat()
    .filter((e) => !seen.has(e.id));
  return [...own, ...earlier].sort((a, b) => a.at.getTime() - b.at.getTime() || Number(a.id) - Number(b.id));
}

async function linkAlertRequests(env: ServiceEnv, alertId: number, incidentId: string, actor: string): Promise<RemediationRequest[]> {
  const { audit, store, clock, logger, deps } = env;
  const linked = await store.linkAlertRequests(alertId, incidentId);
  for (const r of linked) {
    await audit.append({
      actor,
      action: 'remediation.linked',
      subject: subjectOf(r.id),
      incidentId,
      data: { action: r.action, title: r.title, alertId, state: r.state },
      at: clock.now(),
    });
    if (!deps.timeline) continue;
    for (const t of stepsSoFar(r)) {
      await deps.timeline
        .append({
          incidentId,
          at: t.at,
          actor: t.actor,
          kind: `remediation_${t.step}`,
          text: t.text,
          data: { requestId: r.id, action: r.action },
        })
        .catch((err: unknown) =>
          logger.warn({ err: { message: (err as Error).message }, requestId: r.id }, 'remediation step not added to the timeline'),
        );
    }
  }
  return linked;
}

/** The steps a request already went through, with their times and the texts the live steps use. */
function stepsSoFar(r: RemediationRequest): { step: RemediationTimelineStep; at: Date; actor: string; text: string }[] {
  const steps: { step: RemediationTimelineStep; at: Date; actor: string; text: string }[] = [
    { step: 'requested', at: r.requestedAt, actor: r.requestedBy, text: `Remediation requested: “${r.title}” (${r.risk} risk)` },
  ];
  if (r.approvedAt && r.approvedBy)
    steps.push({ step: 'approved', at: r.approvedAt, actor: r.approvedBy, text: `Remediation “${r.title}” approved` });
  if (r.deniedAt && r.deniedBy)
    steps.push({
      step: 'denied',
      at: r.deniedAt,
      actor: r.deniedBy,
      text: `Remediation “${r.title}” denied${r.denyReason ? `: ${r.denyReason}` : ''}`,
    });
  if ((r.state === 'succeeded' || r.state === 'failed') && r.finishedAt) {
    steps.push({
      step: r.state,
      at: r.finishedAt,
      actor: 'bot',
      text: `Remediation “${r.title}” ${r.state}: ${r.error ?? r.result?.summary ?? ''}${r.verification ? ` (verification: ${r.verification.summary})` : ''}`,
    });
  }
  if (r.state === 'expired')
    steps.push({ step: 'expired', at: r.expiresAt, actor: 'bot', text: `Remediation “${r.title}” expired without approval` });
  return steps;
}

/** What every step of the service works with: the deps, and their defaults filled in. */
interface ServiceEnv {
  deps: RemediationServiceDeps;
  registry: RemediationRegistry;
  declarationSchema: ReturnType<typeof createDeclarationSchema>;
  store: RemediationStore;
  audit: AuditStore;
  clock: Clock;
  logger: Logger;
  ttlMs: number;
  leaseMs: number;
  previewTimeoutMs: number;
  executeTimeoutMs: number;
  runner: string;
}

function serviceEnv(deps: RemediationServiceDeps): ServiceEnv {
  const registry = deps.registry ?? remediationRegistry;
  return {
    deps,
    registry,
    declarationSchema: createDeclarationSchema(registry),
    store: deps.store,
    audit: deps.audit,
    clock: deps.clock,
    logger: deps.logger,
    ttlMs: (deps.expiresInMinutes ?? 15) * 60_000,
    leaseMs: deps.leaseMs ?? 60_000,
    previewTimeoutMs: deps.previewTimeoutMs ?? 15_000,
    executeTimeoutMs: deps.executeTimeoutMs ?? 5 * 60_000,
    runner: deps.runnerId ?? `${hostname()}:${process.pid}`,
  };
}

const subjectOf = (id: string) => `remediation:${id}`;

/** Every step goes to the audit log; the steps people follow (`timeline` given) also to the incident's timeline. */
async function recordStep(
  env: ServiceEnv,
  req: RemediationRequest,
  actor: string,
  action: string,
  data: Record<string, unknown>,
  timeline?: { step: RemediationTimelineStep; text: string },
): Promise<void> {
  const { audit, clock, logger, deps } = env;
  await audit.append({
    actor,
    action: `remediation.${action}`,
    subject: subjectOf(req.id),
    incidentId: req.incidentId ?? undefined,
    data: { action: req.action, title: req.title, ...data },
    at: clock.now(),
  });
  if (deps.timeline && req.incidentId && timeline) {
    await deps.timeline
      .append({
        incidentId: req.incidentId,
        at: clock.now(),
        actor,
        kind: `remediation_${timeline.step}`,
        text: timeline.text,
        data: { requestId: req.id, action: req.action },
      })
      .catch((err: unknown) =>
        logger.warn({ err: { message: (err as Error).message }, requestId: req.id }, 'remediation step not added to the timeline'),
      );
  }
}

function implFor(env: ServiceEnv, action: string): Remediation<unknown, unknown> {
  const impl = getRemediation(env.registry, action);
  if (!impl) throw badInput(`unknown remediation action ${action}`);
  return impl;
}

function targetFor(
  env: ServiceEnv,
  impl: Remediation<unknown, unknown>,
  decl: RemediationDeclaration,
  runbookId: string | undefined,
): ResolvedTarget | undefined {
  if (!impl.targetKind) return undefined;
  if (!decl.target)
    throw new BotError('NOT_CONFIGURED', `“${decl.title}” (${decl.action}) needs a ${impl.targetKind} target in the catalog`);
  const t = env.deps.resolveTarget({ runbookId, target: decl.target });
  if (!t) throw new BotError('NOT_CONFIGURED', `target ${decl.target} of “${decl.title}” is not in the catalog`);
  if (t.kind !== impl.targetKind)
    throw new BotError('NOT_CONFIGURED', `target ${decl.target} is a ${t.kind} target; ${decl.action} needs a ${impl.targetKind} target`);
  if (t.missing.length)
    throw new BotError(
      'NOT_CONFIGURED',
      `“${decl.title}” needs ${t.missing.join(' and ')} (its target ${decl.target} is not configured); ask your operator to set it in the bot's environment.`,
    );
  return t;
}

/** Only safe label values reach an action; a placeholder the params use must be present and safe. */
function labelsFor(decl: RemediationDeclaration, raw: Readonly<Record<string, string>>): Record<string, string> {
  const safe: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (LABEL_NAME.test(k) && SAFE_LABEL_VALUE.test(v)) safe[k] = v;
  const missing: string[] = [];
  for (const name of placeholdersIn(decl.params)) {
    if (safe[name] !== undefined) continue;
    if (raw[name] !== undefined)
      throw badInput(`label ${name} has a value that cannot be used (letters, digits and _.:@/- only, at most 128 characters)`);
    missing.push(name);
  }
  if (missing.length) throw badInput(`“${decl.title}” needs ${missing.map((m) => `${m}=<value>`).join(' ')}`);
  return safe;
}

function contextFor(
  env: ServiceEnv,
  target: ResolvedTarget | undefined,
  labels: Record<string, string>,
  actors: RemediationActors,
  timeoutMs: number,
  runbookId?: string,
): RemediationContext {
  const { deps, clock } = env;
  return {
    target,
    targetNamed: (name) => deps.resolveTarget({ runbookId, target: name }),
    labels,
    signal: AbortSignal.timeout(timeoutMs),
    logger: env.logger,
    now: () => clock.now(),
    actors,
    ...(deps.childProcessEnv ? { childEnv: deps.childProcessEnv } : {}),
  };
}

function already(r: RemediationRequest) {
  return {
    kind: 'already' as const,
    state: r.state,
    by: r.state === 'denied' ? r.deniedBy : r.approvedBy,
    at: r.state === 'denied' ? r.deniedAt : r.approvedAt,
    request: r,
  };
}

async function recordExpired(env: ServiceEnv, r: RemediationRequest): Promise<void> {
  await recordStep(
    env,
    r,
    'bot',
    'expired',
    { expiresAt: r.expiresAt.toISOString() },
    { step: 'expired', text: `Remediation “${r.title}” expired without approval` },
  );
  env.deps.metrics?.remediations.inc({ action: r.action, outcome: 'expired' });
}

async function expireOne(env: ServiceEnv, r: RemediationRequest): Promise<RemediationRequest> {
  const expired = await env.store.expire(r.id, env.clock.now());
  if (!expired) return (await env.store.get(r.id)) ?? r;
  await recordExpired(env, expired);
  return expired;
}

function describeError(env: ServiceEnv, err: unknown): string {
  if (err instanceof RemediationRefused || err instanceof LabelError) return err.message;
  if ((err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError') return 'did not finish in time';
  env.logger.error({ err }, 'remediation action failed unexpectedly');
  return `unexpected error: ${(err as Error).message}`;
}

// ── request: declaration → permission → preview → limits → stored request ─────────────────────────────────────────

async function requestRemediation(env: ServiceEnv, input: RemediationRequestInput): Promise<RequestResult> {
  const parsed = env.declarationSchema.safeParse(input.declaration);
  if (!parsed.success)
    throw badInput(`invalid remediation declaration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const decl = parsed.data;
  const refused = await requestRefusal(env, input, decl);
  if (refused) return refused;
  const impl = implFor(env, decl.action);
  const params = impl.params.parse(decl.params);
  const labels = labelsFor(decl, input.labels ?? {});
  const target = targetFor(env, impl, decl, input.runbookId);
  const notAllowed = labelSelectionRefusal(target, decl.params, labels);
  if (notAllowed) return { kind: 'refused', title: decl.title, reason: notAllowed };
  const now = env.clock.now();

  const previewed = await previewRequest(env, impl, params, decl, target, labels, input);
  if (previewed.kind !== 'preview') return previewed;
  const preview = previewed.preview;
  if (preview.empty) return { kind: 'nothing_to_do', title: decl.title, preview };

  const limitKey = `${decl.action}|${decl.target ?? '-'}|${preview.subject}`;
  const open = await env.store.findOpen(limitKey, now);
  if (open) return { kind: 'existing', request: open };
  const limits = effectiveLimits(impl, params, decl);
  const refusal = limitRefusal(
    limits,
    await env.store.runCounts(limitKey, new Date(now.getTime() - limits.windowSeconds * 1000)),
    now,
    preview.subject,
  );
  if (refusal) return { kind: 'limited', title: decl.title, reason: refusal.refusal, retryAfterSeconds: refusal.retryAfterSeconds };
  return storeRequest(env, input, decl, labels, limitKey, preview, now);
}

/** A requester the policy refuses, or a declaration nobody could approve: refused, and audited as such. */
async function requestRefusal(
  env: ServiceEnv,
  input: RemediationRequestInput,
  decl: RemediationDeclaration,
): Promise<RequestResult | undefined> {
  const subject = { title: decl.title, risk: decl.risk, declaration: decl };
  const mayRequest = checkRequester(subject, input.requestedBy, input.requesterGroups ?? [], env.deps.requestersByRisk);
  const unapprovable = unapprovableReason(subject, env.deps.approversByRisk);
  if (mayRequest.ok && !unapprovable) return undefined;
  const reason = mayRequest.ok ? unapprovable! : mayRequest.reason;
  await env.audit.append({
    actor: input.requestedBy,
    action: 'remediation.request_refused',
    subject: `remediation-declaration:${input.runbookId ?? '-'}/${decl.id ?? decl.action}`,
    incidentId: input.incidentId,
    data: { action: decl.action, title: decl.title, risk: decl.risk, rule: mayRequest.ok ? 'unconfigured' : 'not_requester', reason },
    at: env.clock.now(),
  });
  return { kind: 'refused', title: decl.title, reason };
}

/** The dry run the approver will see, scrubbed of what the target sent back; a refusal or a timeout refuses the request. */
async function previewRequest(
  env: ServiceEnv,
  impl: Remediation<unknown, unknown>,
  params: unknown,
  decl: RemediationDeclaration,
  target: ResolvedTarget | undefined,
  labels: Record<string, string>,
  input: RemediationRequestInput,
): Promise<{ kind: 'preview'; preview: RemediationPreview } | Extract<RequestResult, { kind: 'refused' }>> {
  let preview: RemediationPreview;
  try {
    preview = await impl.preview(
      params,
      contextFor(
        env,
        target,
        labels,
        { requestedBy: input.requestedBy, incidentId: input.incidentId },
        env.previewTimeoutMs,
        input.runbookId,
      ),
    );
  } catch (err) {
    if (err instanceof LabelError) throw badInput(err.message);
    if (err instanceof RemediationRefused || (err as Error).name === 'TimeoutError')
      return { kind: 'refused', title: decl.title, reason: describeError(env, err) };
    throw err;
  }
  // What the action saw on the target (statements, key names, log text) is scrubbed before it is shown or stored.
  return { kind: 'preview', preview: { ...preview, summary: scrubSecrets(preview.summary), items: preview.items.map(scrubSecrets) } };
}

/** Stores the request once (an idempotency key per requester, incident and minute) and records its first steps. */
async function storeRequest(
  env: ServiceEnv,
  input: RemediationRequestInput,
  decl: RemediationDeclaration,
  labels: Record<string, string>,
  limitKey: string,
  preview: RemediationPreview,
  now: Date,
): Promise<RequestResult> {
  const idempotencyKey =
    input.idempotencyKey ??
    createHash('sha256')
      .update(
        JSON.stringify([
          input.runbookId ?? null,
          decl.id ?? null,
          decl.action,
          decl.params,
          labels,
          input.requestedBy,
          input.incidentId ?? null,
          Math.floor(now.getTime() / 60_000),
        ]),
      )
      .digest('hex');
  const expiresInMs = decl.expiresInMinutes !== undefined ? decl.expiresInMinutes * 60_000 : env.ttlMs;
  const { request, created } = await env.store.insert({
    id: `rem_${randomBytes(12).toString('hex')}`,
    idempotencyKey,
    action: decl.action,
    declarationId: decl.id,
    runbookId: input.runbookId,
    title: decl.title,
    risk: decl.risk,
    declaration: decl,
    params: decl.params,
    labels,
    targetName: decl.target,
    limitKey,
    preview,
    requestedBy: input.requestedBy,
    requestedAt: now,
    expiresAt: new Date(now.getTime() + expiresInMs),
    incidentId: input.incidentId,
    alertId: input.alertId,
    channelId: input.channelId,
    threadTs: input.threadTs,
  });
  if (!created) return { kind: 'existing', request };
  const requested = { risk: request.risk, target: request.targetName, labels, expiresAt: request.expiresAt.toISOString() };
  await recordStep(env, request, input.requestedBy, 'requested', requested, {
    step: 'requested',
    text: `Remediation requested: “${request.title}” (${request.risk} risk)`,
  });
  await recordStep(env, request, 'bot', 'previewed', { summary: preview.summary, items: preview.items });
  return { kind: 'created', request };
}

// ── approve: lock → policy → conditional UPDATE → run ─────────────────────────────────────────────────────────────

async function approveRemediation(
  env: ServiceEnv,
  requestId: string,
  userId: string,
  userGroups: readonly string[],
): Promise<ApproveResult> {
  if (!REQUEST_ID.test(requestId)) return { kind: 'not_found' };
  let lock;
  try {
    lock = await env.deps.coordination.acquireLock(`remediation:${requestId}`, env.executeTimeoutMs + env.leaseMs);
  } catch (err) {
    throw coordinationUnavailable(err);
  }
  if (!lock) {
    const r = await env.store.get(requestId);
    if (!r) return { kind: 'not_found' };
    return r.state === 'pending' ? { kind: 'busy', request: r } : already(r);
  }
  try {
    return await approveUnderLock(env, requestId, userId, userGroups);
  } finally {
    await lock
      .release()
      .catch((err: unknown) =>
        env.logger.warn({ err: { message: (err as Error).message }, requestId }, 'remediation lock not released; it expires by itself'),
      );
  }
}

async function approveUnderLock(env: ServiceEnv, requestId: string, userId: string, userGroups: readonly string[]): Promise<ApproveResult> {
  const req = await env.store.get(requestId);
  if (!req) return { kind: 'not_found' };
  if (req.state !== 'pending') return already(req);
  const now = env.clock.now();
  if (req.expiresAt <= now) return { kind: 'expired', request: await expireOne(env, req) };

  const verdict = checkApprover(req, userId, userGroups, env.deps.approversByRisk);
  if (!verdict.ok) {
    await recordStep(env, req, userId, 'approval_refused', { rule: verdict.rule, reason: verdict.reason });
    return { kind: 'not_approver', rule: verdict.rule, reason: verdict.reason, approvers: verdict.approvers, request: req };
  }
  const impl = implFor(env, req.action);
  const params = impl.params.parse(req.declaration.params);
  const limits = effectiveLimits(impl, params, req.declaration);
  const outcome = await env.store.approve(requestId, userId, now, async (r, countRuns) =>
    limitRefusal(limits, await countRuns(new Date(now.getTime() - limits.windowSeconds * 1000)), now, r.preview.subject),
  );
  if (outcome.kind === 'not_pending') {
    if (!outcome.request) return { kind: 'not_found' };
    if (outcome.request.state === 'pending') return { kind: 'expired', request: await expireOne(env, outcome.request) };
    return already(outcome.request);
  }
  if (outcome.kind === 'limited') {
    await recordStep(env, outcome.request, userId, 'approval_refused', { rule: 'limit', reason: outcome.refusal });
    return { kind: 'limited', reason: outcome.refusal, retryAfterSeconds: outcome.retryAfterSeconds, request: outcome.request };
  }
  const approved = outcome.request;
  env.deps.metrics?.approvalLatency.observe(
    { action: approved.action, risk: approved.risk },
    (now.getTime() - approved.requestedAt.getTime()) / 1000,
  );
  await recordStep(
    env,
    approved,
    userId,
    'approved',
    { requestedBy: approved.requestedBy },
    { step: 'approved', text: `Remediation “${approved.title}” approved` },
  );
  return await runApproved(env, approved, impl, params);
}

// ── run: claim under a lease → execute → verify → finish ──────────────────────────────────────────────────────────

async function runApproved(
  env: ServiceEnv,
  req: RemediationRequest,
  impl: Remediation<unknown, unknown>,
  params: unknown,
): Promise<ApproveResult> {
  const { store, clock, runner } = env;
  const startedAt = clock.now();
  const running = await store.start(req.id, runner, startedAt, new Date(startedAt.getTime() + env.leaseMs));
  if (!running) {
    const current = await store.get(req.id);
    return current ? already(current) : { kind: 'not_found' };
  }
  await recordStep(env, running, running.approvedBy ?? 'bot', 'started', { runner, preview: running.preview.summary });
  const heartbeat = renewLeaseWhileRunning(env, running.id);
  let run: RunOutcome;
  try {
    run = await executeAndVerify(env, running, impl, params);
  } finally {
    clearInterval(heartbeat);
  }
  const { result, verification, error } = run;
  const outcome = result && verification?.status !== 'failed' ? 'succeeded' : 'failed';
  const finished = await store.finish(running.id, outcome, clock.now(), { result, verification, error });
  const text = `Remediation “${running.title}” ${outcome}: ${error ?? result?.summary ?? ''}${verification ? ` (verification: ${verification.summary})` : ''}`;
  await recordStep(
    env,
    finished ?? running,
    'bot',
    outcome,
    { result, verification, error, recorded: finished !== null },
    { step: outcome, text },
  );
  env.deps.metrics?.remediations.inc({ action: running.action, outcome });
  if (!finished) env.logger.warn({ requestId: running.id }, 'remediation finished after its lease ran out; it stays interrupted');
  return { kind: 'ran', outcome, result, verification, error, request: finished ?? (await store.get(running.id)) ?? running };
}

/**
 * Heartbeat: while this process lives the run stays ours; if it dies, the lease lapses and recoverInterrupted (on any
 * replica) reports it instead of anyone re-running it.
 */
function renewLeaseWhileRunning(env: ServiceEnv, requestId: string): NodeJS.Timeout {
  const heartbeat = setInterval(
    () => {
      env.store.renewLease(requestId, env.runner, new Date(env.clock.now().getTime() + env.leaseMs)).catch((err: unknown) => {
        env.logger.warn({ err: { message: (err as Error).message }, requestId }, 'remediation lease not renewed');
      });
    },
    Math.max(100, Math.floor(env.leaseMs / 3)),
  );
  heartbeat.unref();
  return heartbeat;
}

interface RunOutcome {
  result?: ExecutionResult;
  verification?: Verification;
  error?: string;
}

/** The allow-list is checked again at execution; the action acts only on what its preview listed. */
async function executeAndVerify(
  env: ServiceEnv,
  running: RemediationRequest,
  impl: Remediation<unknown, unknown>,
  params: unknown,
): Promise<RunOutcome> {
  try {
    const target = targetFor(env, impl, running.declaration, running.runbookId ?? undefined);
    const notAllowed = labelSelectionRefusal(target, running.declaration.params, running.labels);
    if (notAllowed) throw new RemediationRefused(notAllowed);
    const actors = {
      requestId: running.id,
      requestedBy: running.requestedBy,
      approvedBy: running.approvedBy ?? undefined,
      incidentId: running.incidentId ?? undefined,
    };
    const ctx = contextFor(env, target, running.labels, actors, env.executeTimeoutMs, running.runbookId ?? undefined);
    const result = await impl.execute(params, running.preview, ctx);
    let verification: Verification;
    try {
      verification = await impl.verify(params, running.preview, result, ctx);
    } catch (err) {
      verification = { status: 'failed', summary: `verification could not run: ${describeError(env, err)}` };
    }
    return { result, verification };
  } catch (err) {
    return { error: err instanceof BotError ? err.userMessage : describeError(env, err) };
  }
}

// ── deny, expire, recover ─────────────────────────────────────────────────────────────────────────────────────────

async function denyRemediation(
  env: ServiceEnv,
  requestId: string,
  userId: string,
  userGroups: readonly string[],
  reason: string | undefined,
): Promise<DenyResult> {
  const { store, clock } = env;
  if (!REQUEST_ID.test(requestId)) return { kind: 'not_found' };
  const req = await store.get(requestId);
  if (!req) return { kind: 'not_found' };
  if (req.state !== 'pending') return already(req);
  if (req.expiresAt <= clock.now()) return { kind: 'expired', request: await expireOne(env, req) };
  // The requester may withdraw; otherwise whoever could approve may deny.
  if (userId !== req.requestedBy) {
    const verdict = checkApprover(req, userId, userGroups, env.deps.approversByRisk);
    if (!verdict.ok) {
      await recordStep(env, req, userId, 'denial_refused', { reason: verdict.reason });
      return { kind: 'not_approver', reason: verdict.reason, approvers: verdict.approvers, request: req };
    }
  }
  const denied = await store.deny(requestId, userId, clock.now(), reason);
  if (!denied) return already((await store.get(requestId)) ?? req);
  await recordStep(
    env,
    denied,
    userId,
    'denied',
    { reason: reason ?? null },
    { step: 'denied', text: `Remediation “${denied.title}” denied${reason ? `: ${reason}` : ''}` },
  );
  env.deps.metrics?.remediations.inc({ action: denied.action, outcome: 'denied' });
  return { kind: 'denied', request: denied };
}

async function expireDue(env: ServiceEnv): Promise<RemediationRequest[]> {
  const expired = await env.store.expireDue(env.clock.now());
  for (const r of expired) await recordExpired(env, r);
  return expired;
}

async function recoverInterrupted(env: ServiceEnv): Promise<RemediationRequest[]> {
  const now = env.clock.now();
  const interrupted = await env.store.interruptStale(now, new Date(now.getTime() - env.leaseMs));
  for (const r of interrupted) {
    const text = `Remediation “${r.title}” was interrupted (the bot stopped mid-run); it was not re-run — check the target by hand`;
    await recordStep(
      env,
      r,
      'bot',
      'interrupted',
      { startedAt: r.startedAt?.toISOString() ?? null, runner: r.runner, error: r.error },
      { step: 'interrupted', text },
    );
    env.deps.metrics?.remediations.inc({ action: r.action, outcome: 'interrupted' });
  }
  return interrupted;
}
