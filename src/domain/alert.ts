import type { AlertEvent, LabelsOrigin } from './alert-event';
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
  labelsFrom: LabelsOrigin;
  /** The notification group whose one message lists this alert; null when the alert has a message of its own. */
  groupId: number | null;
}

/** The alerts of one notification (an Alertmanager group in one channel), shown in one message. */
export interface AlertGroup {
  id: number;
  channelId: string;
  groupKey: string;
  /** The sender's post the message replies to; null when the bot posts the group itself (webhook). */
  threadTs: string | null;
  messageTs: string | null;
  messageClaimedBy: string | null;
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
  /** Where the bot will post the alert itself (webhook alerts), stored on the first firing only. */
  channelId?: string;
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
  /** The alerts of one delivery in one transaction, batched (same outcomes as `record` one by one, in order). */
  recordMany(items: readonly { event: AlertEvent; opts: RecordOptions }[]): Promise<RecordOutcome[]>;
  /** Conditional: only a firing, unacknowledged alert is acknowledged. */
  acknowledge(id: number, by: string, at: Date): Promise<AckOutcome>;
  /** Resolves by id (manual resolve); null when it was not firing. */
  resolve(id: number, at: Date): Promise<AlertRecord | null>;
  get(id: number, tx?: Queryable): Promise<AlertRecord | null>;
  findActiveByFingerprint(fingerprint: string): Promise<AlertRecord | null>;
  /** Firing alerts with this name, newest first. */
  listActiveByName(name: string, limit: number): Promise<AlertRecord[]>;
  findByMessage(channelId: string, ts: string): Promise<AlertRecord | null>;
  /**
   * True for exactly one claimant per alert (again for the same claimant, which may retry); a claim nobody
   * completed with `setReplyTs` may be retaken after `staleMs`, or at once when its claimant stopped heartbeating.
   */
  claimReply(id: number, claimant: string, now: Date, staleMs: number): Promise<boolean>;
  setReplyTs(id: number, ts: string): Promise<void>;
  /**
   * The claimant could not post (Slack stayed down past its retries): the claim turns stale at once, so the repair
   * sweep retries it without waiting out `staleMs`. The claimant stays named: whoever posts next looks first for a
   * message that may have landed unannounced.
   */
  giveUpReplyClaim(id: number, claimant: string): Promise<void>;
  /** Firing alerts whose reply (or own post) was claimed but never completed, the claim stale or its claimant gone. */
  listStaleReplyClaims(now: Date, staleMs: number, limit: number): Promise<AlertRecord[]>;
  setPost(id: number, channelId: string, ts: string): Promise<void>;
  /** With `onlyIfUnlinked`, null when the alert is already part of an incident (two replicas opening one from it). */
  linkIncident(id: number, incidentId: string, tx?: Queryable, opts?: { onlyIfUnlinked?: boolean }): Promise<AlertRecord | null>;
  setEscalationLevel(id: number, level: number, tx?: Queryable): Promise<void>;
  listActive(limit?: number): Promise<AlertRecord[]>;
  /** The names of the alerts linked to an incident. */
  namesByIncident(incidentId: string): Promise<string[]>;
  /** The open group of this key in the channel (one with a firing alert, or none yet), or null. */
  findOpenGroup(channelId: string, groupKey: string): Promise<AlertGroup | null>;
  /** The open group of this key in the channel, created when there is none (a group whose alerts all resolved is closed first). */
  openGroup(channelId: string, groupKey: string, threadTs: string | null): Promise<AlertGroup>;
  getGroup(id: number): Promise<AlertGroup | null>;
  /** Puts the alerts in the group; those that already have a message keep it, and show in the group's too. */
  joinGroup(groupId: number, alertIds: readonly number[]): Promise<void>;
  /** The group's alerts: firing first, then by id. */
  groupMembers(groupId: number, limit: number): Promise<AlertRecord[]>;
  /** True for exactly one claimant of the group's message (again for the same one); a stale claim may be retaken. */
  claimGroupMessage(groupId: number, claimant: string, now: Date, staleMs: number): Promise<boolean>;
  /** As `giveUpReplyClaim`, for a group's message. */
  giveUpGroupClaim(groupId: number, claimant: string): Promise<void>;
  /** Records the group's message, and makes it the reply of members that have none (so none is posted twice). */
  setGroupMessage(groupId: number, ts: string): Promise<void>;
  /** Open groups whose message was claimed but never posted, the claim stale or its claimant gone. */
  listStaleGroupClaims(now: Date, staleMs: number, limit: number): Promise<AlertGroup[]>;
  /** Forgets delivery keys older than the cutoff (Slack and Alertmanager stop re-sending long before). */
  pruneDeliveries(before: Date): Promise<number>;
}
