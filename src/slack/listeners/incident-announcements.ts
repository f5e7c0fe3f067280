import type { KnownBlock } from '@slack/types';
import type { ChatPostMessageArguments, WebClient } from '@slack/web-api';
import type { RunbookContact } from '../../domain/escalation';
import type { IncidentService } from '../../incidents/incident-service';
import { routedChannel, type SeverityChannels } from '../../incidents/severity-routing';
import type { IncidentNotifications } from '../../incidents/templates';
import type { Logger } from '../../logger';
import type { Incident } from '../../domain/incident';
import { renderNotification } from '../blocks/incident-blocks';
import { incidentActionsBlock, routedCopy } from '../blocks/lifecycle-blocks';
import { privateHubSummary } from '../blocks/room-blocks';
import type { IncidentRooms } from '../incident-room';
import type { IncidentVisibility } from '../incident-visibility';
import type { SlackPoster } from '../slack-poster';

export interface IncidentCommandDeps {
  incidents: IncidentService;
  notifications: IncidentNotifications;
  poster: SlackPoster;
  client: WebClient;
  logger: Logger;
  /** CRITICAL_CHANNEL / ALERTS_CHANNEL: P0 and P1 notifications are copied there. */
  severityChannels?: SeverityChannels;
  /** The latest post-mortem draft of the incident, if any (its version): the resolution names it. */
  latestPostmortem?: (incidentId: string) => Promise<{ version: number } | null>;
  /** The emergency contacts of the runbooks of the incident's alerts ("who to call"). */
  contactsOf?: (incidentId: string) => Promise<RunbookContact[]>;
  /** A channel per incident and the hub summary; absent: the incident lives in the thread it was opened in. */
  rooms?: IncidentRooms;
  /** Who may read a private incident's details in `/incident list` and `status`; absent: everyone (no rooms, no privacy). */
  visibility?: IncidentVisibility;
}

export interface IncidentPost {
  text: string;
  blocks?: KnownBlock[];
}

/** The opening notification (from templates/) with the incident's Mitigated / Resolve buttons while it is active. */
export function openingMessage(deps: IncidentCommandDeps, inc: Incident): { text: string; blocks: KnownBlock[] } {
  return renderNotification(deps.notifications.incidentOpened(inc), { extra: [incidentActionsBlock(inc)] });
}

/** Posts in the incident's thread (or its channel when it has no thread yet). */
export async function postInThread(
  deps: IncidentCommandDeps,
  inc: Incident,
  msg: IncidentPost,
  fallbackChannel: string,
  broadcast = false,
): Promise<void> {
  const channel = inc.channelId ?? fallbackChannel;
  const inThread = inc.threadTs && inc.channelId ? { thread_ts: inc.threadTs, ...(broadcast ? { reply_broadcast: true } : {}) } : {};
  await deps.poster.post({
    channel,
    ...inThread,
    text: msg.text,
    ...(msg.blocks ? { blocks: msg.blocks } : {}),
    unfurl_links: false,
  } as ChatPostMessageArguments);
}

/**
 * Copies a notification to the channel of the incident's tier (P0 → CRITICAL_CHANNEL, P1 → ALERTS_CHANNEL) with a
 * link to its thread. A private incident's copy is its redacted line (id, severity, status): that channel is read by
 * people outside it. A failure is logged: the incident's own thread already has the message.
 */
export async function copyToSeverityChannel(
  deps: IncidentCommandDeps,
  inc: Incident,
  msg: IncidentPost,
  log: Logger = deps.logger,
): Promise<void> {
  const channel = routedChannel(inc, deps.severityChannels ?? {});
  if (!channel) return;
  try {
    let link: string | undefined;
    if (inc.channelId && inc.threadTs) {
      const r = await deps.client.chat.getPermalink({ channel: inc.channelId, message_ts: inc.threadTs }).catch(() => undefined);
      link = typeof r?.permalink === 'string' && /^https?:\/\//.test(r.permalink) ? r.permalink : undefined;
    }
    const isPrivate = (await deps.rooms?.privacyOf(inc))?.privacy === 'private';
    const copy = routedCopy(isPrivate ? privateHubSummary(inc) : msg, link);
    await deps.poster.post({ channel, text: copy.text, blocks: copy.blocks, unfurl_links: false });
  } catch (err) {
    log.warn(
      { err: { message: (err as Error).message }, incidentId: inc.id, channel },
      'could not copy the notification to the severity channel',
    );
  }
}

/** Posts in the incident's thread and copies it to its tier's channel. */
export async function announce(
  deps: IncidentCommandDeps,
  inc: Incident,
  msg: IncidentPost,
  fallbackChannel: string,
  opts: { broadcast?: boolean; log?: Logger } = {},
): Promise<void> {
  await postInThread(deps, inc, msg, fallbackChannel, opts.broadcast ?? false);
  await copyToSeverityChannel(deps, inc, msg, opts.log);
}

/** Keeps the opening notification, the room's topic and the hub summary current; a failure is only logged. */
export async function refreshOpeningNotification(deps: IncidentCommandDeps, inc: Incident, log: Logger): Promise<void> {
  await deps.rooms
    ?.refresh(inc)
    .catch((err: Error) => log.warn({ err: { message: err.message }, incidentId: inc.id }, 'could not refresh the incident room'));
  if (!inc.channelId || !inc.threadTs) return;
  const { text, blocks } = openingMessage(deps, inc);
  await deps.poster.update({ channel: inc.channelId, ts: inc.threadTs, text, blocks }).catch((err: Error) => {
    log.warn({ err: { message: err.message }, incidentId: inc.id }, 'could not update the incident notification');
  });
}
