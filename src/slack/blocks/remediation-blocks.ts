import type { KnownBlock } from '@slack/types';
import type { RemediationRequest } from '../../domain/remediation-request';
import { cutFormatted, escapeAndCut, escapeMrkdwn } from './mrkdwn';

export const APPROVE_ACTION_ID = 'remediation_approve';
export const DENY_ACTION_ID = 'remediation_deny';

const RISK: Record<RemediationRequest['risk'], string> = {
  low: ':large_green_circle: low',
  medium: ':large_orange_circle: medium',
  high: ':red_circle: high',
};

/** Slack renders `<@U…>` for ids we recorded ourselves; anything else is escaped text. */
function user(id: string | null): string {
  return id && /^[UW][A-Z0-9]{2,20}$/.test(id) ? `<@${id}>` : escapeMrkdwn(id ?? 'someone');
}

/** plain_text is never parsed for mentions or links: escaping it would show `&gt;` to people. */
function plainCut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function hhmm(d: Date | null): string {
  return d ? `${d.toISOString().slice(11, 16)} UTC` : '—';
}

function previewSection(r: RemediationRequest): KnownBlock {
  const items = r.preview.items.slice(0, 20).map((i) => `• ${escapeAndCut(i, 300)}`);
  const more = r.preview.items.length > 20 ? `\n… and ${r.preview.items.length - 20} more` : '';
  return {
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: cutFormatted(`*Preview (what will happen):* ${escapeMrkdwn(r.preview.summary)}\n${items.join('\n')}${more}`, 3000),
    },
  };
}

/** The approval message: who asks for what, on which target, at what risk, until when; Approve and Deny. */
export function renderApprovalRequest(r: RemediationRequest): { text: string; blocks: KnownBlock[] } {
  const target = r.targetName ? ` on \`${escapeMrkdwn(r.targetName)}\`` : '';
  const head = `${user(r.requestedBy)} asks to run *${escapeMrkdwn(r.title)}* (\`${escapeMrkdwn(r.action)}\`)${target}`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: plainCut(`Approval needed: ${r.title}`, 150) } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: cutFormatted(
          `${head}\n*Risk:* ${RISK[r.risk]} · *Expires:* ${hhmm(r.expiresAt)}${r.incidentId ? ` · *Incident:* ${escapeMrkdwn(r.incidentId)}` : ''}`,
          3000,
        ),
      },
    },
    previewSection(r),
    {
      type: 'actions',
      block_id: 'remediation_decision',
      elements: [
        { type: 'button', text: { type: 'plain_text', text: 'Approve' }, style: 'primary', action_id: APPROVE_ACTION_ID, value: r.id },
        { type: 'button', text: { type: 'plain_text', text: 'Deny' }, style: 'danger', action_id: DENY_ACTION_ID, value: r.id },
      ],
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: r.risk === 'low' ? 'Low risk: any other person may approve.' : 'Two-person rule: the requester cannot approve this.',
        },
      ],
    },
  ];
  return { text: `Approval needed: ${escapeMrkdwn(r.title)} requested by ${user(r.requestedBy)}`, blocks };
}

/** The same message once decided: buttons replaced by who decided, when, and how it went. */
export function renderApprovalOutcome(r: RemediationRequest): { text: string; blocks: KnownBlock[] } {
  const line = outcomeLine(r);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: plainCut(`Remediation: ${r.title}`, 150) } },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: cutFormatted(`Requested by ${user(r.requestedBy)} · risk ${RISK[r.risk]}\n${line}`, 3000) },
    },
    previewSection(r),
  ];
  if (r.result) {
    const items = r.result.items
      .slice(0, 20)
      .map((i) => `• ${escapeAndCut(i, 300)}`)
      .join('\n');
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: cutFormatted(`*Result:* ${escapeMrkdwn(r.result.summary)}${items ? `\n${items}` : ''}`, 3000) },
    });
  }
  if (r.verification) {
    const icon =
      r.verification.status === 'passed' ? ':white_check_mark:' : r.verification.status === 'failed' ? ':x:' : ':heavy_minus_sign:';
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: escapeAndCut(`${icon} Verification ${r.verification.status}: ${r.verification.summary}`, 2000) }],
    });
  }
  return { text: `Remediation ${escapeMrkdwn(r.title)}: ${r.state}`, blocks };
}

function outcomeLine(r: RemediationRequest): string {
  switch (r.state) {
    case 'succeeded':
      return `:white_check_mark: Approved by ${user(r.approvedBy)}, ran ${hhmm(r.startedAt)}, *succeeded*`;
    case 'failed':
      return `:x: Approved by ${user(r.approvedBy)}, ran ${hhmm(r.startedAt)}, *failed*${r.error ? `: ${escapeAndCut(r.error, 500)}` : ''}`;
    case 'running':
    case 'approved':
      return `:hourglass_flowing_sand: Approved by ${user(r.approvedBy)} at ${hhmm(r.approvedAt)}, running…`;
    case 'denied':
      return `:no_entry: Denied by ${user(r.deniedBy)} at ${hhmm(r.deniedAt)}${r.denyReason ? `: ${escapeAndCut(r.denyReason, 500)}` : ''}`;
    case 'expired':
      return `:alarm_clock: Expired at ${hhmm(r.expiresAt)} without an approval; nothing ran`;
    case 'interrupted':
      return `:warning: *Interrupted*: the bot stopped while this was running (started ${hhmm(r.startedAt)}). It will not be re-run by itself: check the target, then request it again if needed`;
    default:
      return `State: ${escapeMrkdwn(r.state)}`;
  }
}
