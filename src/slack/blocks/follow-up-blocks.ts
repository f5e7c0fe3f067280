import type { KnownBlock } from '@slack/types';
import type { FollowUp } from '../../domain/follow-up';
import type { Incident } from '../../domain/incident';
import { mention } from './alert-blocks';
import { PRIVATE_INCIDENT_HINT, privateIncidentLine } from './incident-blocks';
import { escapeAndCut, escapeMrkdwn } from './mrkdwn';

export const FOLLOW_UP_DONE_ACTION_ID = 'followup_done';
export const FOLLOW_UP_EXPORT_ACTION_ID = 'followup_export';
/** Follow-up buttons carry only the follow-up's id. */
export const FOLLOW_UP_BUTTON_VALUE = /^\d{1,15}$/;

const MAX_LISTED = 20;
const day = (d: Date) => d.toISOString().slice(0, 10);

export function followUpLine(f: FollowUp, now: Date): string {
  const overdue = f.status === 'open' && f.dueAt < now ? ' :warning: *overdue*' : '';
  const owner = f.owner ? mention(f.owner) : '_no owner_';
  const issue = f.externalUrl ? ` · <${f.externalUrl}|issue>` : '';
  const status = f.status === 'done' ? ' · done' : '';
  return `*#${f.id}* ${escapeAndCut(f.text, 300)} — ${owner} · due ${day(f.dueAt)}${overdue}${status} · ${escapeMrkdwn(f.incidentId)}${issue}`;
}

/** The follow-ups of a private incident the viewer may not read: counted, never shown. */
export interface WithheldFollowUps {
  incident: Pick<Incident, 'id' | 'severity' | 'status'>;
  count: number;
}

function withheldBlocks(withheld: readonly WithheldFollowUps[]): KnownBlock[] {
  if (withheld.length === 0) return [];
  const lines = withheld
    .slice(0, MAX_LISTED)
    .map((w) => `${privateIncidentLine(w.incident)}: ${w.count} follow-up${w.count === 1 ? '' : 's'} not shown`);
  return [{ type: 'section', text: { type: 'mrkdwn', text: `${lines.join('\n')}\n_${PRIVATE_INCIDENT_HINT}_` } }];
}

/**
 * `/incident followups`: one section per follow-up with Done / Export buttons (Export only when GitHub is configured),
 * then a redacted line per private incident whose follow-ups were withheld.
 */
export function followUpList(
  title: string,
  list: readonly FollowUp[],
  now: Date,
  opts: { canExport: boolean; withheld?: readonly WithheldFollowUps[] },
): { text: string; blocks: KnownBlock[] } {
  const withheld = withheldBlocks(opts.withheld ?? []);
  if (list.length === 0)
    return {
      text: `${title}: none open${withheld.length ? ' that you can see' : ''}.`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `${title}: none open${withheld.length ? ' that you can see' : ''}.` } },
        ...withheld,
      ],
    };
  const shown = list.slice(0, MAX_LISTED);
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: `*${title}* (${list.length})` } }];
  for (const f of shown) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: followUpLine(f, now) } });
    if (f.status !== 'open') continue;
    blocks.push({
      type: 'actions',
      block_id: `followup_${f.id}`,
      elements: [
        { type: 'button', text: { type: 'plain_text', text: 'Done' }, action_id: FOLLOW_UP_DONE_ACTION_ID, value: String(f.id) },
        ...(opts.canExport && !f.externalUrl
          ? [
              {
                type: 'button' as const,
                text: { type: 'plain_text' as const, text: 'Export to GitHub' },
                action_id: FOLLOW_UP_EXPORT_ACTION_ID,
                value: String(f.id),
              },
            ]
          : []),
      ],
    });
  }
  if (list.length > shown.length)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${list.length - shown.length} more not shown` }] });
  blocks.push(...withheld);
  return { text: `${title}: ${list.length}`, blocks };
}

export function followUpAddedText(f: FollowUp): string {
  return `:memo: Follow-up *#${f.id}* recorded for ${escapeMrkdwn(f.incidentId)}: ${escapeAndCut(f.text, 300)} — ${f.owner ? mention(f.owner) : '_no owner yet_'}, due ${day(f.dueAt)}.`;
}

export function followUpOverdueText(f: FollowUp): string {
  const who = f.owner ? `${mention(f.owner)}, follow-up` : 'Follow-up (no owner: `/incident followups` to pick it up)';
  return `:alarm_clock: ${who} *#${f.id}* of ${escapeMrkdwn(f.incidentId)} was due ${day(f.dueAt)}: ${escapeAndCut(f.text, 300)}`;
}
