import type { App, RespondFn } from '@slack/bolt';
import { onButton } from '../button-router';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../logger';
import type { RemediationService } from '../../remediations/remediation-service';
import type { Catalog, RemediationEntry, Runbook } from '../../runbooks';
import type { RemediationRequest } from '../../store/remediation-store';
import { parseRemediationValue, REMEDIATION_ACTION_ID } from '../blocks/diagnosis-blocks';
import { escapeMrkdwn } from '../blocks/mrkdwn';
import { APPROVE_ACTION_ID, DENY_ACTION_ID, renderApprovalOutcome, renderApprovalRequest } from '../blocks/remediation-blocks';
import type { SlackPoster } from '../slack-poster';
import { respondWithError, type CommandInvocation } from './incident-command';

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
}

type Found = { runbook: Runbook; entry: RemediationEntry };

/** A catalog remediation by id or kind; several runbooks offering the same kind must be told apart by id. */
export function findRemediation(catalog: Catalog, action: string, runbookId?: string): Found | { problem: string } {
  const matches: Found[] = [];
  for (const runbook of catalog.runbooks) {
    if (runbookId && runbook.id !== runbookId) continue;
    for (const entry of runbook.remediations) if (entry.id === action || entry.kind === action) matches.push({ runbook, entry });
  }
  const exact = matches.filter((m) => m.entry.id === action);
  if (exact.length === 1) return exact[0]!;
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    const known = catalog.runbooks.flatMap((r) => r.remediations.map((e) => e.id));
    return { problem: `No runbook offers the remediation \`${escapeMrkdwn(action.slice(0, 60))}\`. Known: ${known.map((k) => `\`${k}\``).join(', ')}.` };
  }
  return { problem: `Several runbooks offer \`${escapeMrkdwn(action)}\`: name one of ${matches.map((m) => `\`${m.entry.id}\``).join(', ')}.` };
}

/**
 * Asks for a remediation: the service previews it (dry run) and stores the request; the
 * approval message with Approve/Deny goes into the thread. Nothing runs yet.
 */
async function requestRemediation(
  deps: RemediationSlackDeps,
  req: { found: Found; labels: Record<string, string>; userId: string; channelId: string; threadTs?: string; incidentId?: string; idempotencyKey?: string },
  respond: RespondFn,
): Promise<void> {
  const incidentId = req.incidentId ?? (req.threadTs ? await deps.incidentOfThread?.(req.channelId, req.threadTs) : undefined);
  const r = await deps.service.request({
    declaration: req.found.entry,
    runbookId: req.found.runbook.id,
    labels: req.labels,
    requestedBy: req.userId,
    incidentId,
    channelId: req.channelId,
    threadTs: req.threadTs,
    idempotencyKey: req.idempotencyKey,
  });
  switch (r.kind) {
    case 'created': {
      const { text, blocks } = renderApprovalRequest(r.request);
      const posted = await deps.poster.post({ channel: req.channelId, thread_ts: req.threadTs, text, blocks });
      await deps.service.setApprovalMessage(r.request.id, posted.channel, posted.ts);
      return;
    }
    case 'existing':
      await ephemeral(respond, `There is already a request for *${escapeMrkdwn(r.request.title)}* (${r.request.state}), made by <@${r.request.requestedBy}>: see its approval message${r.request.threadTs ? ' in the thread' : ''}.`);
      return;
    case 'nothing_to_do':
      await ephemeral(respond, `Nothing to do for *${escapeMrkdwn(r.title)}*: ${escapeMrkdwn(r.preview.summary)}`);
      return;
    case 'limited':
      await ephemeral(respond, `*${escapeMrkdwn(r.title)}* cannot run now: ${escapeMrkdwn(r.reason)}${r.retryAfterSeconds ? ` (try again in ${r.retryAfterSeconds} s)` : ''}`);
      return;
    case 'refused':
      await ephemeral(respond, `*${escapeMrkdwn(r.title)}* was refused: ${escapeMrkdwn(r.reason)}`);
      return;
  }
}

export function remediateCommandHandler(deps: RemediationSlackDeps) {
  return async (inv: CommandInvocation<{ name: 'remediate'; action: string; incidentId?: string; labels: Record<string, string> }>): Promise<void> => {
    const found = findRemediation(deps.catalog, inv.command.action);
    if ('problem' in found) {
      await ephemeral(inv.respond, found.problem);
      return;
    }
    let channelId = inv.channelId;
    let threadTs: string | undefined;
    if (inv.command.incidentId) {
      const where = await deps.incidentThread?.(inv.command.incidentId);
      if (!where) {
        await ephemeral(inv.respond, `No incident ${escapeMrkdwn(inv.command.incidentId)}.`);
        return;
      }
      channelId = where.channelId ?? channelId;
      threadTs = where.threadTs ?? undefined;
    }
    await requestRemediation(deps, { found, labels: inv.command.labels, userId: inv.userId, channelId, threadTs, incidentId: inv.command.incidentId }, inv.respond);
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
    const lines = entries.slice(-60).map((e) => `${e.at.toISOString().slice(0, 19).replace('T', ' ')} ${escapeMrkdwn(e.action)} by ${/^[UW][A-Z0-9]+$/.test(e.actor) ? `<@${e.actor}>` : escapeMrkdwn(e.actor)} — ${escapeMrkdwn(e.subject)}`);
    const more = entries.length > 60 ? `\n(${entries.length - 60} earlier entries not shown)` : '';
    await ephemeral(inv.respond, `*Audit log of ${escapeMrkdwn(incidentId)}* (append-only)\n${lines.join('\n')}${more}`.slice(0, 3900));
  };
}

/** The buttons: request from a diagnosis, Approve, Deny. A button value is only looked up, never trusted. */
export function registerRemediationActions(app: App, deps: RemediationSlackDeps): void {
  onButton(app, REMEDIATION_ACTION_ID, async ({ ack, body, action, respond, context }) => {
    await ack();
    const log = (context.log as Logger | undefined) ?? deps.logger;
    try {
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
      await requestRemediation(
        deps,
        { found, labels: value.labels, userId: body.user.id, channelId, threadTs, idempotencyKey: messageTs ? `${messageTs}:${found.entry.id}:${body.user.id}` : undefined },
        respond,
      );
    } catch (err) {
      // Every failure answers the clicker (Redis down: "approvals are paused"), never silence.
      await respondWithError(err, respond, log, 'requesting the remediation');
    }
  });

  onButton(app, APPROVE_ACTION_ID, async ({ ack, body, action, respond, context }) => {
    await ack();
    const log = (context.log as Logger | undefined) ?? deps.logger;
    try {
      const requestId = action.value ?? '';
      const groups = await approverGroupsOf(deps, requestId, body.user.id, log);
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
          await ephemeral(respond, `*${escapeMrkdwn(r.request.title)}* expired before it was approved; nothing ran. Request it again if it is still needed.`);
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
              .post({ channel: r.request.channelId, thread_ts: r.request.threadTs ?? r.request.approvalMessageTs ?? undefined, text: `${r.outcome === 'succeeded' ? ':white_check_mark:' : ':x:'} *${escapeMrkdwn(r.request.title)}* ${r.outcome} (approved by <@${body.user.id}>): ${escapeMrkdwn(summary)}${verification}` })
              .catch((err: Error) => log.warn({ err: { message: err.message } }, 'posting the remediation result failed'));
          }
          return;
        }
      }
    } catch (err) {
      // Every failure answers the clicker (Redis down: "approvals are paused"), never silence.
      await respondWithError(err, respond, log, 'approving');
    }
  });

  onButton(app, DENY_ACTION_ID, async ({ ack, body, action, respond, context }) => {
    await ack();
    const log = (context.log as Logger | undefined) ?? deps.logger;
    try {
      const requestId = action.value ?? '';
      const groups = await approverGroupsOf(deps, requestId, body.user.id, log);
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
    } catch (err) {
      // Every failure answers the clicker (Redis down: "approvals are paused"), never silence.
      await respondWithError(err, respond, log, 'denying');
    }
  });
}

/** Edits the approval message in place: the buttons give way to who decided and how it went. */
export async function showOutcome(deps: Pick<RemediationSlackDeps, 'client'>, r: RemediationRequest, log: Logger): Promise<void> {
  if (!r.channelId || !r.approvalMessageTs) return;
  const { text, blocks } = renderApprovalOutcome(r);
  await deps.client.chat.update({ channel: r.channelId, ts: r.approvalMessageTs, text, blocks }).catch((err: Error) => {
    log.warn({ err: { message: err.message }, request: r.id }, 'updating the approval message failed');
  });
}

/** Background duties: expire requests nobody approved, and report runs a crash interrupted (never re-run them). */
export function startRemediationHousekeeping(deps: RemediationSlackDeps, intervalMs = 30_000): { stop(): void; recovered: Promise<void> } {
  const log = deps.logger.child({ component: 'remediations' });
  // At start-up and then on every round: a run whose replica died shows up once its lease lapses.
  const reportInterrupted = async () => {
    const interrupted = await deps.service.recoverInterrupted();
    for (const r of interrupted) {
      await showOutcome(deps, r, log);
      if (r.channelId) {
        await deps.poster
          .post({ channel: r.channelId, thread_ts: r.threadTs ?? r.approvalMessageTs ?? undefined, text: `:warning: *${escapeMrkdwn(r.title)}* was interrupted: the bot stopped while it ran (approved by <@${r.approvedBy}>). It was not re-run; check the target and request it again if needed.` })
          .catch((err: Error) => log.warn({ err: { message: err.message } }, 'reporting an interrupted remediation failed'));
      }
    }
  };
  const recovered = reportInterrupted().catch((err: Error) => log.error({ err: { message: err.message } }, 'recovering interrupted remediations failed'));
  const timer = setInterval(() => {
    reportInterrupted().catch((err: Error) => log.warn({ err: { message: err.message } }, 'recovering interrupted remediations failed'));
    deps.service
      .expireDue()
      .then(async (expired) => {
        for (const r of expired) await showOutcome(deps, r, log);
      })
      .catch((err: Error) => log.warn({ err: { message: err.message } }, 'expiring remediation requests failed'));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), recovered };
}

/** Refusals that approving and denying answer alike, ephemerally. */
function refusalText(
  r: { kind: 'not_found' } | { kind: 'not_approver'; reason: string; request: RemediationRequest } | { kind: 'already'; state: string; by: string | null; request: RemediationRequest },
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

/** The user groups named by the request's approvers that the clicking user belongs to. */
async function approverGroupsOf(deps: RemediationSlackDeps, requestId: string, userId: string, log: Logger): Promise<string[]> {
  const existing = await deps.service.get(requestId).catch(() => undefined);
  return existing ? groupsOf(deps.client, userId, existing.declaration.approvers?.usergroups ?? [], log) : [];
}

async function groupsOf(client: WebClient, userId: string, candidates: string[], log: Logger): Promise<string[]> {
  const out: string[] = [];
  for (const usergroup of candidates) {
    try {
      const r = await client.usergroups.users.list({ usergroup });
      if ((r.users ?? []).includes(userId)) out.push(usergroup);
    } catch (err) {
      // Fail closed: a group we cannot read grants nothing.
      log.warn({ err: { message: (err as Error).message }, usergroup }, 'could not read a user group');
    }
  }
  return out;
}

async function ephemeral(respond: RespondFn, text: string): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, text });
}
