import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { IncidentService } from '../../incidents/incident-service';
import type { Logger } from '../../logger';
import type { Incident } from '../../domain/incident';
import { escapeMrkdwn } from '../blocks/mrkdwn';
import { onEvent, onMessageShortcut } from '../keyed-router';

export const TIMELINE_SHORTCUT_CALLBACK_ID = 'timeline_add';
const PIN_REACTION = 'pushpin';
const CONFIRM_REACTION = 'white_check_mark';
const MAX_TEXT = 2000;
const TS = /^\d{1,12}\.\d{1,8}$/;

export interface TimelineCaptureDeps {
  incidents: IncidentService;
  client: WebClient;
  logger: Logger;
}

interface FoundMessage {
  text: string;
  user?: string;
  /** The thread the message is in (its own ts for a parent). */
  threadTs: string;
}

/**
 * 📌 on a message in an incident thread, or the "Add to timeline" message shortcut, puts the message on the
 * incident's timeline; the bot confirms with ✅ on the message (reaction) or ephemerally (shortcut).
 */
export function registerTimelineCapture(app: App, deps: TimelineCaptureDeps): void {
  onEvent(app, 'reaction_added', async ({ event, context }) => {
    const log = (context.log as Logger | undefined) ?? deps.logger;
    if (event.reaction !== PIN_REACTION || event.item.type !== 'message') return;
    const { channel, ts } = event.item;
    if (!TS.test(ts)) return;
    const message = await fetchMessage(deps.client, channel, ts);
    if (!message) return;
    const incident = await deps.incidents.findByThread(channel, message.threadTs);
    if (!incident || incident.status === 'resolved') return;
    await pin(deps, incident, { channel, ts, text: message.text, author: message.user, actor: event.user });
    await deps.client.reactions.add({ channel, timestamp: ts, name: CONFIRM_REACTION }).catch((err: { data?: { error?: string } }) => {
      if (err.data?.error !== 'already_reacted') log.warn({ slackError: err.data?.error }, 'could not confirm the pinned message');
    });
  });

  onMessageShortcut(app, TIMELINE_SHORTCUT_CALLBACK_ID, async ({ ack, shortcut, respond, context }) => {
    await ack();
    const log = (context.log as Logger | undefined) ?? deps.logger;
    const channel = shortcut.channel.id;
    const msg = shortcut.message;
    const threadTs = (msg.thread_ts as string | undefined) ?? msg.ts;
    const tell = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);
    const incident = await deps.incidents.findByThread(channel, threadTs);
    if (!incident) {
      await tell('That message is not in an incident thread: use this on a message in the thread of an incident notification.');
      return;
    }
    let text = typeof msg.text === 'string' ? msg.text : '';
    if (!text) text = (await fetchMessage(deps.client, channel, msg.ts))?.text ?? '';
    try {
      await pin(deps, incident, { channel, ts: msg.ts, text, author: msg.user, actor: shortcut.user.id });
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, 'adding to the timeline failed');
      await tell(`Could not add it to ${escapeMrkdwn(incident.id)}'s timeline: ${escapeMrkdwn((err as Error).message.slice(0, 200))}`);
      return;
    }
    await tell(`:white_check_mark: Added to the timeline of ${escapeMrkdwn(incident.id)}.`);
  });
}

async function pin(
  deps: TimelineCaptureDeps,
  incident: Incident,
  m: { channel: string; ts: string; text: string; author?: string | undefined; actor: string },
): Promise<void> {
  const text = m.text.length > MAX_TEXT ? `${m.text.slice(0, MAX_TEXT - 1)}…` : m.text;
  await deps.incidents.addTimelineEvent(incident.id, {
    kind: 'pinned',
    actor: m.actor,
    text: text || '(message without text)',
    data: { channel: m.channel, ts: m.ts, ...(m.author ? { author: m.author } : {}) },
  });
}

/** The message at `ts` (top-level or a thread reply) with the thread it belongs to. */
async function fetchMessage(client: WebClient, channel: string, ts: string): Promise<FoundMessage | undefined> {
  type Msg = { ts?: string; text?: string; user?: string; thread_ts?: string };
  try {
    // The parent always comes first; the range keeps the rest to the message itself when it is a reply.
    const r = await client.conversations.replies({ channel, ts, oldest: ts, latest: ts, inclusive: true, limit: 2 });
    const messages = (r.messages ?? []) as Msg[];
    const m = messages.find((x) => x.ts === ts);
    if (m) return { text: m.text ?? '', ...(m.user ? { user: m.user } : {}), threadTs: m.thread_ts ?? m.ts ?? ts };
  } catch {
    // not a thread, or no access to it: try the channel history
  }
  const h = await client.conversations.history({ channel, latest: ts, oldest: ts, inclusive: true, limit: 1 }).catch(() => undefined);
  const m = (h?.messages as Msg[] | undefined)?.find((x) => x.ts === ts);
  return m ? { text: m.text ?? '', ...(m.user ? { user: m.user } : {}), threadTs: m.thread_ts ?? ts } : undefined;
}
