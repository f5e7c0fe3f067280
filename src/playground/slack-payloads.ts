import { randomBytes } from 'node:crypto';
import { eventCallbackBody, newTriggerId, SLACK_DEFAULTS } from '../emulator/slack-signing';
import type { EmulatedMessage } from '../emulator/slack-emulator';

/**
 * The payloads Slack would send for what a person does in the playground's channel, shaped like the captured ones in
 * test/fixtures/slack/ (block-actions.json, view-submission.json, event-alertmanager-bot-message.json).
 */

export interface PlaygroundUser {
  id: string;
  name: string;
  real_name: string;
}

export interface Channel {
  id: string;
  name: string;
}

const team = { id: SLACK_DEFAULTS.teamId, domain: SLACK_DEFAULTS.teamDomain };

function userOf(u: PlaygroundUser) {
  return { id: u.id, username: u.name, name: u.name, team_id: SLACK_DEFAULTS.teamId };
}

export function newEventId(): string {
  return `Ev${randomBytes(6).toString('hex').toUpperCase()}`;
}

/** The `message` event for a message already stored in the channel (a person's, or another app's bot_message). */
export function messageEvent(m: EmulatedMessage): { event_id: string; event: Record<string, unknown> } {
  const event: Record<string, unknown> = {
    type: 'message',
    ...(m.subtype ? { subtype: m.subtype } : {}),
    text: m.text,
    ...(m.user ? { user: m.user } : {}),
    ...(m.username ? { username: m.username } : {}),
    ...(m.bot_id ? { bot_id: m.bot_id } : {}),
    ...(m.attachments ? { attachments: m.attachments } : {}),
    ...(m.blocks ? { blocks: m.blocks } : {}),
    ts: m.ts,
    ...(m.thread_ts && m.thread_ts !== m.ts ? { thread_ts: m.thread_ts, parent_user_id: m.parent_user_id } : {}),
    channel: m.channel,
    event_ts: m.ts,
    channel_type: 'channel',
    ...(m.user ? { team: SLACK_DEFAULTS.teamId } : {}),
  };
  return { event_id: newEventId(), event };
}

export function messageEventBody(m: EmulatedMessage): Record<string, unknown> {
  return eventCallbackBody(messageEvent(m));
}

export interface ClickedButton {
  actionId: string;
  blockId?: string;
  value?: string;
  text?: string;
  style?: string;
  /** For selects: the chosen option. */
  selectedOption?: { text: { type: 'plain_text'; text: string }; value: string };
  type?: string;
}

/** A `block_actions` payload for a click on a message's button (ephemeral messages carry no `message`). */
export function blockActionsPayload(args: {
  user: PlaygroundUser;
  channel: Channel;
  message: EmulatedMessage;
  ephemeral: boolean;
  action: ClickedButton;
  responseUrl: string;
  triggerId?: string;
  nowMs: number;
}): Record<string, unknown> {
  const { message: m, action } = args;
  const threadTs = m.thread_ts && m.thread_ts !== m.ts ? m.thread_ts : undefined;
  const actionTs = (args.nowMs / 1000).toFixed(6);
  const { replies: _replies, ...message } = m;
  return {
    type: 'block_actions',
    user: userOf(args.user),
    api_app_id: SLACK_DEFAULTS.apiAppId,
    token: SLACK_DEFAULTS.verificationToken,
    container: {
      type: 'message',
      message_ts: m.ts,
      channel_id: args.channel.id,
      is_ephemeral: args.ephemeral,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    },
    trigger_id: args.triggerId ?? newTriggerId(),
    team,
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: args.channel.id, name: args.channel.name },
    ...(args.ephemeral ? {} : { message }),
    state: { values: {} },
    response_url: args.responseUrl,
    actions: [
      {
        type: action.type ?? 'button',
        action_id: action.actionId,
        block_id: action.blockId ?? '',
        ...(action.text !== undefined ? { text: { type: 'plain_text', text: action.text, emoji: true } } : {}),
        ...(action.value !== undefined ? { value: action.value } : {}),
        ...(action.style ? { style: action.style } : {}),
        ...(action.selectedOption ? { selected_option: action.selectedOption } : {}),
        action_ts: actionTs,
      },
    ],
  };
}

/** A `view_submission` payload: the view as the bot opened it, with the values typed into it. */
export function viewSubmissionPayload(args: {
  user: PlaygroundUser;
  view: Record<string, unknown>;
  values: Record<string, Record<string, unknown>>;
  triggerId?: string;
}): Record<string, unknown> {
  return {
    type: 'view_submission',
    team,
    user: userOf(args.user),
    api_app_id: SLACK_DEFAULTS.apiAppId,
    token: SLACK_DEFAULTS.verificationToken,
    trigger_id: args.triggerId ?? newTriggerId(),
    view: { ...args.view, state: { values: args.values } },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** A `view_closed` payload (sent only for views opened with `notify_on_close`). */
export function viewClosedPayload(args: { user: PlaygroundUser; view: Record<string, unknown> }): Record<string, unknown> {
  return {
    type: 'view_closed',
    team,
    user: userOf(args.user),
    api_app_id: SLACK_DEFAULTS.apiAppId,
    token: SLACK_DEFAULTS.verificationToken,
    view: args.view,
    is_cleared: false,
    is_enterprise_install: false,
    enterprise: null,
  };
}
