import type { ContextBlock, KnownBlock, Overflow, SectionBlock } from '@slack/types';
import type { AlertGroup, AlertRecord } from '../../domain/alert';
import { ALERT_ACTION_IDS, hhmm, mention, type AlertMessage } from './alert-blocks';
import { cutFormatted, escapeAndCut } from './mrkdwn';

/** The per-alert menu of a group message; each option's value is `<alert action id>:<alert id>`. */
export const ALERT_MENU_ACTION_ID = 'alert_menu';
export const ALERT_MENU_VALUE = /^(alert_acknowledge|alert_diagnose|alert_open_incident|alert_silence):([1-9][0-9]{0,14})$/;

// Block Kit allows 50 blocks a message: a head, the alerts, a line for the ones not shown and a context.
const MAX_ALERTS_SHOWN = 45;
const LABELS_PER_ALERT = 6;

/**
 * One message for the alerts of one notification group: a head with the counts, one compact line per alert
 * (severity, the labels that tell it from the others, since when, who acknowledged it) with its actions in an
 * overflow menu, firing alerts first. Pure, within Block Kit limits, every value escaped.
 */
export function renderAlertGroup(
  group: Pick<AlertGroup, 'id'>,
  members: readonly AlertRecord[],
  opts: { kind: 'reply' | 'post'; total?: number; context?: string; silence?: boolean },
): AlertMessage {
  const firing = members.filter((a) => a.status === 'firing');
  const names = [...new Set(members.map((a) => a.name))];
  const title =
    names.length === 1 ? escapeAndCut(names[0]!, 200) : `${escapeAndCut(names[0] ?? 'alerts', 150)} and ${names.length - 1} more`;
  const status = firing.length ? `[FIRING:${firing.length}]` : '[RESOLVED]';
  const total = Math.max(opts.total ?? members.length, members.length);
  const counts = `${firing.length} firing, ${members.length - firing.length} resolved${total > members.length ? ` (${total} in all)` : ''}`;
  const icon = firing.length ? ':rotating_light:' : ':white_check_mark:';
  const blocks: KnownBlock[] = [section(cutFormatted(`${icon} *${opts.kind === 'post' ? `${status} ` : ''}${title}* · ${counts}`, 3000))];

  // Labels every alert shares say nothing about which one a line is.
  const shared = new Set(
    Object.entries(members[0]?.labels ?? {})
      .filter(([k, v]) => members.every((a) => a.labels[k] === v))
      .map(([k]) => k),
  );
  for (const a of members.slice(0, MAX_ALERTS_SHOWN)) {
    const labels = Object.entries(a.labels)
      .filter(([k]) => k !== 'alertname' && (!shared.has(k) || members.length === 1))
      .slice(0, LABELS_PER_ALERT)
      .map(([k, v]) => `\`${escapeAndCut(k, 40).replace(/`/g, "'")}=${escapeAndCut(v, 80).replace(/`/g, "'")}\``);
    const state =
      a.status === 'resolved'
        ? `:white_check_mark: resolved ${hhmm(a.resolvedAt ?? a.lastSeenAt)}`
        : a.acknowledgedAt
          ? `:eyes: acknowledged by ${mention(a.acknowledgedBy)}`
          : `:rotating_light: since ${hhmm(a.startsAt)}`;
    const line = `*${a.severity}* ${names.length > 1 ? `${escapeAndCut(a.name, 80)} ` : ''}${labels.join(' ')} · ${state}${a.fireCount > 1 ? ` · fired ${a.fireCount}×` : ''} · #${a.id}`;
    const block = section(cutFormatted(line, 3000));
    const menu = a.status === 'firing' ? overflow(a, opts.silence ?? true) : undefined;
    blocks.push(menu ? { ...block, block_id: `alert:${a.id}`, accessory: menu } : block);
  }
  if (total > MAX_ALERTS_SHOWN) blocks.push(section(`… and ${total - MAX_ALERTS_SHOWN} more alerts in this group, not listed here.`));
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: opts.context ?? `alert group #${group.id} · each alert's actions are in its ⋯ menu` }],
  } satisfies ContextBlock);
  return { text: `${status} ${title}: ${counts}`, blocks };
}

function overflow(a: AlertRecord, silence: boolean): Overflow {
  const options: [string, string][] = [];
  if (!a.acknowledgedAt) options.push(['Acknowledge', ALERT_ACTION_IDS.acknowledge]);
  options.push(['Diagnose', ALERT_ACTION_IDS.diagnose]);
  if (!a.incidentId) options.push(['Open incident', ALERT_ACTION_IDS.openIncident]);
  if (silence) options.push(['Silence 1 h', ALERT_ACTION_IDS.silence]);
  return {
    type: 'overflow',
    action_id: ALERT_MENU_ACTION_ID,
    options: options.map(([text, id]) => ({ text: { type: 'plain_text', text, emoji: true }, value: `${id}:${a.id}` })),
  };
}

function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}
