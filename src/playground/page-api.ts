import { randomBytes } from 'node:crypto';
import type { EmulatedMessage } from '../emulator/slack-emulator';
import { sendInteraction, sendSigned, sendSlashCommand, SLACK_DEFAULTS, type SignedResponse } from '../emulator/slack-signing';
import type { PageSession } from './page-session';
import { alertmanagerPost } from './seed-alerts';
import {
  blockActionsPayload,
  messageEventBody,
  viewClosedPayload,
  viewSubmissionPayload,
  type Channel,
  type ClickedButton,
  type PlaygroundUser,
} from './slack-payloads';
import { PLAYGROUND_CHANNEL } from './workspace';

type Body = Record<string, unknown>;

/**
 * What people do on the page, sent to the bot the way Slack would: a signed slash command, a signed `message` event,
 * a signed `block_actions` or `view_submission` payload.
 */
export function pageApi(s: PageSession): Record<string, (body: Body) => Promise<unknown>> {
  return {
    compose: (body) => compose(s, body),
    alert: (body) => postAlert(s, body),
    action: (body) => clickAction(s, body),
    submit: (body) => submitView(s, body),
    close: (body) => closeView(s, body),
  };
}

/** The composer: `/incident …` becomes a slash command, anything else a message (in a thread with threadTs). */
async function compose(s: PageSession, body: Body): Promise<unknown> {
  const user = s.userById(body.user);
  const channel = s.channelOf(body.channel);
  if (!channel) return { ok: false, error: 'unknown_channel' };
  const text = String(body.text ?? '').trim();
  const threadTs = typeof body.threadTs === 'string' && body.threadTs !== '' ? body.threadTs : undefined;
  if (text === '') return { ok: false, error: 'empty' };
  const command = /^(\/[a-z0-9_-]+)(?:\s+([\s\S]*))?$/i.exec(text);
  if (command) return slashCommand(s, { user, channel, threadTs, name: command[1]!.toLowerCase(), text: command[2] ?? '' });
  // Slack's clients escape &, < and > in what people type; only the app's own markup uses them.
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const message = s.slack.postAs(channel.id, {
    text: escaped,
    user: user.id,
    team: SLACK_DEFAULTS.teamId,
    ...(threadTs ? { thread_ts: threadTs } : {}),
  });
  const res = await postMessageEvent(s, message);
  return { ok: res.status === 200, ts: message.ts };
}

async function slashCommand(
  s: PageSession,
  c: { user: PlaygroundUser; channel: Channel; threadTs: string | undefined; name: string; text: string },
): Promise<unknown> {
  const { user, channel, threadTs } = c;
  if (c.name !== '/incident') {
    await fetch(s.slack.responseUrl({ channel: channel.id, userId: user.id }), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: `${c.name} is not a valid command. In the playground, the bot answers /incident.` }),
    });
    return { ok: false, error: 'unknown_command' };
  }
  const responseUrl = s.slack.responseUrl({ channel: channel.id, userId: user.id, ...(threadTs ? { threadTs } : {}) });
  const res = await sendSlashCommand(
    s.eventsUrl,
    { signingSecret: s.signingSecret },
    {
      text: c.text,
      channel_id: channel.id,
      channel_name: channel.name,
      user_id: user.id,
      user_name: user.name,
      response_url: responseUrl,
      trigger_id: s.newTrigger(user.id),
    },
  );
  await deliverAckBody(res, responseUrl);
  return { ok: res.status === 200, status: res.status };
}

/** The alert menu: the post Alertmanager would make, then the `bot_message` event Slack would deliver. */
async function postAlert(s: PageSession, body: Body): Promise<unknown> {
  const alert = s.alerts.find((a) => a.name === body.name);
  if (!alert) return { ok: false, error: 'unknown_alert' };
  const message = s.slack.postAs(PLAYGROUND_CHANNEL.id, alertmanagerPost(alert));
  const res = await postMessageEvent(s, message);
  return { ok: res.status === 200, ts: message.ts };
}

/** A click on a button (or a choice in a select) of a message. */
async function clickAction(s: PageSession, body: Body): Promise<unknown> {
  const user = s.userById(body.user);
  const channel = s.channelOf(body.channel);
  if (!channel) return { ok: false, error: 'unknown_channel' };
  const found = s.findMessage(channel.id, String(body.messageTs));
  if (!found) return { ok: false, error: 'message_not_found' };
  const responseUrl = s.slack.responseUrl({
    channel: channel.id,
    messageTs: found.message.ts,
    userId: user.id,
    ...(found.message.thread_ts ? { threadTs: found.message.thread_ts } : {}),
  });
  const payload = blockActionsPayload({
    user,
    channel,
    message: found.message,
    ephemeral: found.ephemeral,
    action: body.action as ClickedButton,
    responseUrl,
    triggerId: s.newTrigger(user.id),
    nowMs: Date.now(),
  });
  const res = await sendInteraction(s.eventsUrl, { signingSecret: s.signingSecret }, payload);
  await deliverAckBody(res, responseUrl);
  return { ok: res.status === 200, status: res.status };
}

/** The modal's submit button. */
async function submitView(s: PageSession, body: Body): Promise<unknown> {
  const user = s.userById(body.user);
  const viewId = String(body.viewId);
  const view = s.viewById(viewId);
  if (!view) return { ok: false, error: 'view_not_found' };
  const values = (body.values ?? {}) as Record<string, Record<string, unknown>>;
  const res = await sendInteraction(
    s.eventsUrl,
    { signingSecret: s.signingSecret },
    viewSubmissionPayload({ user, view, values, triggerId: s.newTrigger(user.id) }),
  );
  const stack = s.openViews.get(user.id) ?? [];
  const answer = res.json && typeof res.json === 'object' ? (res.json as Body) : {};
  s.viewErrors.delete(viewId);
  if (res.status !== 200) return { ok: false, status: res.status };
  applyViewAnswer(s, { userId: user.id, viewId, view, stack, answer });
  s.broadcast('view');
  return { ok: true, responseAction: answer.response_action ?? null };
}

/** The bot's answer to a submission, as Slack applies it: errors shown, the view updated or pushed, or closed. */
function applyViewAnswer(
  s: PageSession,
  a: { userId: string; viewId: string; view: Record<string, unknown>; stack: string[]; answer: Body },
): void {
  const { userId, viewId, answer } = a;
  switch (answer.response_action) {
    case 'errors':
      s.viewErrors.set(viewId, (answer.errors ?? {}) as Record<string, string>);
      break;
    case 'update': {
      s.localViews.set(viewId, { ...a.view, ...(answer.view as object), id: viewId });
      break;
    }
    case 'push': {
      const id = `VPLAY${randomBytes(4).toString('hex').toUpperCase()}`;
      s.localViews.set(id, { ...(answer.view as object), id });
      s.openViews.set(userId, [...a.stack, id]);
      break;
    }
    case 'clear':
      s.openViews.set(userId, []);
      break;
    default:
      s.openViews.set(
        userId,
        a.stack.filter((id) => id !== viewId),
      );
  }
}

/** The modal's close button (the bot hears about it only when it asked to, with notify_on_close). */
async function closeView(s: PageSession, body: Body): Promise<unknown> {
  const user = s.userById(body.user);
  const viewId = String(body.viewId);
  const view = s.viewById(viewId);
  s.openViews.set(
    user.id,
    (s.openViews.get(user.id) ?? []).filter((id) => id !== viewId),
  );
  if (view?.notify_on_close === true)
    await sendInteraction(s.eventsUrl, { signingSecret: s.signingSecret }, viewClosedPayload({ user, view }));
  s.broadcast('view');
  return { ok: true };
}

/** What the bot answered in the HTTP response itself (`ack({ text })`) goes where Slack would show it. */
async function deliverAckBody(res: SignedResponse, responseUrl: string): Promise<void> {
  if (res.status !== 200 || res.body.trim() === '') return;
  const body = res.json && typeof res.json === 'object' ? (res.json as Body) : { text: res.body };
  if (body.text === undefined && body.blocks === undefined) return;
  await fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function postMessageEvent(s: PageSession, message: EmulatedMessage): Promise<SignedResponse> {
  s.broadcast('message');
  return sendSigned(s.eventsUrl, { signingSecret: s.signingSecret }, JSON.stringify(messageEventBody(message)), 'application/json');
}
