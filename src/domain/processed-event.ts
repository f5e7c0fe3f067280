export interface ProcessedEventStore {
  /** Records the delivery; false when it was recorded before (a retry or another replica). */
  markProcessed(eventId: string, source: string): Promise<boolean>;
  /**
   * `markProcessed` for many deliveries in one write: true for each id recorded now (the first of the same id twice),
   * false for one recorded before.
   */
  markAllProcessed(eventIds: readonly string[], source: string): Promise<boolean[]>;
  /** Records deliveries another store has already decided on, in one write; ids recorded before stay as they were. */
  recordAll(eventIds: readonly string[], source: string): Promise<void>;
  /** Forgets deliveries older than the cutoff; Slack stops retrying after about an hour. */
  pruneOlderThan(cutoff: Date): Promise<number>;
}
