export interface ProcessedEventStore {
  /** Records the delivery; false when it was recorded before (a retry or another replica). */
  markProcessed(eventId: string, source: string): Promise<boolean>;
  /** Forgets deliveries older than the cutoff; Slack stops retrying after about an hour. */
  pruneOlderThan(cutoff: Date): Promise<number>;
}
