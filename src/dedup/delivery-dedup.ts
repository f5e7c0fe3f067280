import type { Coordination } from '../coordination/coordination';
import type { Logger } from '../logger';
import type { ProcessedEventStore } from '../store/processed-event-store';

export interface DeliveryDedup {
  /**
   * True exactly once per delivery id across retries and replicas. `databaseOnly` skips the
   * Redis fast path: for replaying a delivery whose fast-path claim this replica already took.
   */
  isFirstDelivery(deliveryId: string, source: string, opts?: { databaseOnly?: boolean }): Promise<boolean>;
}

const CLAIM_TTL_MS = 2 * 60 * 60_000;

/**
 * Redis answers the common duplicate cheaply; the processed_events primary key is the
 * real guard, so a Redis outage (or restart) costs speed, never correctness.
 */
export function createDeliveryDedup(deps: { coordination: Coordination; store: ProcessedEventStore; logger: Logger }): DeliveryDedup {
  return {
    isFirstDelivery: async (deliveryId, source, opts) => {
      if (opts?.databaseOnly) return deps.store.markProcessed(deliveryId, source);
      try {
        const key = `delivery:${source}:${deliveryId}`;
        if (!(await deps.coordination.claim(key, CLAIM_TTL_MS))) return false;
      } catch (err) {
        deps.logger.warn({ err: { message: (err as Error).message } }, 'coordination unavailable; falling back to the database for dedup');
      }
      return deps.store.markProcessed(deliveryId, source);
    },
  };
}
