import type { ActionsBlock, KnownBlock, ModalView, SectionBlock } from '@slack/types';
import { SEVERITIES, type Severity, RESPONSE_SLA_MINUTES } from '../../incidents/severity';
import { formatDuration, formatTime } from '../../incidents/templates';
import type { EscalationLevel } from '../../incidents/reminders-and-escalations';
import type { AlertRecord } from '../../domain/alert';
import type { Incident } from '../../domain/incident';
import type { TimelineEvent } from '../../domain/timeline-event';
import { parseClockTime, type ClockTime } from '../command-grammar';
import { mention } from './alert-blocks';
import { cutFormatted, escapeAndCut, escapeMrkdwn } from './mrkdwn';

/** The "Draft post-mortem" button offered with a resolution; its value is the incident id. */
export const POSTMORTEM_ACTION_ID = 'postmortem_draft';
/** ✅ / ✖ on an action item of a post-mortem draft's summary; value `INC-…:<item key>`. */
export const ACTION_ITEM_CONFIRM_ID = 'postmortem_item_confirm';
export const ACTION_ITEM_DROP_ID = 'postmortem_item_drop';
/** callback_id of the "Open an incident" modal. */
export const OPEN_INCIDENT_CALLBACK_ID = 'incident_open';

export interface IncidentMessage {
  text: string;
  blocks: KnownBlock[];
}

const LIMITS = { section: 3000, blocks: 50, timeline: 15, list: 40, fallback: 3000 };
const SEVERITY_NAMES = { P0: 'critical', P1: 'high', P2: 'medium', P3: 'low' } as const;

/**
 * A notification rendered from a template (templates.ts: every value already escaped) as a message: the text in a
 * section (cut at Block Kit's 3000), and the post-mortem button when one is offered.
 */
export function renderNotification(
  templateText: string,
  opts: { postmortemFor?: string; extra?: (KnownBlock | undefined)[] } = {},
): IncidentMessage {
  const blocks: KnownBlock[] = [section(cutFormatted(templateText, LIMITS.section))];
  for (const b of opts.extra ?? []) if (b) blocks.push(b);
  if (opts.postmortemFor) {
    blocks.push({
      type: 'actions',
      block_id: 'incident_postmortem',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Draft post-mortem', emoji: true },
          action_id: POSTMORTEM_ACTION_ID,
          value: opts.postmortemFor.slice(0, 2000),
          style: 'primary',
        },
      ],
    } satisfies ActionsBlock);
  }
  return { text: cutFormatted(templateText, LIMITS.fallback), blocks };
}

/** `/incident status`: the record and its latest timeline events. */
export function renderIncidentStatus(inc: Incident, timeline: readonly TimelineEvent[]): IncidentMessage {
  const lines = [
    `*${escapeMrkdwn(inc.id)}* · ${inc.severity} (${SEVERITY_NAMES[inc.severity]}) · *${inc.status}*`,
    `*Title:* ${escapeAndCut(inc.title, 300)}`,
    `*Started:* ${formatTime(inc.startedAt)}`,
  ];
  if (inc.impact) lines.push(`*Impact:* ${escapeAndCut(inc.impact, 500)}`);
  if (inc.acknowledgedAt) lines.push(`*Acknowledged:* ${formatTime(inc.acknowledgedAt)} by ${mention(inc.acknowledgedBy)}`);
  if (inc.mitigatedAt) lines.push(`*Mitigated:* ${formatTime(inc.mitigatedAt)} by ${mention(inc.mitigatedBy)}`);
  if (inc.resolvedAt) lines.push(`*Resolved:* ${formatTime(inc.resolvedAt)} by ${mention(inc.resolvedBy)}`);
  if (inc.lastUpdateAt) lines.push(`*Last update:* ${formatTime(inc.lastUpdateAt)}`);
  if (inc.nextUpdateDueAt && inc.status !== 'resolved') lines.push(`*Next update due:* ${formatTime(inc.nextUpdateDueAt)}`);
  const blocks: KnownBlock[] = [section(cutFormatted(lines.join('\n'), LIMITS.section))];
  const recent = timeline.slice(-LIMITS.timeline);
  if (recent.length) {
    const more = timeline.length > recent.length ? `_${timeline.length - recent.length} earlier events not shown_\n` : '';
    const events = recent.map((e) => `• ${e.at.toISOString().slice(11, 16)} ${mention(e.actor)}: ${escapeAndCut(e.text, 300)}`);
    blocks.push(section(cutFormatted(`*Timeline*\n${more}${events.join('\n')}`, LIMITS.section)));
  }
  return { text: `${escapeMrkdwn(inc.id)}: ${inc.status}, ${inc.severity}`, blocks };
}

/**
 * What someone who may not read a private incident sees of it: its id, severity and status (as on the hub), never its
 * title, people or channel.
 */
export function privateIncidentLine(inc: Pick<Incident, 'id' | 'severity' | 'status'>): string {
  return `:lock: *${escapeMrkdwn(inc.id)}* ${inc.severity} · ${inc.status} · private incident`;
}

export const PRIVATE_INCIDENT_HINT =
  'Its details are shown only in its private channel and to the people in it. To help, ask someone working on it to add you to the channel.';

/** `/incident status` of a private incident asked by someone outside it. */
export function renderPrivateIncidentStatus(inc: Pick<Incident, 'id' | 'severity' | 'status'>): IncidentMessage {
  const text = `${privateIncidentLine(inc)}\n${PRIVATE_INCIDENT_HINT}`;
  return { text: `${escapeMrkdwn(inc.id)}: ${inc.status}, ${inc.severity}, private incident`, blocks: [section(text)] };
}

/** `/incident list`: the active incidents, most severe first; those in `withheld` (private ones) as a redacted line. */
export function renderIncidentList(incidents: readonly Incident[], withheld: ReadonlySet<string> = new Set()): IncidentMessage {
  if (incidents.length === 0) return { text: 'No active incidents.', blocks: [section('No active incidents. :tada:')] };
  const sorted = [...incidents].sort((a, b) => a.severity.localeCompare(b.severity) || a.id.localeCompare(b.id));
  const lines = sorted
    .slice(0, LIMITS.list)
    .map((i) =>
      withheld.has(i.id)
        ? `• ${privateIncidentLine(i)}`
        : `• *${escapeMrkdwn(i.id)}* ${i.severity} · ${i.status} · ${escapeAndCut(i.title, 150)}${channelRef(i.channelId)}`,
    );
  if (sorted.length > LIMITS.list) lines.push(`… and ${sorted.length - LIMITS.list} more`);
  const head = `*${incidents.length} active incident${incidents.length === 1 ? '' : 's'}*`;
  if (withheld.size) lines.push(`_:lock: ${PRIVATE_INCIDENT_HINT}_`);
  return { text: `${incidents.length} active incidents`, blocks: [section(cutFormatted(`${head}\n${lines.join('\n')}`, LIMITS.section))] };
}

/** The ephemeral answer when a command needs an incident and this channel has none, or several, active. */
export function chooseIncidentText(incidents: readonly Incident[], usage: string): string {
  if (incidents.length === 0)
    return `There is no active incident in this channel: give its ID, e.g. \`${usage}\` (\`/incident list\` shows them all).`;
  const list = incidents
    .slice(0, 20)
    .map((i) => `• \`${escapeMrkdwn(i.id)}\` ${i.severity} · ${escapeAndCut(i.title, 100)}`)
    .join('\n');
  return `Several incidents are active in this channel; add the ID, e.g. \`${usage}\`:\n${list}`;
}

/** Posted in the incident's thread after state changes. */
export function incidentAckText(inc: Incident, r: { minutesAfterStart: number; withinSla: boolean; slaMinutes: number }): string {
  return `:eyes: *${escapeMrkdwn(inc.id)}* acknowledged by ${mention(inc.acknowledgedBy)} ${formatDuration(r.minutesAfterStart)} after it started, ${r.withinSla ? 'within' : 'outside'} the ${inc.severity} SLA of ${formatDuration(r.slaMinutes)}`;
}

export function severityChangedText(inc: Incident, from: Severity, actor: string): string {
  const cadence = inc.severity === 'P0' || inc.severity === 'P1' ? ' Status updates are now due every 30 minutes.' : '';
  return `:arrow_up_down: *${escapeMrkdwn(inc.id)}* severity changed from ${from} to *${inc.severity}* (${SEVERITY_NAMES[inc.severity]}) by ${mention(actor)}.${cadence}`;
}

/**
 * The status-update reminder posted in the incident thread. `urgent` (P0/P1) names who leads it: whoever
 * acknowledged it, else whoever opened it.
 */
export function statusReminderText(inc: Incident, urgent = false): string {
  const last = inc.lastUpdateAt ? formatTime(inc.lastUpdateAt) : `none since it opened at ${formatTime(inc.createdAt)}`;
  const lead = urgent ? ` ${mention(inc.acknowledgedBy ?? inc.createdBy)}` : '';
  return `:alarm_clock:${lead} Status update overdue for *${escapeMrkdwn(inc.id)}* (${inc.severity}): last update ${last}; post one with \`/incident update <text>\``;
}

const USER_TARGET = /^[UW][A-Z0-9]{2,20}$/;
const GROUP_TARGET = /^S[A-Z0-9]{2,20}$/;

/** True for a Slack user (U…/W…) or user-group (S…) id: the only escalation targets the bot will mention. */
export function isEscalationTarget(target: string): boolean {
  return USER_TARGET.test(target) || GROUP_TARGET.test(target);
}

/**
 * The escalation page posted in the alert's thread. The mention is intended (the target is configuration, never
 * alert text) and only produced for ids shaped like Slack's; anything else is shown escaped.
 */
export function escalationText(alert: AlertRecord, level: EscalationLevel, target: string, now: Date): string {
  const who = GROUP_TARGET.test(target) ? `<!subteam^${target}>` : USER_TARGET.test(target) ? `<@${target}>` : escapeAndCut(target, 40);
  const sla = RESPONSE_SLA_MINUTES[alert.severity];
  const unacked = formatDuration(Math.max(0, (now.getTime() - alert.startsAt.getTime()) / 60_000));
  const levelName = escapeAndCut(level.name ?? `L${level.level}`, 20);
  return `:rotating_light: *Escalation ${levelName}* ${who}: ${alert.severity} alert *${escapeAndCut(alert.name, 200)}* has been unacknowledged for ${unacked} (SLA ${formatDuration(sla)}). Acknowledge it with the button above.`;
}

/** The modal `/incident open` shows when given no arguments. */
export function openIncidentModal(channelId: string): ModalView {
  return {
    type: 'modal',
    callback_id: OPEN_INCIDENT_CALLBACK_ID,
    private_metadata: JSON.stringify({ channel_id: channelId }),
    title: { type: 'plain_text', text: 'Open an incident' },
    submit: { type: 'plain_text', text: 'Open' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: 'title',
        label: { type: 'plain_text', text: 'Title' },
        element: {
          type: 'plain_text_input',
          action_id: 'value',
          max_length: 150,
          placeholder: { type: 'plain_text', text: 'Database down' },
        },
      },
      {
        type: 'input',
        block_id: 'severity',
        label: { type: 'plain_text', text: 'Severity' },
        element: {
          type: 'static_select',
          action_id: 'value',
          initial_option: severityOption('P2'),
          options: SEVERITIES.map(severityOption),
        },
      },
      {
        type: 'input',
        block_id: 'impact',
        optional: true,
        label: { type: 'plain_text', text: 'Impact' },
        element: {
          type: 'plain_text_input',
          action_id: 'value',
          multiline: true,
          max_length: 1000,
          placeholder: { type: 'plain_text', text: 'Who is affected, and how?' },
        },
      },
      {
        type: 'input',
        block_id: 'started',
        optional: true,
        label: { type: 'plain_text', text: 'Impact started at (UTC)' },
        hint: { type: 'plain_text', text: 'When it began, if before now: the post-mortem measures the impact from it.' },
        element: { type: 'plain_text_input', action_id: 'value', max_length: 5, placeholder: { type: 'plain_text', text: 'HH:MM' } },
      },
    ],
  };
}

export type OpenIncidentSubmission =
  | { ok: true; title: string; severity: Severity; impact?: string; started?: ClockTime; channelId?: string }
  | { ok: false; errors: Record<string, string> };

/** Reads the modal's state; field errors come back keyed by block_id (Slack's `response_action: 'errors'`). */
export function parseOpenIncidentSubmission(view: {
  state?: { values?: Record<string, Record<string, unknown>> };
  private_metadata?: string;
}): OpenIncidentSubmission {
  const values = view.state?.values ?? {};
  const field = (block: string): Record<string, unknown> | undefined => values[block]?.value as Record<string, unknown> | undefined;
  const title = String(field('title')?.value ?? '').trim();
  const severityValue = (field('severity')?.selected_option as { value?: unknown } | undefined)?.value;
  const impact = String(field('impact')?.value ?? '').trim();
  const errors: Record<string, string> = {};
  if (!title) errors.title = 'Give the incident a title.';
  else if (title.length > 150) errors.title = 'Keep the title under 150 characters.';
  const severity = SEVERITIES.find((s) => s === severityValue);
  if (!severity) errors.severity = 'Pick a severity.';
  if (impact.length > 1000) errors.impact = 'Keep the impact under 1000 characters.';
  const startedText = String(field('started')?.value ?? '').trim();
  const started = startedText ? parseClockTime(startedText) : undefined;
  if (startedText && !started) errors.started = 'Write the time as HH:MM in UTC, e.g. 09:58.';
  if (Object.keys(errors).length || !severity) return { ok: false, errors };
  let channelId: string | undefined;
  try {
    const meta = JSON.parse(view.private_metadata ?? '{}') as { channel_id?: unknown };
    if (typeof meta.channel_id === 'string' && /^[CGD][A-Z0-9]{2,20}$/.test(meta.channel_id)) channelId = meta.channel_id;
  } catch {
    channelId = undefined;
  }
  return { ok: true, title, severity, ...(impact ? { impact } : {}), ...(started ? { started } : {}), ...(channelId ? { channelId } : {}) };
}

function severityOption(s: Severity) {
  return { text: { type: 'plain_text' as const, text: `${s} (${SEVERITY_NAMES[s]})` }, value: s };
}

function channelRef(channelId: string | null): string {
  return channelId && /^[CG][A-Z0-9]{2,20}$/.test(channelId) ? ` · <#${channelId}>` : '';
}

function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}
