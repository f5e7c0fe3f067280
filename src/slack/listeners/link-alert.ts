import type { AlertService } from '../../alerts/alert-service';
import { BotError, forbidden } from '../../errors';
import type { IncidentService } from '../../incidents/incident-service';
import type { AlertRecord } from '../../domain/alert';
import type { Incident } from '../../domain/incident';
import { escapeMrkdwn } from '../blocks/mrkdwn';
import { createChannelReader, type ChannelAccess } from '../channel-access';
import type { CommandInvocation } from './incident-command-dispatch';

export interface LinkAlertDeps {
  incidents: Pick<IncidentService, 'get' | 'listActive' | 'linkAlert'>;
  /** Who can see the alert's channel and the incident's: linking copies the alert's name and thread into the incident. */
  access: Pick<ChannelAccess, 'privacy' | 'isMember'>;
  alerts: Pick<AlertService, 'get' | 'findByMessage'>;
  /** Re-renders the alert's message so it shows the incident it is part of. */
  refreshAlert: (alert: AlertRecord) => Promise<void>;
  /** Posts the confirmation in the incident's thread. */
  postInThread: (channel: string, threadTs: string | undefined, text: string) => Promise<void>;
}

/**
 * `/incident link-alert <alert-id|permalink> [INC-ID]`: attaches an alert opened separately to an incident. Its firing,
 * acknowledgement and resolution join the incident's timeline, and its thread is read for the post-mortem.
 */
export function linkAlertCommandHandler(deps: LinkAlertDeps) {
  return async (
    inv: CommandInvocation<{ name: 'link-alert'; alert: { alertId: number } | { channelId: string; ts: string }; incidentId?: string }>,
  ): Promise<void> => {
    const ref = inv.command.alert;
    const alert = 'alertId' in ref ? await deps.alerts.get(ref.alertId) : await deps.alerts.findByMessage(ref.channelId, ref.ts);
    if (!alert) {
      throw new BotError(
        'NOT_FOUND',
        'alertId' in ref
          ? `There is no alert #${ref.alertId}.`
          : "That link is not to an alert the bot has seen: link the alert's own message (⋮ → Copy link), or give its number.",
      );
    }
    let incidentId = inv.command.incidentId;
    if (!incidentId) {
      const here = (await deps.incidents.listActive()).filter((i) => i.channelId === inv.channelId);
      if (here.length !== 1) {
        throw new BotError(
          'BAD_INPUT',
          here.length
            ? `${here.length} incidents are active in this channel: name one, \`/incident link-alert ${'alertId' in ref ? ref.alertId : '<link>'} INC-…\`.`
            : 'There is no active incident in this channel: name one, `/incident link-alert <alert> INC-…`.',
        );
      }
      incidentId = here[0]!.id;
    }
    await checkMayLink(deps.access, alert, await deps.incidents.get(incidentId), inv);
    const incident = await deps.incidents.linkAlert(incidentId, alert.id, inv.userId);
    const linked = await deps.alerts.get(alert.id);
    if (linked)
      await deps
        .refreshAlert(linked)
        .catch((err: Error) => inv.log.warn({ err: { message: err.message }, alertId: alert.id }, 'could not refresh the linked alert'));
    const text = `:link: <@${inv.userId}> linked alert ${escapeMrkdwn(alert.name)} (#${alert.id}, fired ${alert.startsAt.toISOString().slice(11, 16)} UTC) to ${incident.id}.`;
    await deps.postInThread(incident.channelId ?? inv.channelId, (incident.channelId && incident.threadTs) || undefined, text);
  };
}

/**
 * Linking shows the alert's name in the incident and reads its thread into the post-mortem. So the user must be able
 * to read the alert's channel (public, or a member), and an alert from a private channel never goes into an incident
 * that lives in a public one. Refusals name the alert by number only: its name is what must not leak.
 */
async function checkMayLink(
  access: LinkAlertDeps['access'],
  alert: AlertRecord,
  incident: Incident,
  inv: { channelId: string; userId: string },
): Promise<void> {
  const from = alert.channelId;
  const to = incident.channelId ?? inv.channelId;
  if (!from || from === to) return;
  // Whoever typed the command is in the channel they typed it in; anyone else must be shown to be in the alert's channel.
  const reader = createChannelReader(access, inv);
  const mayRead = await reader.canRead(from);
  if (mayRead === false)
    throw forbidden(
      `Alert #${alert.id} was posted in a private channel you are not in, so you cannot link it. Nothing was linked; ask someone in that channel to link it.`,
    );
  if (mayRead !== true)
    throw forbidden(
      `I could not check that you can see the channel alert #${alert.id} was posted in (I may not be in it, or Slack did not answer). Nothing was linked; ask someone in that channel to link it.`,
    );
  if ((await reader.privacy(from)) === 'public') return;
  const toPrivacy = await reader.privacy(to);
  if (toPrivacy !== 'private')
    throw forbidden(
      `Alert #${alert.id} was posted in a private channel, and ${incident.id} lives in ${toPrivacy === 'public' ? 'a public channel' : 'a channel I could not confirm is private'}: linking would show the alert and its thread to everyone there. Nothing was linked; handle it in an incident opened from that private channel.`,
    );
}
