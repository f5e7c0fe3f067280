import type { ActionsBlock, ContextBlock, KnownBlock, ModalView, SectionBlock } from '@slack/types';
import { isPageTarget, type RunbookContact } from '../../domain/escalation';
import type { EscalationLevel } from '../../incidents/reminders-and-escalations';
import { formatDuration } from '../../incidents/templates';
import type { Incident } from '../../domain/incident';
import { mention } from './alert-blocks';
import { escapeAndCut, escapeMrkdwn } from './mrkdwn';

/** Buttons on an active incident's notification; their value is the incident id, looked up again on click. */
export const INCIDENT_ACTION_IDS = { mitigated: 'incident_mitigated', resolve: 'incident_resolve' } as const;
/** callback_id of the resolve modal. */
export const RESOLVE_INCIDENT_CALLBACK_ID = 'incident_resolve';

const INC_ID = /^INC-\d{14}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,20}$/;
export const ROOT_CAUSE_MAX = 1000;
export const RESOLUTION_MAX = 1000;

/** Mitigated (while open or acknowledged) and Resolve, for the incident's notification; none once resolved. */
export function incidentActionsBlock(inc: Incident): ActionsBlock | undefined {
  if (inc.status === 'resolved') return undefined;
  const elements: ActionsBlock['elements'] = [];
  if (inc.status === 'open' || inc.status === 'acknowledged') {
    elements.push({
      type: 'button',
      text: { type: 'plain_text', text: 'Mitigated' },
      action_id: INCIDENT_ACTION_IDS.mitigated,
      value: inc.id,
    });
  }
  elements.push({
    type: 'button',
    text: { type: 'plain_text', text: 'Resolve' },
    action_id: INCIDENT_ACTION_IDS.resolve,
    value: inc.id,
    style: 'primary',
  });
  return { type: 'actions', block_id: 'incident_lifecycle', elements };
}

export function mitigatedText(inc: Incident, note: string | undefined): string {
  const rest = note ? `: ${escapeAndCut(note, 500)}` : '';
  return `:large_yellow_circle: *${escapeMrkdwn(inc.id)}* mitigated by ${mention(inc.mitigatedBy)}${rest}. Impact has stopped; resolve it once the fix is confirmed.`;
}

export function promotedText(inc: Incident, from: string, now: Date): string {
  const minutes = formatDuration(Math.max(0, (now.getTime() - inc.startedAt.getTime()) / 60_000));
  return `:arrow_double_up: *${escapeMrkdwn(inc.id)}* raised from ${escapeMrkdwn(from)} to *${inc.severity}* (critical): not resolved ${minutes} after it started (runbook: a P1 not resolved in 30 minutes escalates to P0). Status updates are due every 30 minutes.`;
}

/** The escalation page in an incident's thread; mentions only Slack-shaped ids (configuration, never incident text). */
export function incidentEscalationText(inc: Incident, level: EscalationLevel, targets: readonly string[], now: Date): string {
  const who = targets.map(pageMention).join(' ');
  const since = formatDuration(Math.max(0, (now.getTime() - inc.startedAt.getTime()) / 60_000));
  const state = level.level === 1 ? 'unacknowledged' : inc.status === 'acknowledged' ? 'acknowledged but not mitigated' : 'not mitigated';
  return `:rotating_light: *Escalation ${escapeAndCut(level.name, 20)}* ${who}: ${inc.severity} incident *${escapeMrkdwn(inc.id)}* (${escapeAndCut(inc.title, 150)}) is ${state} ${since} after it started. Join the thread.`;
}

function pageMention(id: string): string {
  if (!isPageTarget(id)) return escapeAndCut(id, 40);
  return id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`;
}

/**
 * "Who to call": the runbooks' emergency contacts for the incident, with what each is for. An unset contact says
 * "not configured" with the variable to set; nobody is invented.
 */
export function whoToCallBlock(contacts: readonly RunbookContact[]): SectionBlock | undefined {
  if (contacts.length === 0) return undefined;
  const lines = contacts.slice(0, 20).map((c) => {
    const who = c.ids.length ? c.ids.map(pageMention).join(', ') : `not configured (set ${escapeMrkdwn(c.variable)})`;
    const what = [c.level, c.area, c.when]
      .filter(Boolean)
      .map((x) => escapeAndCut(String(x), 80))
      .join(', ');
    return `• *${escapeAndCut(c.role, 80)}* (${what}): ${who}`;
  });
  return { type: 'section', block_id: 'who_to_call', text: { type: 'mrkdwn', text: `*Who to call*\n${lines.join('\n')}` } };
}

/** The copy posted to the tier's channel (CRITICAL_CHANNEL / ALERTS_CHANNEL), pointing at the incident's thread. */
export function routedCopy(
  message: { text: string; blocks?: KnownBlock[] },
  threadLink: string | undefined,
): { text: string; blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = (message.blocks ?? [{ type: 'section', text: { type: 'mrkdwn', text: message.text } }]).filter(
    (b) => b.type !== 'actions',
  );
  if (threadLink)
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `<${threadLink}|Follow the incident's thread>` }],
    } satisfies ContextBlock);
  return { text: message.text, blocks };
}

export interface ResolveModalInput {
  /** The incident, when it is known; otherwise the modal asks which of `choices`. */
  incidentId?: string;
  choices?: readonly Incident[];
  /** Where to answer (the channel the command or button came from). */
  channelId: string;
  rootCause?: string;
  resolution?: string;
}

/** Root cause and resolution are required: the resolution notification never says "To be determined". */
export function resolveModal(input: ResolveModalInput): ModalView {
  const blocks: KnownBlock[] = [];
  if (input.incidentId) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `Resolve *${escapeMrkdwn(input.incidentId)}*` } });
  } else {
    const options = (input.choices ?? []).slice(0, 100).map((i) => ({
      text: { type: 'plain_text' as const, text: `${i.id} ${i.severity} · ${i.title}`.slice(0, 75) },
      value: i.id,
    }));
    blocks.push({
      type: 'input',
      block_id: 'incident',
      label: { type: 'plain_text', text: 'Which incident?' },
      element: {
        type: 'static_select',
        action_id: 'value',
        placeholder: { type: 'plain_text', text: 'Choose the incident to resolve' },
        options,
      },
    });
  }
  blocks.push(
    {
      type: 'input',
      block_id: 'root_cause',
      label: { type: 'plain_text', text: 'Root cause' },
      element: {
        type: 'plain_text_input',
        action_id: 'value',
        multiline: true,
        max_length: ROOT_CAUSE_MAX,
        ...(input.rootCause ? { initial_value: input.rootCause.slice(0, ROOT_CAUSE_MAX) } : {}),
        placeholder: { type: 'plain_text', text: 'Why it happened, briefly' },
      },
    },
    {
      type: 'input',
      block_id: 'resolution',
      label: { type: 'plain_text', text: 'Resolution' },
      element: {
        type: 'plain_text_input',
        action_id: 'value',
        multiline: true,
        max_length: RESOLUTION_MAX,
        ...(input.resolution ? { initial_value: input.resolution.slice(0, RESOLUTION_MAX) } : {}),
        placeholder: { type: 'plain_text', text: 'What was done to fix it' },
      },
    },
  );
  return {
    type: 'modal',
    callback_id: RESOLVE_INCIDENT_CALLBACK_ID,
    private_metadata: JSON.stringify({ channel_id: input.channelId, ...(input.incidentId ? { incident_id: input.incidentId } : {}) }),
    title: { type: 'plain_text', text: 'Resolve incident' },
    submit: { type: 'plain_text', text: 'Resolve' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

export type ResolveSubmission =
  | { ok: true; incidentId: string; rootCause: string; resolution: string; channelId?: string }
  | { ok: false; errors: Record<string, string> };

/** Reads the resolve modal; field errors come back keyed by block_id. The incident id is checked, never trusted. */
export function parseResolveSubmission(view: {
  state?: { values?: Record<string, Record<string, unknown>> };
  private_metadata?: string;
}): ResolveSubmission {
  const values = view.state?.values ?? {};
  const field = (block: string): Record<string, unknown> | undefined => values[block]?.value as Record<string, unknown> | undefined;
  let meta: { channel_id?: unknown; incident_id?: unknown } = {};
  try {
    meta = JSON.parse(view.private_metadata ?? '{}') as typeof meta;
  } catch {
    meta = {};
  }
  const errors: Record<string, string> = {};
  const picked = (field('incident')?.selected_option as { value?: unknown } | undefined)?.value;
  const incidentId = typeof meta.incident_id === 'string' ? meta.incident_id : typeof picked === 'string' ? picked : '';
  if (!INC_ID.test(incidentId)) errors.incident = 'Choose the incident to resolve.';
  const rootCause = String(field('root_cause')?.value ?? '').trim();
  const resolution = String(field('resolution')?.value ?? '').trim();
  if (!rootCause) errors.root_cause = 'Give the root cause (what made it happen), even if provisional.';
  else if (rootCause.length > ROOT_CAUSE_MAX) errors.root_cause = `Keep the root cause under ${ROOT_CAUSE_MAX} characters.`;
  if (!resolution) errors.resolution = 'Say what was done to fix it.';
  else if (resolution.length > RESOLUTION_MAX) errors.resolution = `Keep the resolution under ${RESOLUTION_MAX} characters.`;
  if (Object.keys(errors).length) return { ok: false, errors };
  const channelId = typeof meta.channel_id === 'string' && CHANNEL_ID.test(meta.channel_id) ? meta.channel_id : undefined;
  return { ok: true, incidentId, rootCause, resolution, ...(channelId ? { channelId } : {}) };
}

/** The ephemeral answer to a bare `/incident resolve`: the active incidents, and that a modal asks which. */
export function chooseIncidentToResolveText(active: readonly Incident[]): string {
  if (active.length === 0) return 'There is no active incident to resolve (`/incident list`).';
  const list = active
    .slice(0, 20)
    .map((i) => `• \`${escapeMrkdwn(i.id)}\` ${i.severity} · ${i.status} · ${escapeAndCut(i.title, 100)}`)
    .join('\n');
  return `Which incident? Choose it in the form that opened, with its root cause and resolution (or run \`/incident resolve INC-… root_cause="…" resolution="…"\`). Active:\n${list}`;
}
