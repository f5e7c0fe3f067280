import type { ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { StormSummary } from '../../alerts/alert-storm';
import { formatDuration } from '../../incidents/templates';
import { hhmm, type AlertMessage } from './alert-blocks';
import { cutFormatted, escapeAndCut } from './mrkdwn';

const ROWS_SHOWN = 40;
const SEVERITY_NAMES = { P0: 'critical', P1: 'high', P2: 'medium', P3: 'low' } as const;

/**
 * The one message a channel gets during an alert storm: how many new alerts, counted by alert name and severity
 * with the most recent first, and where the full list is (its thread). Once the storm is over it says so.
 */
export function renderStormSummary(s: StormSummary): AlertMessage {
  const over = s.endedAt !== undefined;
  const head = over
    ? `:white_check_mark: *Alert storm over* at ${hhmm(s.endedAt!)}: ${s.total} new alerts in ${formatDuration((s.endedAt!.getTime() - s.startedAt.getTime()) / 60_000)}. New alerts get their own message again.`
    : `:cyclone: *Alert storm in this channel* since ${hhmm(s.startedAt)}: ${s.total} new alerts. They are summarised here and listed in this message's thread, each with its actions.`;
  const rows = s.rows
    .slice(0, ROWS_SHOWN)
    .map((r) => `• *${escapeAndCut(r.name, 120)}* · ${r.severity} (${SEVERITY_NAMES[r.severity]}) · ×${r.count} · last ${hhmm(r.lastAt)}`);
  const more = s.rows.length > ROWS_SHOWN ? `\n… and ${s.rows.length - ROWS_SHOWN} more alert names (in the thread)` : '';
  const blocks: KnownBlock[] = [section(cutFormatted(head, 3000))];
  if (rows.length) blocks.push(section(cutFormatted(rows.join('\n') + more, 3000)));
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `counts by alert name and severity, most recent first · full list in the thread` }],
  } satisfies ContextBlock);
  const text = over ? `Alert storm over: ${s.total} new alerts` : `Alert storm: ${s.total} new alerts since ${hhmm(s.startedAt)}`;
  return { text, blocks };
}

function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}
