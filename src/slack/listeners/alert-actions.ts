import type { App, RespondFn } from '@slack/bolt';
import { onButton } from '../button-router';
import { request } from '../../targets/undici-loader';
import type { AlertService } from '../../alerts/alert-service';
import type { Clock } from '../../clock';
import { BotError, isConnectionError, storageUnavailable } from '../../errors';
import type { Logger } from '../../logger';
import { alertSilenceDeclaration, alertSilenceMatchers, silenceApprovalReason } from '../../remediations/alert-silence';
import type { AlertRecord } from '../../domain/alert';
import type { AuditStore } from '../../domain/audit';
import { ALERT_ACTION_IDS, ALERT_BUTTON_VALUE, hhmm, mention } from '../blocks/alert-blocks';
import { ALERT_MENU_ACTION_ID, ALERT_MENU_VALUE } from '../blocks/alert-group-blocks';
import { escapeAndCut, escapeMrkdwn } from '../blocks/mrkdwn';
import type { SlackPoster } from '../slack-poster';
import type { AlertMessenger } from '../alert-messenger';
import { labelsOfAlert } from '../../diagnosis';
import { findAlert, type Catalog } from '../../runbooks';
import { diagnoseAlert, type DiagnoseDeps } from './diagnose';
import { openAndAnnounce, type IncidentCommandDeps } from './incident-subcommands';
import { requestRemediation, type RemediationSlackDeps } from './remediations';

export interface AlertActionDeps {
  alerts: AlertService;
  messenger: AlertMessenger;
  poster: SlackPoster;
  diagnose: DiagnoseDeps;
  incidents: IncidentCommandDeps;
  clock: Clock;
  logger: Logger;
  /** Alertmanager's base URL (ALERTMANAGER_URL) for "Silence 1 h"; undefined: the button explains how to enable it. */
  alertmanagerUrl?: string;
  /** Every silence made from a button is audited. */
  audit: Pick<AuditStore, 'append'>;
  /** A broad or P0 silence goes through the remediation approval; without it such a silence is refused. */
  remediations?: RemediationSlackDeps;
  /** Injected in tests; undici's request otherwise. */
  request?: typeof request;
}

const SILENCE_MS = 3600_000;
const ALERTMANAGER_TIMEOUT_MS = 5_000;

interface ButtonContext {
  alert: AlertRecord;
  userId: string;
  respond: RespondFn;
  log: Logger;
}
type Handler = (deps: AlertActionDeps, ctx: ButtonContext) => Promise<void>;

/**
 * The four alert buttons. A button's value is only the alert id: it is validated, the alert is looked up, and
 * everything else (labels, channel, thread) comes from the record, never from the payload.
 */
export function registerAlertActions(app: App, deps: AlertActionDeps): void {
  const handlers = new Map<string, { what: string; handler: Handler }>([
    [ALERT_ACTION_IDS.acknowledge, { what: 'acknowledging', handler: acknowledge }],
    [ALERT_ACTION_IDS.diagnose, { what: 'the diagnosis', handler: diagnose }],
    [ALERT_ACTION_IDS.openIncident, { what: 'opening the incident', handler: openIncident }],
    [ALERT_ACTION_IDS.silence, { what: 'silencing', handler: silenceAlert }],
  ]);
  // A group message lists its alerts with an overflow menu each: an option's value names the action and the alert.
  onButton(app, ALERT_MENU_ACTION_ID, async ({ ack, action, body, respond, context }) => {
    await ack();
    const log = (context.log as Logger | undefined) ?? deps.logger;
    const m = ALERT_MENU_VALUE.exec((action as unknown as { selected_option?: { value?: string } }).selected_option?.value ?? '');
    const button = m ? handlers.get(m[1]!) : undefined;
    if (!button) {
      await tell(respond, 'That menu does not belong to an alert this bot knows (it may have been removed).');
      return;
    }
    await runButton(deps, button, m![2]!, { userId: body.user.id, respond, log });
  });
  for (const [actionId, button] of handlers) {
    onButton(app, actionId, async ({ ack, action, body, respond, context }) => {
      await ack();
      const log = (context.log as Logger | undefined) ?? deps.logger;
      await runButton(deps, button, action.value ?? '', { userId: body.user.id, respond, log });
    });
  }
}

/** Looks the alert up from the button's value and runs the handler; every failure is answered to the clicker. */
async function runButton(
  deps: AlertActionDeps,
  { what, handler }: { what: string; handler: Handler },
  value: string,
  { userId, respond, log }: Omit<ButtonContext, 'alert'>,
): Promise<void> {
  try {
    const alert = ALERT_BUTTON_VALUE.test(value) ? await deps.alerts.get(Number(value)) : null;
    if (!alert) {
      await tell(respond, 'That button does not belong to an alert this bot knows (it may have been removed).');
      return;
    }
    await handler(deps, { alert, userId, respond, log });
  } catch (err) {
    if (err instanceof BotError) {
      await tell(respond, err.userMessage);
      return;
    }
    if (isConnectionError(err)) {
      log.warn({ what, err: { message: (err as Error).message } }, 'storage unavailable');
      await tell(respond, storageUnavailable(err).userMessage);
      return;
    }
    log.error({ err, alertValue: value, what }, 'alert button failed');
    await tell(respond, `Sorry, ${what} failed on our side. It has been logged; try again.`);
  }
}

async function acknowledge(deps: AlertActionDeps, { alert, userId, respond }: ButtonContext): Promise<void> {
  const r = await deps.alerts.acknowledge(alert.id, userId);
  if (r.kind === 'already') {
    await tell(respond, `${escapeAndCut(alert.name, 200)} was already acknowledged by ${mention(r.by)} at ${hhmm(r.at)}.`);
    return;
  }
  if (r.kind === 'resolved') {
    await tell(
      respond,
      `${escapeAndCut(alert.name, 200)} is resolved${r.alert.resolvedAt ? ` (at ${hhmm(r.alert.resolvedAt)})` : ''}: there is nothing to acknowledge.`,
    );
    return;
  }
  await deps.messenger.refresh(r.alert);
}

async function diagnose(deps: AlertActionDeps, { alert, userId, respond, log }: ButtonContext): Promise<void> {
  if (!alert.channelId || !alert.messageTs) {
    await tell(respond, 'This alert has no Slack thread to post the diagnosis in.');
    return;
  }
  const missing = alert.labelsFrom === 'title' ? missingLabels(deps.diagnose.catalog, alert) : [];
  if (missing.length > 0) {
    const example = missing.map((l) => `${l}=…`).join(' ');
    await tell(
      respond,
      `The labels of this alert are unknown: its post showed only values (${escapeAndCut(alert.annotations.context ?? 'none', 300)}). Diagnose needs ${missing.map((l) => `\`${escapeMrkdwn(l)}\``).join(', ')}: run \`/incident diagnose ${escapeAndCut(alert.name, 80)} ${escapeMrkdwn(example)}\`.`,
    );
    return;
  }
  const outcome = await diagnoseAlert(deps.diagnose, { ...alert, channelId: alert.channelId, messageTs: alert.messageTs }, userId, log);
  if (outcome.kind === 'unknown_alert') {
    const hint = outcome.suggestions.length ? ` Closest: ${outcome.suggestions.map((s) => `\`${escapeMrkdwn(s)}\``).join(', ')}.` : '';
    await tell(respond, `No runbook covers the alert \`${escapeAndCut(alert.name, 80)}\`.${hint} \`/incident runbooks\` lists them all.`);
  }
}

async function openIncident(deps: AlertActionDeps, { alert, userId, respond }: ButtonContext): Promise<void> {
  if (alert.incidentId) {
    await tell(respond, `This alert is already part of ${escapeMrkdwn(alert.incidentId)}.`);
    return;
  }
  if (!alert.channelId) {
    await tell(respond, 'This alert has no channel to open the incident in.');
    return;
  }
  const summary = alert.annotations.summary;
  const title = summary ? `${alert.name}: ${summary}` : alert.name;
  await openAndAnnounce(deps.incidents, {
    title: title.length > 150 ? `${title.slice(0, 149)}…` : title,
    severity: alert.severity,
    actor: userId,
    channelId: alert.channelId,
    alertId: alert.id,
    alert,
  });
  const linked = await deps.alerts.get(alert.id);
  if (linked) await deps.messenger.refresh(linked);
}

type Silence = ReturnType<typeof silenceFor>;

async function silenceAlert(deps: AlertActionDeps, { alert, userId, respond, log }: ButtonContext): Promise<void> {
  if (!deps.alertmanagerUrl) {
    await tell(
      respond,
      'Silencing from Slack needs ALERTMANAGER_URL, which is not set; ask your operator, or silence it in Alertmanager (amtool).',
    );
    return;
  }
  const silence = silenceFor(alert, userId, deps.clock.now());
  if (silence.matchers.length === 0) {
    await tell(respond, 'This alert has no labels to build a silence from.');
    return;
  }
  const answer = await createSilence(deps, deps.alertmanagerUrl, silence, { alert, userId, respond, log });
  if (!answer) return;
  const { status, body } = answer;
  if (status !== 200) {
    log.warn({ status, body: body.slice(0, 500), alertId: alert.id }, 'Alertmanager refused the silence');
    await tell(respond, `Alertmanager refused the silence (HTTP ${status}: ${escapeAndCut(body, 300)}).`);
    return;
  }
  let silenceId = '';
  try {
    silenceId = String((JSON.parse(body) as { silenceID?: unknown }).silenceID ?? '');
  } catch {
    silenceId = '';
  }
  await recordSilence(deps, silence, silenceId, { alert, userId, respond, log });
}

/**
 * Asks Alertmanager what the silence would match, then creates it; its answer, or undefined when the clicker has
 * been told already (an approval is needed, or Alertmanager did not answer).
 */
async function createSilence(
  deps: AlertActionDeps,
  alertmanagerUrl: string,
  silence: Silence,
  { alert, userId, respond, log }: ButtonContext,
): Promise<{ status: number; body: string } | undefined> {
  const base = alertmanagerUrl.endsWith('/') ? alertmanagerUrl : `${alertmanagerUrl}/`;
  const send = (url: URL, init: { method: 'GET' | 'POST'; body?: string }) =>
    (deps.request ?? request)(url, {
      ...init,
      headers: { 'content-type': 'application/json' },
      headersTimeout: ALERTMANAGER_TIMEOUT_MS,
      bodyTimeout: ALERTMANAGER_TIMEOUT_MS,
      signal: AbortSignal.timeout(ALERTMANAGER_TIMEOUT_MS),
    });
  try {
    // What the silence would match right now, as Alertmanager sees it: more than this alert needs an approval.
    const matching = new URL('api/v2/alerts', base);
    for (const m of silence.matchers) matching.searchParams.append('filter', `${m.name}=${JSON.stringify(m.value)}`);
    const found = await send(matching, { method: 'GET' });
    const listed = await found.body.text();
    if (found.statusCode !== 200) throw new Error(`HTTP ${found.statusCode} listing the alerts it would match`);
    const approval = silenceApprovalReason(alert, (JSON.parse(listed) as unknown[]).length);
    if (approval) {
      await requestSilenceApproval(deps, alert, userId, approval, respond);
      return undefined;
    }
    const res = await send(new URL('api/v2/silences', base), { method: 'POST', body: JSON.stringify(silence) });
    return { status: res.statusCode, body: await res.body.text() };
  } catch (err) {
    log.warn({ err: { message: (err as Error).message }, alertId: alert.id }, 'Alertmanager did not answer the silence request');
    await tell(
      respond,
      `Alertmanager did not answer (${escapeAndCut((err as Error).message, 200)}); the alert is not silenced. Try again, or use amtool.`,
    );
    return undefined;
  }
}

/** Audits the silence and says so in the alert's thread (or to the clicker when the alert has none). */
async function recordSilence(
  deps: AlertActionDeps,
  silence: Silence,
  silenceId: string,
  { alert, userId, respond }: ButtonContext,
): Promise<void> {
  await deps.audit.append({
    actor: userId,
    action: 'alert.silenced',
    subject: `alert:${alert.id}`,
    ...(alert.incidentId ? { incidentId: alert.incidentId } : {}),
    data: { alert: alert.name, matchers: silence.matchers, endsAt: silence.endsAt, silenceId: silenceId || null },
    at: deps.clock.now(),
  });
  if (alert.channelId && alert.messageTs) {
    await deps.poster.post({
      channel: alert.channelId,
      thread_ts: alert.messageTs,
      text: `:no_bell: ${escapeAndCut(alert.name, 200)} silenced for 1 h by ${mention(userId)} until ${hhmm(new Date(silence.endsAt))}${silenceId ? ` (silence ${escapeAndCut(silenceId, 64)})` : ''}.`,
    });
  } else {
    await tell(respond, `Silenced for 1 h${silenceId ? ` (silence ${escapeAndCut(silenceId, 64)})` : ''}.`);
  }
}

/** An Alertmanager v2 silence: one exact matcher per label (values are data in JSON, never part of a URL). */
export function silenceFor(alert: Pick<AlertRecord, 'labels' | 'name'>, userId: string, now: Date) {
  const matchers = Object.entries(alertSilenceMatchers(alert)).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
  return {
    matchers,
    startsAt: now.toISOString(),
    endsAt: new Date(now.getTime() + SILENCE_MS).toISOString(),
    createdBy: userId,
    comment: `Silenced from Slack by ${userId} for 1 h`,
  };
}

/** A silence that needs an approval becomes a high-risk remediation request in the alert's thread (or APPROVALS_CHANNEL). */
async function requestSilenceApproval(
  deps: AlertActionDeps,
  alert: AlertRecord,
  userId: string,
  why: string,
  respond: RespondFn,
): Promise<void> {
  if (!deps.remediations) {
    await tell(respond, `This silence needs an approval (${why}), and approvals are not available: the bot has no remediation service.`);
    return;
  }
  if (Object.values(alert.labels).some((v) => v.includes('{{'))) {
    await tell(
      respond,
      `This silence needs an approval (${why}), but a label value contains \`{{\`, which a remediation request cannot carry literally: create the silence with amtool.`,
    );
    return;
  }
  await tell(respond, `This silence needs an approval: ${why}. The request is posted for an approver.`);
  await requestRemediation(
    deps.remediations,
    {
      found: { entry: alertSilenceDeclaration(alert, userId) },
      labels: {},
      userId,
      ...(alert.channelId && alert.messageTs
        ? {
            home: {
              channelId: alert.channelId,
              threadTs: alert.messageTs,
              alertId: alert.id,
              ...(alert.incidentId ? { incidentId: alert.incidentId } : {}),
            },
          }
        : {}),
    },
    respond,
  );
}

function tell(respond: RespondFn, text: string): Promise<unknown> {
  return respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);
}

/** The labels the alert's diagnosis uses that the alert does not have. */
function missingLabels(catalog: Catalog, alert: AlertRecord): string[] {
  const hit = findAlert(catalog, alert.name);
  return hit.found ? labelsOfAlert(hit.runbook, hit.alert).filter((l) => alert.labels[l] === undefined) : [];
}
