import type { AlertService } from '../alerts/alert-service';
import type { Logger } from '../logger';
import type { AlertMessenger } from './listeners/alert-intake';

/**
 * Edits the card of every firing alert whose response SLA ran out unacknowledged, so it says "SLA missed" instead of
 * a deadline in the past. Each card is edited once per replica (an edit repeated by another replica or after a
 * restart draws the same card). A background job (src/jobs/).
 */
export function createSlaMissedCards(deps: { alerts: AlertService; messenger: AlertMessenger; logger: Logger; now: () => Date }) {
  const shown = new Set<number>();
  return async function markSlaMissed(): Promise<void> {
    try {
      const now = deps.now().getTime();
      const active = await deps.alerts.listActive();
      for (const id of [...shown]) if (!active.some((a) => a.id === id)) shown.delete(id);
      for (const alert of active) {
        if (alert.acknowledgedAt || !alert.replyTs || shown.has(alert.id)) continue;
        if (deps.alerts.slaDeadline(alert).getTime() >= now) continue;
        await deps.messenger.refresh(alert, 'state');
        shown.add(alert.id);
      }
    } catch (err) {
      deps.logger.warn({ err: { message: (err as Error).message } }, 'marking missed SLAs on alert cards failed; next sweep retries');
    }
  };
}
