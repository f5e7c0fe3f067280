import type { AlertService } from '../alerts/alert-service';
import type { Logger } from '../logger';
import type { AlertMessenger } from './alert-messenger';

/**
 * Repairs alerts recorded with a reply claim but no reply (the claimant died, or Slack stayed down longer than the
 * poster waits), the bot's own posts of webhook alerts and group messages likewise:
 * a re-fire only refreshes an existing reply, so without this sweep such an alert would stay silent. The
 * reply is idempotent (looked up by its key before posting), so a claimant that did post is never doubled.
 * A background job (src/jobs/).
 */
export async function repairStaleReplies(deps: { alerts: AlertService; messenger: AlertMessenger; logger: Logger }): Promise<void> {
  try {
    for (const alert of await deps.alerts.listStaleReplyClaims()) {
      if (!alert.messageTs) {
        // A webhook alert whose own post never went out (Slack down longer than the poster waits).
        if (await deps.messenger.postOnce(alert, alert.channelId!))
          deps.logger.info({ alertId: alert.id, channel: alert.channelId }, 'alert post repaired after a stale claim');
        continue;
      }
      const where = { channel: alert.channelId!, threadTs: alert.messageTs };
      if (await deps.messenger.replyOnce(alert, where))
        deps.logger.info({ alertId: alert.id, ...where }, 'alert reply repaired after a stale claim');
    }
    for (const group of await deps.alerts.listStaleGroupClaims()) {
      if (await deps.messenger.publishGroup(group))
        deps.logger.info({ groupId: group.id, channel: group.channelId }, 'alert group message repaired after a stale claim');
    }
  } catch (err) {
    deps.logger.warn({ err: { message: (err as Error).message } }, 'stale reply repair failed; next sweep retries');
  }
}
