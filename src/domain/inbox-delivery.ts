export interface InboxDelivery {
  eventId: string;
  /** Deliveries with the same key are processed one at a time, in arrival order (a channel). */
  orderKey: string;
  body: Record<string, unknown>;
}

export interface ClaimedDelivery extends InboxDelivery {
  seq: number;
  /** 1 on the first claim; more after a failure or a takeover from a replica that stopped. */
  attempts: number;
}

export interface InboxStore {
  /** Records a delivery; false when that event id is already in the inbox (a retry or another replica got it). */
  add(delivery: InboxDelivery): Promise<boolean>;
  /** Adds what is not there yet; resolves with how many were new. */
  addMany(deliveries: readonly InboxDelivery[]): Promise<number>;
  /**
   * Leases up to `limit` pending deliveries nobody holds (or whose holder's lease ran out), oldest first,
   * skipping rows another replica is claiming at this moment.
   */
  claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedDelivery[]>;
  /**
   * Records the replica as alive and extends its lease on the rows it is still working on (`eventIds`). A row it
   * claimed but lost track of (an outcome it could not record during an outage) is not renewed: its lease runs out
   * and the row is claimed again.
   */
  heartbeat(owner: string, leaseMs: number, eventIds: readonly string[]): Promise<void>;
  /** Marks rows done, those of `eventIds` this owner still holds (several at once: a busy inbox completes in batches). */
  complete(eventIds: readonly string[], owner: string): Promise<void>;
  /** Hands a row back: another replica (or this one) may take it after `delayMs`. */
  release(eventIds: readonly string[], owner: string, delayMs?: number): Promise<void>;
  /** Gives up on a delivery whose handler keeps failing on something other than an outage. */
  fail(eventId: string, owner: string, reason: string): Promise<void>;
  /** A replica stopping cleanly: its remaining claims are no longer backed by a live process. */
  retire(owner: string): Promise<void>;
  pendingCount(): Promise<number>;
  pruneDoneBefore(cutoff: Date): Promise<number>;
}
