import type { AlertService } from '../alerts/alert-service';
import type { Logger } from '../logger';
import type { AlertMessenger } from './listeners/alert-intake';

/**
 * Repairs alerts recorded with a reply claim but no reply (the claimant died, or its delivery was given up):
 * a re-fire only refreshes an existing reply, so without this sweep such an alert would stay silent. The
 * reply is idempotent (looked up by its key before posting), so a claimant that did post is never doubled.
 */
export function startStaleReplyRepair(deps: { alerts: AlertService; messenger: AlertMessenger; logger: Logger; intervalMs: number }): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const sweep = async () => {
    for (const alert of await deps.alerts.listStaleReplyClaims()) {
      const where = { channel: alert.channelId!, threadTs: alert.messageTs! };
      if (await deps.messenger.replyOnce(alert, where)) deps.logger.info({ alertId: alert.id, ...where }, 'alert reply repaired after a stale claim');
    }
  };
  const timer = setInterval(() => {
    running ??= sweep()
      .catch((err: Error) => deps.logger.warn({ err: { message: err.message } }, 'stale reply repair failed; next sweep retries'))
      .finally(() => (running = undefined));
  }, deps.intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
