import type { RunCounts } from '../store/remediation-store';
import type { Approvers, RemediationDeclaration } from './remediation-declaration';
import type { Remediation, Risk, RunLimits } from './types';

export type ApproverVerdict =
  | { ok: true }
  | {
      ok: false;
      /** self_approval: the requester of a medium/high (or non-self-approvable low) action; not_listed: outside the catalog's approvers. */
      rule: 'self_approval' | 'not_listed';
      reason: string;
      /** Who may approve, for the message ("ask one of …"). */
      approvers?: Approvers;
    };

export interface ApprovalSubject {
  title: string;
  risk: Risk;
  requestedBy: string;
  declaration: Pick<RemediationDeclaration, 'approvers' | 'allowSelfApproval'>;
}

/**
 * The approver rule. By default anyone but the requester may approve (two-person rule). The declaration's
 * `approvers`, or else the deployment's per-risk default, narrows that to users / user-group members. The requester
 * never approves their own medium/high-risk request; a low-risk one only where the declaration allows self-approval.
 */
export function checkApprover(
  subject: ApprovalSubject,
  userId: string,
  userGroups: readonly string[],
  approversByRisk: Partial<Record<Risk, Approvers>> = {},
): ApproverVerdict {
  const approvers = subject.declaration.approvers ?? approversByRisk[subject.risk];
  const narrowed = approvers !== undefined && approvers.users.length + approvers.usergroups.length > 0;
  if (userId === subject.requestedBy) {
    if (subject.risk !== 'low') {
      return { ok: false, rule: 'self_approval', reason: `you requested “${subject.title}” (${subject.risk} risk): someone else must approve it`, ...(narrowed ? { approvers } : {}) };
    }
    if (!subject.declaration.allowSelfApproval) {
      return { ok: false, rule: 'self_approval', reason: `you requested “${subject.title}”: the catalog does not allow self-approval for it, someone else must approve`, ...(narrowed ? { approvers } : {}) };
    }
  }
  if (narrowed) {
    const listed = approvers.users.includes(userId) || userGroups.some((g) => approvers.usergroups.includes(g));
    if (!listed) return { ok: false, rule: 'not_listed', reason: `you are not an approver for “${subject.title}”`, approvers };
  }
  return { ok: true };
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
export function limitRefusal(limits: Required<RunLimits>, counts: RunCounts, now: Date, subject: string): { refusal: string; retryAfterSeconds?: number } | undefined {
  if (limits.maxRunsPerWindow > 0 && counts.runsInWindow >= limits.maxRunsPerWindow) {
    return {
      refusal: `${subject} already ran ${counts.runsInWindow} time${counts.runsInWindow === 1 ? '' : 's'} in the last ${formatSeconds(limits.windowSeconds)} (at most ${limits.maxRunsPerWindow}): refused, investigate instead`,
    };
  }
  if (limits.cooldownSeconds > 0 && counts.lastRunAt) {
    const wait = Math.ceil((counts.lastRunAt.getTime() + limits.cooldownSeconds * 1000 - now.getTime()) / 1000);
    if (wait > 0) return { refusal: `${subject} ran ${formatSeconds(limits.cooldownSeconds - wait)} ago; cooldown ${formatSeconds(limits.cooldownSeconds)}: try again in ${formatSeconds(wait)}`, retryAfterSeconds: wait };
  }
  return undefined;
}

export function formatSeconds(s: number): string {
  if (s < 120) return `${Math.max(0, Math.round(s))} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}
