import type { AlertEvent } from './alert-event';
import type { Queryable } from './queryable';
import type { Severity } from './severity';

/** An alert as the bot tracks it: one record per firing episode of a fingerprint. */
export interface AlertRecord {
  id: number;
  fingerprint: string;
  name: string;
  source: string;
  severity: Severity;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorURL: string | null;
  startsAt: Date;
  endsAt: Date | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
  fireCount: number;
  resolvedAt: Date | null;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  channelId: string | null;
  messageTs: string | null;
  replyTs: string | null;
  /** Who last claimed the reply (set before posting it); null when nobody has tried yet. */
  replyClaimedBy?: string | null;
  escalationLevel: number;
  incidentId: string | null;
}

export type RecordOutcome =
  | { kind: 'new'; alert: AlertRecord }
  | { kind: 'refire'; alert: AlertRecord; count: number; since: Date }
  /** The same delivery seen again (a Slack retry, a second replica): nothing changed. */
  | { kind: 'duplicate'; alert: AlertRecord }
  | { kind: 'resolved'; alert: AlertRecord }
  /** A resolved event for an alert that is not active (never seen, or already resolved). */
  | { kind: 'ignored'; reason: string };

export interface RecordOptions {
  severity: Severity;
  now: Date;
  /** Identifies this delivery (Slack `channel:ts`, webhook group+payload hash): a repeat of it is not a re-fire. */
  deliveryKey?: string;
  /** Where the alert was posted, stored on the first firing only. */
  post?: { channelId: string; ts: string };
  /** Runs in the inserting transaction, e.g. to schedule the escalation check atomically. */
  onNew?: (tx: Queryable, alert: AlertRecord) => Promise<void>;
}

export type AckOutcome =
  | { kind: 'acked'; alert: AlertRecord }
  | { kind: 'already'; alert: AlertRecord; by: string; at: Date }
  | { kind: 'resolved'; alert: AlertRecord }
  | { kind: 'not_found' };

export interface AlertStore {
  /** Grouping: insert, count a re-fire, or resolve, atomically per fingerprint. */
  record(event: AlertEvent, opts: RecordOptions): Promise<RecordOutcome>;
  /** Conditional: only a firing, unacknowledged alert is acknowledged. */
  acknowledge(id: number, by: string, at: Date): Promise<AckOutcome>;
  /** Resolves by id (manual resolve); null when it was not firing. */
  resolve(id: number, at: Date): Promise<AlertRecord | null>;
  get(id: number, tx?: Queryable): Promise<AlertRecord | null>;
  findActiveByFingerprint(fingerprint: string): Promise<AlertRecord | null>;
  findByMessage(channelId: string, ts: string): Promise<AlertRecord | null>;
  /**
   * True for exactly one claimant per alert (again for the same claimant, which may retry); a claim nobody
   * completed with `setReplyTs` may be retaken after `staleMs`, or at once when its claimant stopped heartbeating.
   */
  claimReply(id: number, claimant: string, now: Date, staleMs: number): Promise<boolean>;
  setReplyTs(id: number, ts: string): Promise<void>;
  /** Firing alerts read from a channel whose reply was claimed but never completed, the claim stale or its claimant gone. */
  listStaleReplyClaims(now: Date, staleMs: number, limit: number): Promise<AlertRecord[]>;
  setPost(id: number, channelId: string, ts: string): Promise<void>;
  /** With `onlyIfUnlinked`, null when the alert is already part of an incident (two replicas opening one from it). */
  linkIncident(id: number, incidentId: string, tx?: Queryable, opts?: { onlyIfUnlinked?: boolean }): Promise<AlertRecord | null>;
  setEscalationLevel(id: number, level: number, tx?: Queryable): Promise<void>;
  listActive(limit?: number): Promise<AlertRecord[]>;
  /** The names of the alerts linked to an incident. */
  namesByIncident(incidentId: string): Promise<string[]>;
  /** Forgets delivery keys older than the cutoff (Slack and Alertmanager stop re-sending long before). */
  pruneDeliveries(before: Date): Promise<number>;
}
