import type { Clock } from '../clock';
import { notFound } from '../errors';
import type { Histogram } from 'prom-client';
import { ESCALATION_LEVELS, escalationDueAt } from '../domain/escalation';
import { RESPONSE_SLA_MINUTES, type Severity } from '../domain/severity';
import type { AlertGroup, AlertRecord, AlertStore, RecordOutcome } from '../domain/alert';
import type { Queryable } from '../domain/queryable';
import type { ScheduledJobStore } from '../domain/scheduled-job';
import type { TimelineStore } from '../domain/timeline-event';
import type { AlertEvent } from './alert-event';
import { alertSeverity } from './alert-severity';

export const ESCALATION_JOB = 'alert_escalation';

/** A group message lists at most this many of its alerts (firing first); it says how many more there are. */
export const GROUP_MEMBERS_SHOWN = 200;

/** Payload of an escalation job: check alert `alertId` and, if still unacknowledged, page `level` (1 = L1). */
export interface EscalationJobPayload {
  alertId: number;
  level: number;
}

export type AlertAckResult =
  | {
      kind: 'acked';
      alert: AlertRecord;
      by: string;
      at: Date;
      /** Whole minutes from the alert's start to the ack ("2 min after firing"). */
      minutesAfterFiring: number;
      withinSla: boolean;
      slaMinutes: number;
    }
  | { kind: 'already'; alert: AlertRecord; by: string; at: Date }
  | { kind: 'resolved'; alert: AlertRecord };

export interface RecordAlertOptions {
  /**
   * The catalog's tier for this alert name: authoritative when given. The `severity` label decides only for alerts
   * the catalog does not know (docs/severity.md).
   */
  catalogSeverity?: Severity;
  /** Identifies the delivery so a retry of it is not counted as a re-fire (e.g. `${channel}:${ts}`). */
  deliveryKey?: string;
  /** Where the alert was posted in Slack (alerts read from the channel). */
  post?: { channelId: string; ts: string };
  /** Where the bot will post the alert itself (webhook alerts). */
  channelId?: string;
}

/**
 * Alert intake: grouping by fingerprint, the one-reply claim, acknowledgement and its SLA.
 *
 * @example
 *   const out = await alertService.record(event, { catalogSeverity, deliveryKey: `${channel}:${ts}`, post: { channelId: channel, ts } });
 *   if (out.kind === 'new' && (await alertService.claimReply(out.alert.id, replicaId))) {
 *     const reply = await postThreadReply(...);
 *     await alertService.setReplyTs(out.alert.id, reply.ts);
 *   }
 *   if (out.kind === 'refire') updateMessage(`fired ${out.count}× since ${hhmm(out.since)}`);
 */
export interface AlertService {
  record(event: AlertEvent, opts?: RecordAlertOptions): Promise<RecordOutcome>;
  /** A delivery's alerts in one transaction (outcomes in order, as `record` one by one would give). */
  recordMany(items: readonly { event: AlertEvent; opts?: RecordAlertOptions }[]): Promise<RecordOutcome[]>;
  /** True for exactly one caller per alert (across retries and replicas): that caller posts the thread reply. */
  claimReply(alertId: number, claimant: string): Promise<boolean>;
  setReplyTs(alertId: number, ts: string): Promise<void>;
  /** Slack stayed down past the poster's retries: the repair sweep takes the claim on its next run. */
  giveUpReplyClaim(alertId: number, claimant: string): Promise<void>;
  giveUpGroupClaim(groupId: number, claimant: string): Promise<void>;
  /** Alerts whose reply was claimed and never posted (the claimant died or gave up): for the repair sweep. */
  listStaleReplyClaims(limit?: number): Promise<AlertRecord[]>;
  /** Group messages claimed and never posted: for the same repair sweep. */
  listStaleGroupClaims(limit?: number): Promise<AlertGroup[]>;
  /** For alerts the bot posts itself (webhook route): remember the post to edit it in place later. */
  setPost(alertId: number, channelId: string, ts: string): Promise<void>;
  /** Throws NOT_FOUND when there is no such alert. */
  acknowledge(alertId: number, userId: string): Promise<AlertAckResult>;
  /** Manual resolve; null when it was not firing. */
  resolve(alertId: number): Promise<AlertRecord | null>;
  get(alertId: number): Promise<AlertRecord | null>;
  /** The alert whose post or bot reply is `ts` in `channelId` (for button and thread handlers). */
  findByMessage(channelId: string, ts: string): Promise<AlertRecord | null>;
  listActive(): Promise<AlertRecord[]>;
  /** Firing alerts with this name, newest first (at most 200). */
  listActiveByName(name: string): Promise<AlertRecord[]>;
  /** Notification groups: one message lists the alerts of one Alertmanager notification (see AlertStore). */
  findOpenGroup(channelId: string, groupKey: string): Promise<AlertGroup | null>;
  openGroup(channelId: string, groupKey: string, threadTs: string | null): Promise<AlertGroup>;
  getGroup(id: number): Promise<AlertGroup | null>;
  joinGroup(groupId: number, alertIds: readonly number[]): Promise<void>;
  groupMembers(groupId: number): Promise<AlertRecord[]>;
  claimGroupMessage(groupId: number, claimant: string): Promise<boolean>;
  setGroupMessage(groupId: number, ts: string): Promise<void>;
  /** When the response SLA of the alert's severity runs out. */
  slaDeadline(alert: AlertRecord): Date;
}

export interface AlertServiceDeps {
  alerts: AlertStore;
  clock: Clock;
  /** When given, a new alert schedules its first escalation check (L1, counted from its start) in the same transaction. */
  jobs?: ScheduledJobStore;
  /** The incident metrics' time-to-acknowledge histogram (subject: alert). */
  metrics?: { timeToAcknowledge: Pick<Histogram<'subject' | 'severity'>, 'observe'> };
  /** When given, acknowledging an alert linked to an incident adds an `alert_acknowledged` timeline event. */
  timeline?: TimelineStore;
  /** A claim on the reply that was never completed (the replica died) may be retaken after this long. */
  replyClaimStaleMs?: number;
}

export function createAlertService(deps: AlertServiceDeps): AlertService {
  const { alerts, clock } = deps;
  const staleMs = deps.replyClaimStaleMs ?? 2 * 60_000;
  const slaDeadline = (a: Pick<AlertRecord, 'startsAt' | 'severity'>): Date =>
    new Date(a.startsAt.getTime() + RESPONSE_SLA_MINUTES[a.severity] * 60_000);

  return {
    record: async (event, opts = {}) => {
      const outcome = await alerts.record(event, storeOptions(deps, event, opts));
      if (outcome.kind === 'resolved') await resolvedOnTimeline(deps, outcome.alert);
      return outcome;
    },
    recordMany: async (items) => {
      const outcomes = await alerts.recordMany(items.map(({ event, opts }) => ({ event, opts: storeOptions(deps, event, opts ?? {}) })));
      for (const o of outcomes) if (o.kind === 'resolved') await resolvedOnTimeline(deps, o.alert);
      return outcomes;
    },

    claimReply: (alertId, claimant) => alerts.claimReply(alertId, claimant, clock.now(), staleMs),
    setReplyTs: (alertId, ts) => alerts.setReplyTs(alertId, ts),
    giveUpReplyClaim: (alertId, claimant) => alerts.giveUpReplyClaim(alertId, claimant),
    giveUpGroupClaim: (groupId, claimant) => alerts.giveUpGroupClaim(groupId, claimant),
    listStaleReplyClaims: (limit = 50) => alerts.listStaleReplyClaims(clock.now(), staleMs, limit),
    listStaleGroupClaims: (limit = 50) => alerts.listStaleGroupClaims(clock.now(), staleMs, limit),
    setPost: (alertId, channelId, ts) => alerts.setPost(alertId, channelId, ts),
    acknowledge: (alertId, userId) => acknowledge(deps, alertId, userId),
    resolve: async (alertId) => {
      const resolved = await alerts.resolve(alertId, clock.now());
      if (resolved) await resolvedOnTimeline(deps, resolved);
      return resolved;
    },
    get: (alertId) => alerts.get(alertId),
    findByMessage: (channelId, ts) => alerts.findByMessage(channelId, ts),
    listActive: () => alerts.listActive(),
    listActiveByName: (name) => alerts.listActiveByName(name, 200),
    findOpenGroup: (channelId, groupKey) => alerts.findOpenGroup(channelId, groupKey),
    openGroup: (channelId, groupKey, threadTs) => alerts.openGroup(channelId, groupKey, threadTs),
    getGroup: (id) => alerts.getGroup(id),
    joinGroup: (groupId, ids) => alerts.joinGroup(groupId, ids),
    groupMembers: (groupId) => alerts.groupMembers(groupId, GROUP_MEMBERS_SHOWN),
    claimGroupMessage: (groupId, claimant) => alerts.claimGroupMessage(groupId, claimant, clock.now(), staleMs),
    setGroupMessage: (groupId, ts) => alerts.setGroupMessage(groupId, ts),
    slaDeadline,
  };
}

/** What the store records an alert with; with `jobs`, a new alert's first escalation check goes in the same transaction. */
function storeOptions({ clock, jobs }: AlertServiceDeps, event: AlertEvent, opts: RecordAlertOptions) {
  return {
    severity: opts.catalogSeverity ?? alertSeverity(event.labels),
    now: clock.now(),
    ...(opts.deliveryKey !== undefined ? { deliveryKey: opts.deliveryKey } : {}),
    ...(opts.post ? { post: opts.post } : {}),
    ...(opts.channelId ? { channelId: opts.channelId } : {}),
    ...(jobs
      ? {
          onNew: async (tx: Queryable, alert: AlertRecord) => {
            const first = ESCALATION_LEVELS[0];
            const dueAt = escalationDueAt(alert.startsAt, alert.severity, first);
            if (!dueAt) return;
            const payload: EscalationJobPayload = { alertId: alert.id, level: first.level };
            await jobs.schedule({ kind: ESCALATION_JOB, dueAt, payload: { ...payload }, dedupKey: `escalation:${alert.id}` }, tx);
          },
        }
      : {}),
  };
}

/** An alert of an incident that stops firing is a moment of the incident's timeline. */
async function resolvedOnTimeline(deps: AlertServiceDeps, alert: AlertRecord): Promise<void> {
  if (!alert.incidentId || !deps.timeline) return;
  await deps.timeline.append({
    incidentId: alert.incidentId,
    at: alert.resolvedAt ?? deps.clock.now(),
    actor: `alert:${alert.id}`,
    kind: 'alert_resolved',
    text: `Alert ${alert.name} resolved`,
    data: { alertId: alert.id },
  });
}

async function acknowledge(deps: AlertServiceDeps, alertId: number, userId: string): Promise<AlertAckResult> {
  const at = deps.clock.now();
  const out = await deps.alerts.acknowledge(alertId, userId, at);
  switch (out.kind) {
    case 'not_found':
      throw notFound(`There is no alert #${alertId}: it may have been removed.`);
    case 'resolved':
      return { kind: 'resolved', alert: out.alert };
    case 'already':
      return { kind: 'already', alert: out.alert, by: out.by, at: out.at };
    case 'acked': {
      const seconds = Math.max(0, (at.getTime() - out.alert.startsAt.getTime()) / 1000);
      const slaMinutes = RESPONSE_SLA_MINUTES[out.alert.severity];
      deps.metrics?.timeToAcknowledge.observe({ subject: 'alert', severity: out.alert.severity }, seconds);
      if (out.alert.incidentId && deps.timeline) {
        await deps.timeline.append({
          incidentId: out.alert.incidentId,
          at,
          actor: userId,
          kind: 'alert_acknowledged',
          text: `Alert ${out.alert.name} acknowledged`,
          data: { alertId: out.alert.id },
        });
      }
      return {
        kind: 'acked',
        alert: out.alert,
        by: userId,
        at,
        minutesAfterFiring: Math.floor(seconds / 60),
        withinSla: seconds <= slaMinutes * 60,
        slaMinutes,
      };
    }
  }
}
