import type { ActionsBlock, Button, ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { formatDuration } from '../../incidents/templates';
import { RESPONSE_SLA_MINUTES } from '../../incidents/severity';
import type { AlertRecord } from '../../domain/alert';
import { cutFormatted, escapeAndCut, escapeMrkdwn } from './mrkdwn';

/** The alert buttons; each carries only the alert id as its value (everything else is looked up server-side). */
export const ALERT_ACTION_IDS = {
  acknowledge: 'alert_acknowledge',
  diagnose: 'alert_diagnose',
  openIncident: 'alert_open_incident',
  silence: 'alert_silence',
} as const;

export const ALERT_BUTTON_VALUE = /^[1-9][0-9]{0,14}$/;

export interface AlertMessage {
  /** Notification / fallback text (escaped). */
  text: string;
  blocks: KnownBlock[];
}

export interface AlertMessageOptions {
  /**
   * `reply`: the bot's reply in the thread of someone else's alert post (Alertmanager, Grafana).
   * `post`: the bot posts the alert itself (the Alertmanager webhook), so the message carries the alert's text too.
   */
  kind: 'reply' | 'post';
  /** When the alert's response SLA runs out (AlertService.slaDeadline). */
  slaDeadline: Date;
  /** False when ALERTMANAGER_URL is unset: the Silence button is not offered (default true). */
  silence?: boolean;
  /** The time the card is drawn at: past the deadline, an unacknowledged alert shows "SLA missed". */
  now?: Date;
  /** The label names its diagnosis uses: those the alert lacks are named when its labels are unknown. */
  labelsNeeded?: readonly string[];
  /** Whether ALERTMANAGER_URL is set (what to say when the labels are unknown). */
  alertmanagerConfigured?: boolean;
}

const LIMITS = { section: 3000, button: 75, labelsShown: 20, context: 10 };
const SEVERITY_NAMES = { P0: 'critical', P1: 'high', P2: 'medium', P3: 'low' } as const;

/**
 * Renders an alert as the bot shows it: severity, labels, SLA deadline and the four buttons while it fires;
 * who acknowledged it and how fast once acknowledged; the resolution time and no buttons once resolved.
 * Pure, never over Block Kit limits, every interpolated value escaped (alert text cannot mention anyone).
 *
 * @example
 *   const { text, blocks } = renderAlertMessage(alert, { kind: 'reply', slaDeadline: alerts.slaDeadline(alert) });
 *   await poster.post({ channel, thread_ts: alert.messageTs, text, blocks });
 */
export function renderAlertMessage(alert: AlertRecord, opts: AlertMessageOptions): AlertMessage {
  const blocks: KnownBlock[] = [];
  const name = escapeAndCut(alert.name, 200);
  const severity = `${alert.severity} (${SEVERITY_NAMES[alert.severity]})`;
  const resolved = alert.status === 'resolved';
  const icon = resolved ? ':white_check_mark:' : alert.acknowledgedAt ? ':eyes:' : ':rotating_light:';

  const head: string[] = [];
  head.push(
    opts.kind === 'post' ? `${icon} *[${resolved ? 'RESOLVED' : 'FIRING'}] ${name}* · ${severity}` : `${icon} *${name}* · ${severity}`,
  );
  if (opts.kind === 'post') {
    const summary = alert.annotations.summary ?? alert.annotations.description;
    if (summary) head.push(escapeAndCut(summary, 1000));
  }
  if (resolved) {
    head.push(`*Resolved* at ${hhmm(alert.resolvedAt ?? alert.endsAt ?? alert.lastSeenAt)}`);
  } else if (!alert.acknowledgedAt) {
    // A deadline on another day than the alert's start (a P3's 24 h) shows its date: a bare time reads as overdue.
    const deadline = sameUtcDay(opts.slaDeadline, alert.startsAt) ? hhmm(opts.slaDeadline) : dateTime(opts.slaDeadline);
    const sla = `${alert.severity} SLA: ${formatDuration(RESPONSE_SLA_MINUTES[alert.severity])}`;
    head.push(
      opts.now && opts.now.getTime() > opts.slaDeadline.getTime()
        ? `:warning: *SLA missed:* not acknowledged by ${deadline} (${sla})`
        : `*Acknowledge by:* ${deadline} (${sla})`,
    );
  }
  const ack = acknowledgementLine(alert);
  if (ack) head.push(ack);
  blocks.push(section(cutFormatted(head.join('\n'), LIMITS.section)));

  const labels = Object.entries(alert.labels).filter(([k]) => k !== 'alertname');
  if (labels.length) {
    const shown = labels
      .slice(0, LIMITS.labelsShown)
      .map(([k, v]) => `\`${escapeAndCut(k, 64).replace(/`/g, "'")}=${escapeAndCut(v, 200).replace(/`/g, "'")}\``);
    const more = labels.length > LIMITS.labelsShown ? ` … and ${labels.length - LIMITS.labelsShown} more` : '';
    blocks.push(section(cutFormatted(`*Labels:* ${shown.join(' ')}${more}`, LIMITS.section)));
  }

  if (alert.labelsFrom === 'title') blocks.push(section(cutFormatted(unknownLabelsText(alert, opts), LIMITS.section)));

  const context: string[] = [];
  if (alert.labelsFrom === 'alertmanager') context.push('labels from Alertmanager');
  if (alert.fireCount > 1) context.push(`fired ${alert.fireCount}× since ${hhmm(alert.firstSeenAt)}`);
  context.push(`firing since ${dateTime(alert.startsAt)}`);
  if (alert.incidentId) context.push(`incident ${escapeMrkdwn(alert.incidentId)}`);
  context.push(`alert #${alert.id}`);
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: cutFormatted(context.join(' · '), LIMITS.section) }],
  } satisfies ContextBlock);

  if (!resolved) {
    const value = String(alert.id);
    const elements: Button[] = [];
    if (!alert.acknowledgedAt) elements.push(button('Acknowledge', ALERT_ACTION_IDS.acknowledge, value, 'primary'));
    elements.push(button('Diagnose', ALERT_ACTION_IDS.diagnose, value));
    if (!alert.incidentId) elements.push(button('Open incident', ALERT_ACTION_IDS.openIncident, value));
    if (opts.silence !== false) elements.push(button('Silence 1 h', ALERT_ACTION_IDS.silence, value));
    blocks.push({ type: 'actions', block_id: `alert:${alert.id}`, elements } satisfies ActionsBlock);
  }

  const state = resolved ? 'resolved' : alert.acknowledgedAt ? 'acknowledged' : 'firing';
  const text = `${alert.severity} alert ${escapeAndCut(alert.name, 200)}: ${state}`;
  return { text, blocks };
}

/** Why the alert shows no labels, which ones its diagnosis lacks, and how to get them. */
export function unknownLabelsText(
  alert: Pick<AlertRecord, 'labels' | 'annotations'>,
  opts: Pick<AlertMessageOptions, 'labelsNeeded' | 'alertmanagerConfigured'>,
): string {
  const values = (alert.annotations.context ?? '').split(/\s+/).filter(Boolean);
  const shown = values.length
    ? ` (${values
        .slice(0, LIMITS.labelsShown)
        .map((v) => `\`${escapeAndCut(v, 200).replace(/`/g, "'")}\``)
        .join(' ')})`
    : '';
  const missing = (opts.labelsNeeded ?? []).filter((l) => alert.labels[l] === undefined);
  const need = missing.length ? ` Diagnose needs ${missing.map((l) => `\`${escapeAndCut(l, 64)}\``).join(', ')}.` : '';
  const how = opts.alertmanagerConfigured
    ? 'Alertmanager (ALERTMANAGER_URL) lists no active alert matching them.'
    : 'Set ALERTMANAGER_URL and the bot reads them from Alertmanager.';
  return `:grey_question: *Labels unknown:* the post shows only label values${shown}, not their names.${need} ${how}`;
}

/** "Acknowledged by <@U…> 2 min after firing, within the P1 SLA of 15 min", or undefined when not acknowledged. */
export function acknowledgementLine(
  alert: Pick<AlertRecord, 'acknowledgedAt' | 'acknowledgedBy' | 'startsAt' | 'severity'>,
): string | undefined {
  if (!alert.acknowledgedAt) return undefined;
  const seconds = Math.max(0, (alert.acknowledgedAt.getTime() - alert.startsAt.getTime()) / 1000);
  const slaMinutes = RESPONSE_SLA_MINUTES[alert.severity];
  const within = seconds <= slaMinutes * 60;
  return `*Acknowledged* by ${mention(alert.acknowledgedBy)} ${formatDuration(seconds / 60)} after firing, ${within ? 'within' : 'outside'} the ${alert.severity} SLA of ${formatDuration(slaMinutes)}`;
}

/** A Slack user mention only for ids shaped like Slack's; anything else is shown escaped. */
export function mention(userId: string | null | undefined): string {
  if (!userId) return 'someone';
  return /^[UW][A-Z0-9]{2,20}$/.test(userId) ? `<@${userId}>` : escapeAndCut(userId, 80);
}

/** 10:02 UTC */
export function hhmm(d: Date): string {
  return `${d.toISOString().slice(11, 16)} UTC`;
}

function sameUtcDay(a: Date, b: Date): boolean {
  return a.toISOString().slice(0, 10) === b.toISOString().slice(0, 10);
}

/** 2026-01-11 10:02 UTC */
export function dateTime(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text: text.slice(0, LIMITS.button), emoji: true },
    action_id: actionId,
    value,
    ...(style ? { style } : {}),
  };
}
