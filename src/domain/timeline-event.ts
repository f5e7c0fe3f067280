import type { IncidentRole } from './incident-role';
import type { Queryable } from './queryable';
import type { Severity } from './severity';

/** A figure a probe reported, as a diagnosis event keeps it (the probes' `Figure`). */
export interface TimelineFigure {
  label: string;
  value: string | number;
  unit?: string;
}

/** What a diagnosis leaves on the timeline: enough to show it again and to compute peak values. */
export interface DiagnosisEventData {
  alert: string;
  runbookId: string;
  /** Worst probe status: crit > warn > unknown > ok. */
  status: string;
  labels: Record<string, string>;
  probes: { id: string; kind: string; title: string; status: string; summary: string; figures: TimelineFigure[] }[];
  /** Where the diagnosis message was posted. */
  channelId: string;
  messageTs: string;
}

export interface RemediationEventData {
  requestId: string;
  /** The action kind (`docker.restart`). */
  action: string;
}

/** The `data` each kind of timeline event carries. Adding a kind means adding it here and writing it from one production path. */
export interface TimelineDataByKind {
  opened: { severity: Severity };
  acknowledged: Record<string, never>;
  severity_changed: { from: Severity; to: Severity };
  /** The bot raised the severity by a runbook rule (a P1 unresolved after 30 minutes becomes P0). */
  severity_promoted: { from: Severity; to: Severity; afterMinutes: number };
  /** An escalation level was paged for the incident (targets: Slack user and user-group ids). */
  escalated: { level: number; levelName: string; targets: string[] };
  status_update: Record<string, never>;
  mitigated: Record<string, never>;
  resolved: { rootCause?: string; resolution?: string };
  alert_linked: { alertId: number; fingerprint: string };
  /** When the alert started firing (written when it joins the incident, at the alert's own start time). */
  alert_fired: { alertId: number; fingerprint: string; name: string };
  alert_acknowledged: { alertId: number };
  alert_resolved: { alertId: number };
  pinned: { channel: string; ts: string; author?: string };
  diagnosis: DiagnosisEventData;
  remediation_requested: RemediationEventData;
  remediation_approved: RemediationEventData;
  remediation_denied: RemediationEventData;
  remediation_succeeded: RemediationEventData;
  remediation_failed: RemediationEventData;
  remediation_expired: RemediationEventData;
  remediation_interrupted: RemediationEventData;
  /** The incident got its own channel. */
  room_opened: { channelId: string; name: string };
  /** A role changed hands; `previous` is who held it before (absent: nobody). */
  role_assigned: { role: IncidentRole; userId: string; previous?: string };
  follow_up_added: { followUpId: number; owner?: string };
}

export type TimelineKind = keyof TimelineDataByKind;

/** A remediation step that lands on the timeline (the audit log has every step). */
export type RemediationTimelineStep = 'requested' | 'approved' | 'denied' | 'succeeded' | 'failed' | 'expired' | 'interrupted';

/** An event as written: the kind decides the shape of `data`. */
export type NewTimelineEvent = {
  [K in TimelineKind]: { incidentId: string; at: Date; actor: string; kind: K; text: string; data: TimelineDataByKind[K] };
}[TimelineKind];

/** An event of an incident's timeline, as read back. */
export type TimelineEvent = NewTimelineEvent & { id: number };

/** An event of one kind. */
export type TimelineEventOf<K extends TimelineKind> = Extract<TimelineEvent, { kind: K }>;

/** What a caller supplies; the service adds the incident and the time. */
export type TimelineEntryInput = {
  [K in TimelineKind]: { kind: K; actor: string; text: string; data: TimelineDataByKind[K] };
}[TimelineKind];

/** An incident's timeline: append-only. */
export interface TimelineStore {
  append(event: NewTimelineEvent, tx?: Queryable): Promise<TimelineEvent>;
  /** Oldest first. */
  list(incidentId: string): Promise<TimelineEvent[]>;
}
