import type { RunCounts } from '../domain/remediation-request';
import type { Approvers, RemediationDeclaration } from './remediation-declaration';
import type { Remediation, Risk, RunLimits } from './types';

export type ApproverVerdict =
  | { ok: true }
  | {
      ok: false;
      /**
       * self_approval: the requester of a medium/high (or non-self-approvable low) action; not_listed: outside the
       * approvers; unconfigured: a high-risk action with no approvers configured, which nobody may approve.
       */
      rule: 'self_approval' | 'not_listed' | 'unconfigured';
      reason: string;
      /** Who may approve, for the message ("ask one of …"). */
      approvers?: Approvers;
    };

export interface ApprovalSubject {
  title: string;
  risk: Risk;
  requestedBy: string;
  declaration: Pick<RemediationDeclaration, 'approvers' | 'allowSelfApproval'> & Partial<Pick<RemediationDeclaration, 'requesters'>>;
}

/** Who may request and who may approve per risk level, when a declaration names nobody itself. */
export interface RolesByRisk {
  requesters?: Partial<Record<Risk, Approvers>>;
  approvers?: Partial<Record<Risk, Approvers>>;
}

/** What the role rules read of a request or a catalog entry. */
export interface RoleSubject {
  risk: Risk;
  declaration: { approvers?: Approvers; requesters?: Approvers };
}

const named = (a: Approvers | undefined): a is Approvers => a !== undefined && a.users.length + a.usergroups.length > 0;

/** The approvers that apply: the declaration's own, else the deployment's for the risk level; undefined when nobody is named. */
export function approversFor(subject: RoleSubject, approversByRisk: Partial<Record<Risk, Approvers>> = {}): Approvers | undefined {
  const a = subject.declaration.approvers ?? approversByRisk[subject.risk];
  return named(a) ? a : undefined;
}

/** The requesters that apply; undefined means anyone who can run `/incident` may ask (asking runs nothing). */
export function requestersFor(subject: RoleSubject, requestersByRisk: Partial<Record<Risk, Approvers>> = {}): Approvers | undefined {
  const r = subject.declaration.requesters ?? requestersByRisk[subject.risk];
  return named(r) ? r : undefined;
}

/** Why an action of this risk can never be approved as configured (high risk with nobody named), or undefined. */
export function unapprovableReason(
  subject: RoleSubject & { title: string },
  approversByRisk: Partial<Record<Risk, Approvers>> = {},
): string | undefined {
  if (subject.risk !== 'high' || approversFor(subject, approversByRisk)) return undefined;
  return `“${subject.title}” is high risk and nobody is configured to approve it: set REMEDIATION_APPROVERS_HIGH to the on-call or responder user group (S…) or users (U…), or give the catalog entry \`approvers:\``;
}

/**
 * The approver rule. Low and medium risk: anyone but the requester (two-person rule) unless the declaration's
 * `approvers`, or the deployment's per-risk default, narrows it to users / user-group members. High risk: only named
 * approvers, never "anyone but the requester"; with nobody named it cannot be approved. The requester never approves
 * their own medium/high-risk request; a low-risk one only where the declaration allows self-approval.
 */
export function checkApprover(
  subject: ApprovalSubject,
  userId: string,
  userGroups: readonly string[],
  approversByRisk: Partial<Record<Risk, Approvers>> = {},
): ApproverVerdict {
  const approvers = approversFor(subject, approversByRisk);
  const unapprovable = unapprovableReason(subject, approversByRisk);
  if (unapprovable) return { ok: false, rule: 'unconfigured', reason: unapprovable };
  if (userId === subject.requestedBy) {
    if (subject.risk !== 'low') {
      return {
        ok: false,
        rule: 'self_approval',
        reason: `you requested “${subject.title}” (${subject.risk} risk): someone else must approve it`,
        ...(approvers ? { approvers } : {}),
      };
    }
    if (!subject.declaration.allowSelfApproval) {
      return {
        ok: false,
        rule: 'self_approval',
        reason: `you requested “${subject.title}”: the catalog does not allow self-approval for it, someone else must approve`,
        ...(approvers ? { approvers } : {}),
      };
    }
  }
  if (approvers) {
    const listed = approvers.users.includes(userId) || userGroups.some((g) => approvers.usergroups.includes(g));
    if (!listed) return { ok: false, rule: 'not_listed', reason: `you are not an approver for “${subject.title}”`, approvers };
  }
  return { ok: true };
}

/** Whether this user may ask for the action at all (REMEDIATION_REQUESTERS_* or the declaration's `requesters`). */
export function checkRequester(
  subject: RoleSubject & { title: string },
  userId: string,
  userGroups: readonly string[],
  requestersByRisk: Partial<Record<Risk, Approvers>> = {},
): { ok: true } | { ok: false; reason: string; requesters: Approvers } {
  const requesters = requestersFor(subject, requestersByRisk);
  if (!requesters) return { ok: true };
  if (requesters.users.includes(userId) || userGroups.some((g) => requesters.usergroups.includes(g))) return { ok: true };
  return { ok: false, reason: `you may not request “${subject.title}” (${subject.risk} risk): ask someone who can`, requesters };
}

/** The limits that apply: the action's defaults from its params, overridden by the declaration's own. */
export function effectiveLimits(impl: Pick<Remediation<unknown>, 'limits'>, params: unknown, declaration: RunLimits): Required<RunLimits> {
  const fromAction = impl.limits?.(params) ?? {};
  return {
    cooldownSeconds: declaration.cooldownSeconds ?? fromAction.cooldownSeconds ?? 0,
    maxRunsPerWindow: declaration.maxRunsPerWindow ?? fromAction.maxRunsPerWindow ?? 0,
    windowSeconds: declaration.windowSeconds ?? fromAction.windowSeconds ?? 3600,
  };
}

/** Why another run of this subject is refused now, or undefined. 0 means "no limit". */
export function limitRefusal(
  limits: Required<RunLimits>,
  counts: RunCounts,
  now: Date,
  subject: string,
): { refusal: string; retryAfterSeconds?: number } | undefined {
  if (limits.maxRunsPerWindow > 0 && counts.runsInWindow >= limits.maxRunsPerWindow) {
    return {
      refusal: `${subject} already ran ${counts.runsInWindow} time${counts.runsInWindow === 1 ? '' : 's'} in the last ${formatSeconds(limits.windowSeconds)} (at most ${limits.maxRunsPerWindow}): refused, investigate instead`,
    };
  }
  if (limits.cooldownSeconds > 0 && counts.lastRunAt) {
    const wait = Math.ceil((counts.lastRunAt.getTime() + limits.cooldownSeconds * 1000 - now.getTime()) / 1000);
    if (wait > 0)
      return {
        refusal: `${subject} ran ${formatSeconds(limits.cooldownSeconds - wait)} ago; cooldown ${formatSeconds(limits.cooldownSeconds)}: try again in ${formatSeconds(wait)}`,
        retryAfterSeconds: wait,
      };
  }
  return undefined;
}

export function formatSeconds(s: number): string {
  if (s < 120) return `${Math.max(0, Math.round(s))} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}
