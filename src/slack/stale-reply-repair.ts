import type { AlertService } from '../alerts/alert-service';
import type { Logger } from '../logger';
import type { AlertMessenger } from './listeners/alert-intake';

/**
 * Repairs alerts recorded with a reply claim but no reply (the claimant died, or its delivery was given up):
 * a re-fire only refreshes an existing reply, so without this sweep such an alert would stay silent. The
 * reply is idempotent (looked up by its key before posting), so a claimant that did post is never doubled.
 * A background job (src/jobs/).
 */
export async function repairStaleReplies(deps: { alerts: AlertService; messenger: AlertMessenger; logger: Logger }): Promise<void> {
  try {
    for (const alert of await deps.alerts.listStaleReplyClaims()) {
      const where = { channel: alert.channelId!, threadTs: alert.messageTs! };
      if (await deps.messenger.replyOnce(alert, where)) deps.logger.info({ alertId: alert.id, ...where }, 'alert reply repaired after a stale claim');
    }
  } catch (err) {
    deps.logger.warn({ err: { message: (err as Error).message } }, 'stale reply repair failed; next sweep retries');
  }
}
