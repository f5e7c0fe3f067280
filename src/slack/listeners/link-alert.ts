import type { AlertService } from '../../alerts/alert-service';
import { BotError } from '../../errors';
import type { IncidentService } from '../../incidents/incident-service';
import type { AlertRecord } from '../../domain/alert';
import { escapeMrkdwn } from '../blocks/mrkdwn';
import type { CommandInvocation } from './incident-command-dispatch';

export interface LinkAlertDeps {
  incidents: Pick<IncidentService, 'get' | 'listActive' | 'linkAlert'>;
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
