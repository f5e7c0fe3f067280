import type { App, RespondFn } from '@slack/bolt';
import { onButton, type ButtonHandler } from '../button-router';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../logger';
import type { RemediationService } from '../../remediations/remediation-service';
import type { Catalog, RemediationEntry, Runbook } from '../../runbooks';
import type { RemediationRequest } from '../../domain/remediation-request';
import { parseRemediationValue, REMEDIATION_ACTION_ID } from '../blocks/diagnosis-blocks';
import { escapeMrkdwn } from '../blocks/mrkdwn';
import { APPROVE_ACTION_ID, DENY_ACTION_ID, renderApprovalOutcome, renderApprovalRequest } from '../blocks/remediation-blocks';
import type { SlackPoster } from '../slack-poster';
import { createUsergroupMembership, type UsergroupMembership } from '../usergroup-membership';
import { respondWithError, type CommandInvocation } from './incident-command-dispatch';

export interface RemediationSlackDeps {
  catalog: Catalog;
  service: RemediationService;
  client: WebClient;
  poster: SlackPoster;
  logger: Logger;
  /** Where an incident's thread is, for `/incident remediate … INC-…`. */
  incidentThread?: (incidentId: string) => Promise<{ channelId: string | null; threadTs: string | null } | undefined>;
  /** The incident a thread belongs to, so a request made there lands on its timeline. */
  incidentOfThread?: (channelId: string, threadTs: string) => Promise<string | undefined>;
  /** The incident `/incident audit` means when no ID is given. */
  currentIncident?: (channelId: string) => Promise<string | undefined>;
  /** The alert whose post (or the bot's post of it) starts this thread, and its runbook. */
  alertOfThread?: (
    channelId: string,
    threadTs: string,
  ) => Promise<{ alertId?: number; channelId: string; threadTs: string; incidentId?: string; runbookId?: string } | undefined>;
  /** The runbooks of the alerts linked to an incident (to tell apart actions several runbooks share). */
  runbooksOfIncident?: (incidentId: string) => Promise<string[]>;
  /** APPROVALS_CHANNEL: every approval request goes there; unset, to the incident's or alert's thread. */
  approvalsChannel?: string;
  /** User-group membership (usergroups.users.list, cached); default one built on `client`. */
  membership?: UsergroupMembership;
}

/** Where a request belongs: the incident's thread, else the alert's thread, else nowhere the bot can vouch for. */
interface RequestHome {
  channelId: string;
  threadTs?: string;
  incidentId?: string;
  /** The alert whose thread it is: its requests join the incident the alert becomes part of. */
  alertId?: number;
}

type Found = { runbook: Runbook; entry: RemediationEntry };
/** A remediation to request: a catalog entry, or one the bot builds itself (a broad silence) with no runbook. */
export interface RequestedRemediation {
  runbookId?: string;
  entry: Pick<RemediationEntry, 'id' | 'title' | 'risk' | 'approvers' | 'requesters'> & Record<string, unknown>;
}

/**
 * A catalog remediation by id or kind, optionally qualified by its runbook (`memory-daemon/terminate-long-transactions`).
 * When several runbooks offer it, the runbooks in `preferred` (those of the incident's or alert's context) decide;
 * otherwise the answer lists the qualified names to choose from.
 */
export function findRemediation(
  catalog: Catalog,
  action: string,
  runbookId?: string,
  preferred: readonly string[] = [],
): Found | { problem: string } {
  const slash = action.indexOf('/');
  const wanted = slash >= 0 ? action.slice(slash + 1) : action;
  const inRunbook = slash >= 0 ? action.slice(0, slash) : runbookId;
  const matches: Found[] = [];
  for (const runbook of catalog.runbooks) {
    if (inRunbook && runbook.id !== inRunbook) continue;
    for (const entry of runbook.remediations) if (entry.id === wanted || entry.kind === wanted) matches.push({ runbook, entry });
  }
  const exact = matches.filter((m) => m.entry.id === wanted);
  const candidates = exact.length > 0 ? exact : matches;
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) {
    const known = catalog.runbooks.flatMap((r) => r.remediations.map((e) => e.id));
    return {
      problem: `No runbook offers the remediation \`${escapeMrkdwn(action.slice(0, 60))}\`. Known: ${[...new Set(known)].map((k) => `\`${k}\``).join(', ')}.`,
    };
  }
  const inContext = candidates.filter((m) => preferred.includes(m.runbook.id));
  if (inContext.length === 1) return inContext[0]!;
  return {
    problem: `Several runbooks offer \`${escapeMrkdwn(wanted)}\`: name one of ${candidates.map((m) => `\`${m.runbook.id}/${m.entry.id}\``).join(', ')}.`,
  };
}

/**
 * Asks for a remediation: the service previews it (dry run) and stores the request; the approval message with
 * Approve/Deny goes where approvers look — APPROVALS_CHANNEL when set, else the incident's or alert's thread — never
 * only into a channel the requester picked. Nothing runs yet.
 */
export async function requestRemediation(
  deps: RemediationSlackDeps,
  req: { found: RequestedRemediation; labels: Record<string, string>; userId: string; home?: RequestHome; idempotencyKey?: string },
  respond: RespondFn,
): Promise<void> {
  const { entry } = req.found;
  // When the approvals channel is the incident's own channel, its approvers are already reading the thread.
  const approvalPlace =
    deps.approvalsChannel && deps.approvalsChannel !== req.home?.channelId
      ? { channelId: deps.approvalsChannel }
      : (req.home ?? (deps.approvalsChannel ? { channelId: deps.approvalsChannel } : undefined));
  if (!approvalPlace) {
    await ephemeral(
      respond,
      `*${escapeMrkdwn(entry.title)}* needs an approval, and approvals are posted where the incident or alert lives: request it in the incident's or alert's thread, name the incident (\`/incident remediate ${entry.id} INC-…\`), or have an admin set APPROVALS_CHANNEL.`,
    );
    return;
  }
  const requesterGroups = await membershipOf(deps).groupsOf(
    req.userId,
    deps.service.groupsToCheck({ risk: entry.risk, declaration: entry }, 'request'),
  );
  const r = await deps.service.request({
    declaration: entry,
    runbookId: req.found.runbookId,
    labels: req.labels,
    requestedBy: req.userId,
    requesterGroups,
    incidentId: req.home?.incidentId,
    ...(req.home?.alertId !== undefined ? { alertId: req.home.alertId } : {}),
    channelId: approvalPlace.channelId,
    threadTs: approvalPlace.threadTs,
    idempotencyKey: req.idempotencyKey,
  });
  switch (r.kind) {
    case 'created': {
      const { text, blocks } = renderApprovalRequest(r.request);
      const posted = await deps.poster.post({ channel: approvalPlace.channelId, thread_ts: approvalPlace.threadTs, text, blocks });
      await deps.service.setApprovalMessage(r.request.id, posted.channel, posted.ts);
      if (approvalPlace !== req.home) {
        const note = `<@${req.userId}> requested *${escapeMrkdwn(r.request.title)}*; the approval request is in <#${approvalPlace.channelId}>.`;
        if (req.home) {
          await deps.poster
            .post({ channel: req.home.channelId, thread_ts: req.home.threadTs, text: note })
            .catch((err: Error) => deps.logger.warn({ err: { message: err.message } }, 'posting the approval pointer failed'));
        } else {
          await ephemeral(respond, note);
        }
      }
      return;
    }
    case 'existing':
      await ephemeral(
        respond,
        `There is already a request for *${escapeMrkdwn(r.request.title)}* (${r.request.state}), made by <@${r.request.requestedBy}>: see its approval message${r.request.channelId ? ` in <#${r.request.channelId}>` : ''}.`,
      );
      return;
    case 'nothing_to_do':
      await ephemeral(respond, `Nothing to do for *${escapeMrkdwn(r.title)}*: ${escapeMrkdwn(r.preview.summary)}`);
      return;
    case 'limited':
      await ephemeral(
        respond,
        `*${escapeMrkdwn(r.title)}* cannot run now: ${escapeMrkdwn(r.reason)}${r.retryAfterSeconds ? ` (try again in ${r.retryAfterSeconds} s)` : ''}`,
      );
      return;
    case 'refused':
      await ephemeral(respond, `*${escapeMrkdwn(r.title)}* was refused: ${escapeMrkdwn(r.reason)}`);
      return;
  }
}

/** The incident's thread for an incident id, when it has one. */
async function incidentHome(deps: RemediationSlackDeps, incidentId: string): Promise<RequestHome | 'unknown' | undefined> {
  const where = await deps.incidentThread?.(incidentId);
  if (!where) return 'unknown';
  return where.channelId ? { channelId: where.channelId, threadTs: where.threadTs ?? undefined, incidentId } : undefined;
}

/**
 * The home of a request made in a thread: the incident whose thread it is, else the alert whose thread it is (or
 * that alert's incident), else the channel's only active incident.
 */
async function threadHome(deps: RemediationSlackDeps, channelId: string, threadTs: string): Promise<RequestHome | undefined> {
  const incidentId = await deps.incidentOfThread?.(channelId, threadTs);
  if (incidentId) return { channelId, threadTs, incidentId };
  const alert = await deps.alertOfThread?.(channelId, threadTs);
  if (alert?.incidentId) {
    const home = await incidentHome(deps, alert.incidentId);
    if (home && home !== 'unknown') return home;
  }
  if (alert)
    return { channelId: alert.channelId, threadTs: alert.threadTs, ...(alert.alertId !== undefined ? { alertId: alert.alertId } : {}) };
  const current = await deps.currentIncident?.(channelId);
  const home = current ? await incidentHome(deps, current) : undefined;
  return home && home !== 'unknown' ? home : undefined;
}

const memberships = new WeakMap<RemediationSlackDeps, UsergroupMembership>();
function membershipOf(deps: RemediationSlackDeps): UsergroupMembership {
  if (deps.membership) return deps.membership;
  let m = memberships.get(deps);
  if (!m) memberships.set(deps, (m = createUsergroupMembership({ client: deps.client, logger: deps.logger })));
  return m;
}

export function remediateCommandHandler(deps: RemediationSlackDeps) {
  return async (
    inv: CommandInvocation<{ name: 'remediate'; action: string; incidentId?: string; labels: Record<string, string> }>,
  ): Promise<void> => {
    const incidentId = inv.command.incidentId ?? (await deps.currentIncident?.(inv.channelId));
    let home: RequestHome | undefined;
    if (incidentId) {
      const found = await incidentHome(deps, incidentId);
      if (found === 'unknown') {
        await ephemeral(inv.respond, `No incident ${escapeMrkdwn(incidentId)}.`);
        return;
      }
      home = found;
    }
    const preferred = incidentId ? ((await deps.runbooksOfIncident?.(incidentId)) ?? []) : [];
    const found = findRemediation(deps.catalog, inv.command.action, undefined, preferred);
    if ('problem' in found) {
      await ephemeral(inv.respond, found.problem);
      return;
    }
    await requestRemediation(
      deps,
      { found: { runbookId: found.runbook.id, entry: found.entry }, labels: inv.command.labels, userId: inv.userId, home },
      inv.respond,
    );
  };
}

export function auditCommandHandler(deps: RemediationSlackDeps) {
  return async (inv: CommandInvocation<{ name: 'audit'; incidentId?: string }>): Promise<void> => {
    const incidentId = inv.command.incidentId ?? (await deps.currentIncident?.(inv.channelId));
    if (!incidentId) {
      await ephemeral(inv.respond, 'Which incident? `/incident audit INC-…` (no single active incident in this channel).');
      return;
    }
    const entries = await deps.service.listAudit(incidentId);
    if (entries.length === 0) {
      await ephemeral(inv.respond, `The audit log holds nothing for ${escapeMrkdwn(incidentId)} yet.`);
      return;
    }
    const lines = entries
      .slice(-60)
      .map(
        (e) =>
          `${e.at.toISOString().slice(0, 19).replace('T', ' ')} ${escapeMrkdwn(e.action)} by ${/^[UW][A-Z0-9]+$/.test(e.actor) ? `<@${e.actor}>` : escapeMrkdwn(e.actor)} — ${escapeMrkdwn(e.subject)}`,
      );
    const more = entries.length > 60 ? `\n(${entries.length - 60} earlier entries not shown)` : '';
    await ephemeral(inv.respond, `*Audit log of ${escapeMrkdwn(incidentId)}* (append-only)\n${lines.join('\n')}${more}`.slice(0, 3900));
  };
}

type ButtonArgs = Parameters<ButtonHandler>[0];

/** The buttons: request from a diagnosis, Approve, Deny. A button value is only looked up, never trusted. */
export function registerRemediationActions(app: App, deps: RemediationSlackDeps): void {
  const clicked =
    (what: string, handle: (args: ButtonArgs, log: Logger) => Promise<void>): ButtonHandler =>
    async (args) => {
      await args.ack();
      const log = (args.context.log as Logger | undefined) ?? deps.logger;
      try {
        await handle(args, log);
      } catch (err) {
        // Every failure answers the clicker (Redis down: "approvals are paused"), never silence.
        await respondWithError(err, args.respond, log, what);
      }
    };
  onButton(
    app,
    REMEDIATION_ACTION_ID,
    clicked('requesting the remediation', (args) => requestFromButton(deps, args)),
  );
  onButton(
    app,
    APPROVE_ACTION_ID,
    clicked('approving', (args, log) => approveFromButton(deps, args, log)),
  );
  onButton(
    app,
    DENY_ACTION_ID,
    clicked('denying', (args, log) => denyFromButton(deps, args, log)),
  );
}

/** A remediation button under a diagnosis: the request, posted for approval in the thread it was clicked in. */
async function requestFromButton(deps: RemediationSlackDeps, { body, action, respond }: ButtonArgs): Promise<void> {
  const value = parseRemediationValue(action.value ?? '');
  const channelId = body.channel?.id;
  if (!value || !channelId) {
    await ephemeral(respond, 'That button is not a remediation this bot offers; run the diagnosis again.');
    return;
  }
  const found = findRemediation(deps.catalog, value.action, value.runbook);
  if ('problem' in found) {
    await ephemeral(respond, found.problem);
    return;
  }
  const messageTs = body.message?.ts ?? body.container?.message_ts;
  const threadTs = body.message?.thread_ts ?? messageTs;
  const home = threadTs ? await threadHome(deps, channelId, threadTs) : undefined;
  await requestRemediation(
    deps,
    {
      found: { runbookId: found.runbook.id, entry: found.entry },
      labels: value.labels,
      userId: body.user.id,
      home,
      idempotencyKey: messageTs ? `${messageTs}:${found.entry.id}:${body.user.id}` : undefined,
    },
    respond,
  );
}

async function approveFromButton(deps: RemediationSlackDeps, { body, action, respond }: ButtonArgs, log: Logger): Promise<void> {
  const requestId = action.value ?? '';
  const groups = await approverGroupsOf(deps, requestId, body.user.id);
  const r = await deps.service.approve(requestId, body.user.id, groups);
  switch (r.kind) {
    case 'not_found':
    case 'not_approver':
    case 'already':
      await ephemeral(respond, refusalText(r));
      return;
    case 'busy':
      await ephemeral(respond, `Someone else's approval of *${escapeMrkdwn(r.request.title)}* is being handled right now.`);
      return;
    case 'expired':
      await showOutcome(deps, r.request, log);
      await ephemeral(
        respond,
        `*${escapeMrkdwn(r.request.title)}* expired before it was approved; nothing ran. Request it again if it is still needed.`,
      );
      return;
    case 'limited':
      await ephemeral(respond, `*${escapeMrkdwn(r.request.title)}* cannot run now: ${escapeMrkdwn(r.reason)}`);
      return;
    case 'ran': {
      await showOutcome(deps, r.request, log);
      const verification = r.verification ? `\nVerification ${r.verification.status}: ${escapeMrkdwn(r.verification.summary)}` : '';
      const summary = r.result?.summary ?? r.error ?? '';
      if (r.request.channelId) {
        await deps.poster
          .post({
            channel: r.request.channelId,
            thread_ts: r.request.threadTs ?? r.request.approvalMessageTs ?? undefined,
            text: `${r.outcome === 'succeeded' ? ':white_check_mark:' : ':x:'} *${escapeMrkdwn(r.request.title)}* ${r.outcome} (approved by <@${body.user.id}>): ${escapeMrkdwn(summary)}${verification}`,
          })
          .catch((err: Error) => log.warn({ err: { message: err.message } }, 'posting the remediation result failed'));
      }
      return;
    }
  }
}

async function denyFromButton(deps: RemediationSlackDeps, { body, action, respond }: ButtonArgs, log: Logger): Promise<void> {
  const requestId = action.value ?? '';
  const groups = await approverGroupsOf(deps, requestId, body.user.id);
  const r = await deps.service.deny(requestId, body.user.id, groups);
  switch (r.kind) {
    case 'not_found':
    case 'not_approver':
    case 'already':
      await ephemeral(respond, refusalText(r));
      return;
    case 'expired':
    case 'denied':
      await showOutcome(deps, r.request, log);
      return;
  }
}

/** Edits the approval message in place: the buttons give way to who decided and how it went. */
export async function showOutcome(deps: Pick<RemediationSlackDeps, 'client'>, r: RemediationRequest, log: Logger): Promise<void> {
  if (!r.channelId || !r.approvalMessageTs) return;
  const { text, blocks } = renderApprovalOutcome(r);
  await deps.client.chat.update({ channel: r.channelId, ts: r.approvalMessageTs, text, blocks }).catch((err: Error) => {
    log.warn({ err: { message: err.message }, request: r.id }, 'updating the approval message failed');
  });
}

/**
 * Reports runs a crash interrupted (never re-runs them): at start-up and then on every round, since a run whose
 * replica died shows up once its lease lapses. A background job (src/jobs/).
 */
export async function reportInterruptedRemediations(deps: RemediationSlackDeps): Promise<void> {
  const log = deps.logger.child({ component: 'remediations' });
  try {
    for (const r of await deps.service.recoverInterrupted()) {
      await showOutcome(deps, r, log);
      if (r.channelId) {
        await deps.poster
          .post({
            channel: r.channelId,
            thread_ts: r.threadTs ?? r.approvalMessageTs ?? undefined,
            text: `:warning: *${escapeMrkdwn(r.title)}* was interrupted: the bot stopped while it ran (approved by <@${r.approvedBy}>). It was not re-run; check the target and request it again if needed.`,
          })
          .catch((err: Error) => log.warn({ err: { message: err.message } }, 'reporting an interrupted remediation failed'));
      }
    }
  } catch (err) {
    log.warn({ err: { message: (err as Error).message } }, 'recovering interrupted remediations failed');
  }
}

/** Expires the requests nobody approved in time and shows it on their approval messages. A background job (src/jobs/). */
export async function expireUnapprovedRemediations(deps: RemediationSlackDeps): Promise<void> {
  const log = deps.logger.child({ component: 'remediations' });
  try {
    for (const r of await deps.service.expireDue()) await showOutcome(deps, r, log);
  } catch (err) {
    log.warn({ err: { message: (err as Error).message } }, 'expiring remediation requests failed');
  }
}

/** Refusals that approving and denying answer alike, ephemerally. */
function refusalText(
  r:
    | { kind: 'not_found' }
    | { kind: 'not_approver'; reason: string; request: RemediationRequest }
    | { kind: 'already'; state: string; by: string | null; request: RemediationRequest },
): string {
  switch (r.kind) {
    case 'not_found':
      return 'That approval request does not exist (any more).';
    case 'not_approver':
      return `You are not an approver for *${escapeMrkdwn(r.request.title)}*: ${escapeMrkdwn(r.reason)}`;
    case 'already':
      return `*${escapeMrkdwn(r.request.title)}* was already ${r.state}${r.by ? ` by <@${r.by}>` : ''}.`;
  }
}

/** The approver groups of the request (its own or the deployment's for its risk) that the clicking user belongs to. */
async function approverGroupsOf(deps: RemediationSlackDeps, requestId: string, userId: string): Promise<string[]> {
  const existing = await deps.service.get(requestId).catch(() => undefined);
  return existing ? membershipOf(deps).groupsOf(userId, deps.service.groupsToCheck(existing, 'approve')) : [];
}

async function ephemeral(respond: RespondFn, text: string): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, text });
}
