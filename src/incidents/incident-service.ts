import type { Clock } from '../clock';
import { badInput, BotError, notFound } from '../errors';
import type { AlertStore } from '../domain/alert';
import type { Incident, IncidentPatch, IncidentStatus, IncidentStore } from '../domain/incident';
import type { Queryable } from '../domain/queryable';
import type { ScheduledJobStore } from '../domain/scheduled-job';
import type { TimelineEntryInput, TimelineEvent, TimelineStore } from '../domain/timeline-event';
import type { Logger } from '../logger';
import type { IncidentMetrics } from './incident-metrics';
import { ESCALATION_LEVELS, escalationDueAt, P1_PROMOTION_AFTER_MINUTES } from '../domain/escalation';
import { RESPONSE_SLA_MINUTES, SEVERITIES, type Severity } from './severity';

export const STATUS_REMINDER_JOB = 'incident_status_reminder';
/** Pages the escalation levels of an incident that is neither mitigated nor resolved (docs/severity.md). */
export const INCIDENT_ESCALATION_JOB = 'incident_escalation';
/** Raises a P1 still unresolved 30 minutes after its start to P0 (seed 000). */
export const INCIDENT_PROMOTION_JOB = 'incident_promotion';
/** Seed 002: "Send updates every 30 minutes during active incidents", "Next Update: In 30 minutes". */
export const STATUS_UPDATE_INTERVAL_MINUTES = 30;

/** Payload of an incident escalation job: page `level` (1 = L1) of `incidentId` while it has `severity`. */
export interface IncidentEscalationJobPayload {
  incidentId: string;
  level: number;
  severity: Severity;
}
/** Seed 000: "Post-mortem if service was down > 15 minutes" (and always for P0/P1). */
export const POSTMORTEM_DOWNTIME_MINUTES = 15;

const INC_ID = /^INC-\d{14}$/;
const ACTIVE: readonly IncidentStatus[] = ['open', 'acknowledged', 'mitigated'];

export interface OpenIncidentInput {
  title: string;
  severity: Severity;
  /** Slack user id of whoever opened it (or "alert:<id>" / "bot"). */
  actor: string;
  impact?: string;
  channelId?: string;
  threadTs?: string;
  /** Open from an alert: the alert is linked and the incident starts when the alert did. */
  alertId?: number;
  /**
   * When the impact started, as people state it: an instant, or a UTC time of day (`started=HH:MM`), read as the
   * latest such time not after the opening. The incident starts at the earliest of this, the alert's start and now.
   */
  startedAt?: Date | { hour: number; minute: number };
}

export interface StatusUpdateOptions {
  startedAt?: Date | { hour: number; minute: number };
}

export interface IncidentAckResult {
  incident: Incident;
  minutesAfterStart: number;
  withinSla: boolean;
  slaMinutes: number;
}

export interface ResolveInput {
  actor: string;
  summary?: string;
  rootCause?: string;
  resolution?: string;
}

export interface IncidentResolveResult {
  incident: Incident;
  /** From the start of impact to resolution. */
  durationMinutes: number;
  /** From the start of impact to mitigation (or resolution when never mitigated). */
  downtimeMinutes: number;
  /** P0/P1, or downtime over 15 minutes (seeds 000 and 002). */
  offerPostmortem: boolean;
}

/**
 * Incidents: INC IDs, the open → acknowledged → mitigated → resolved life cycle, and a timeline
 * event for every change. Illegal transitions throw a BotError (CONFLICT) whose message can be
 * shown as is ("INC-20260111100200 is already resolved"); unknown ids throw NOT_FOUND.
 *
 * @example
 *   const inc = await incidents.open({ title: 'Workers stuck', severity: 'P1', actor: userId, channelId });
 *   await incidents.setThread(inc.id, channelId, postedTs);
 *   await incidents.acknowledge(inc.id, userId);
 *   const { offerPostmortem } = await incidents.resolve(inc.id, { actor: userId, rootCause: '…', resolution: '…' });
 */
export interface IncidentService {
  open(input: OpenIncidentInput): Promise<Incident>;
  /** Throws NOT_FOUND. Accepts lower-case ids. */
  get(id: string): Promise<Incident>;
  findByThread(channelId: string, threadTs: string): Promise<Incident | null>;
  /** Remember where the incident's notification was posted; its thread is the incident's thread. */
  setThread(id: string, channelId: string, threadTs: string): Promise<Incident>;
  listActive(): Promise<Incident[]>;
  linkAlert(id: string, alertId: number, actor: string): Promise<Incident>;
  acknowledge(id: string, actor: string): Promise<IncidentAckResult>;
  changeSeverity(id: string, severity: Severity, actor: string): Promise<{ incident: Incident; from: Severity }>;
  /** `startedAt` (a stated start of impact, `started=HH:MM`) moves the incident's start. */
  postStatusUpdate(
    id: string,
    text: string,
    actor: string,
    opts?: StatusUpdateOptions,
  ): Promise<{ incident: Incident; event: TimelineEvent }>;
  mitigate(id: string, actor: string, note?: string): Promise<Incident>;
  resolve(id: string, input: ResolveInput): Promise<IncidentResolveResult>;
  /**
   * The incident a message in Slack belongs to: the incident whose thread it is; else, in an alert's thread, the
   * incident that alert is linked to (none when it is not linked); else the only active incident living in the channel.
   */
  concerning(where: { channelId: string; threadTs?: string }): Promise<Incident | null>;
  /**
   * The runbook rule "P1 not resolved in 30 minutes → P0" (seed 000), applied by the bot: a P1 incident still open or
   * acknowledged becomes P0 with a `severity_promoted` event. Null when the rule no longer applies (severity changed,
   * mitigated, resolved, or too early).
   */
  promoteUnresolved(id: string, now: Date): Promise<{ incident: Incident; from: Severity } | null>;
  /** An escalation level was paged for the incident: an `escalated` timeline event. */
  recordEscalation(id: string, level: { level: number; name: string }, targets: string[], at: Date): Promise<TimelineEvent>;
  /** Levels already paged for the incident (from its timeline), so a severity change never pages a level twice. */
  escalatedLevels(id: string): Promise<Set<number>>;
  /** Pinned messages and diagnoses: what is not a state change (remediation steps are written by the remediation service). */
  addTimelineEvent(id: string, event: Extract<TimelineEntryInput, { kind: 'pinned' | 'diagnosis' }>): Promise<TimelineEvent>;
  timeline(id: string): Promise<TimelineEvent[]>;
}

export interface IncidentServiceDeps {
  /** Runs a unit of work in one transaction (Database.transaction). */
  transaction: <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T>;
  incidents: IncidentStore;
  timeline: TimelineStore;
  clock: Clock;
  alerts?: AlertStore;
  /** When given, incidents schedule their status-update reminder, escalation and (P1) promotion. */
  jobs?: ScheduledJobStore;
  metrics?: Pick<IncidentMetrics, 'timeToAcknowledge' | 'timeToResolve'>;
  /**
   * Told once an alert has become part of an incident (opened from it, or linked later with `/incident link-alert`),
   * after the link is committed, so that what was started from the alert's thread joins the incident too (the
   * remediation service's `linkAlertRequests`). A failure is logged and the link stands: the incident must still be
   * announced.
   */
  alertJoined?: (alertId: number, incidentId: string, actor: string) => Promise<unknown>;
  logger?: Logger;
}

/** `INC-YYYYMMDDHHMMSS` of a UTC instant. */
export function incidentIdAt(at: Date): string {
  return 'INC-' + at.toISOString().slice(0, 19).replace(/[-T:]/g, '');
}

export function normalizeIncidentId(id: string): string {
  const up = id.trim().toUpperCase();
  if (!INC_ID.test(up)) throw badInput(`${JSON.stringify(id.slice(0, 40))} is not an incident ID: they look like INC-20260111100200.`);
  return up;
}

/** The latest instant at `hour:minute` UTC that is not after `now`. */
export function latestTimeOfDay(now: Date, t: { hour: number; minute: number }): Date {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), t.hour, t.minute));
  return d > now ? new Date(d.getTime() - 24 * 3600_000) : d;
}

/** P0/P1: post-mortem always (seeds 000 and 002, "severity > Medium"). */
const needsUpdates = (s: Severity): boolean => s === 'P0' || s === 'P1';
const minutesBetween = (a: Date, b: Date): number => Math.max(0, (b.getTime() - a.getTime()) / 60_000);
const conflict = (msg: string) => new BotError('CONFLICT', msg);
const who = (userId: string): string => (/^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : userId);
const hhmm = (d: Date): string => d.toISOString().slice(11, 16) + ' UTC';

export function createIncidentService(deps: IncidentServiceDeps): IncidentService {
  const { incidents, timeline, clock } = deps;
  return {
    open: (input) => openIncident(deps, input),
    get: (id) => loadIncident(deps, id),
    findByThread: (channelId, threadTs) => incidents.findByThread(channelId, threadTs),
    setThread: async (rawId, channelId, threadTs) => {
      const inc = await loadIncident(deps, rawId);
      return (await incidents.update(inc.id, ['open', 'acknowledged', 'mitigated', 'resolved'], { channelId, threadTs }, clock.now()))!;
    },
    listActive: () => incidents.listActive(),
    linkAlert: (rawId, alertId, actor) => linkAlert(deps, rawId, alertId, actor),
    acknowledge: (rawId, actor) => acknowledge(deps, rawId, actor),
    changeSeverity: (rawId, severity, actor) => changeSeverity(deps, rawId, severity, actor),
    postStatusUpdate: (rawId, text, actor, opts) => postStatusUpdate(deps, rawId, text, actor, opts),
    mitigate: (rawId, actor, note) => mitigate(deps, rawId, actor, note),
    resolve: (rawId, input) => resolve(deps, rawId, input),
    concerning: (where) => concerning(deps, where),
    promoteUnresolved: (rawId, now) => promoteUnresolved(deps, rawId, now),
    recordEscalation: async (rawId, level, targets, at) => {
      const inc = await loadIncident(deps, rawId);
      return timeline.append({
        incidentId: inc.id,
        at,
        actor: 'bot',
        kind: 'escalated',
        text: `Escalated to ${level.name}`,
        data: { level: level.level, levelName: level.name, targets },
      });
    },
    escalatedLevels: async (rawId) => {
      const events = await timeline.list(normalizeIncidentId(rawId));
      return new Set(events.flatMap((e) => (e.kind === 'escalated' ? [e.data.level] : [])));
    },
    addTimelineEvent: async (rawId, e) => {
      const inc = await loadIncident(deps, rawId);
      return timeline.append({ incidentId: inc.id, at: clock.now(), ...e });
    },
    timeline: async (rawId) => timeline.list((await loadIncident(deps, rawId)).id),
  };
}

async function loadIncident(deps: IncidentServiceDeps, rawId: string, tx?: Queryable): Promise<Incident> {
  const id = normalizeIncidentId(rawId);
  const inc = await deps.incidents.get(id, tx);
  if (!inc) throw notFound(`There is no incident ${id}. \`/incident list\` shows the active ones.`);
  return inc;
}

/** Why `action` is not possible now, as the user reads it. */
function illegal(inc: Incident, action: string): BotError {
  if (inc.status === 'resolved')
    return conflict(`${inc.id} is already resolved${inc.resolvedAt ? ` (at ${hhmm(inc.resolvedAt)})` : ''}: ${action} is not possible.`);
  if (action === 'acknowledge' && inc.acknowledgedBy)
    return conflict(`${inc.id} was already acknowledged by ${who(inc.acknowledgedBy)} at ${hhmm(inc.acknowledgedAt!)}.`);
  if (inc.status === 'mitigated')
    return conflict(`${inc.id} is already mitigated: ${action} is not possible; resolve it when the fix is confirmed.`);
  return conflict(`${inc.id} is ${inc.status}: ${action} is not possible.`);
}

/** A conditional update plus its timeline event, atomically; a lost race reports the state that won. */
async function transition(
  deps: IncidentServiceDeps,
  rawId: string,
  action: string,
  from: readonly IncidentStatus[],
  patch: (inc: Incident, now: Date) => IncidentPatch,
  event: (before: Incident, after: Incident) => TimelineEntryInput,
): Promise<{ before: Incident; after: Incident; event: TimelineEvent }> {
  const now = deps.clock.now();
  return deps.transaction(async (tx) => {
    const before = await loadIncident(deps, rawId, tx);
    if (!from.includes(before.status)) throw illegal(before, action);
    const after = await deps.incidents.update(before.id, from, patch(before, now), now, tx);
    if (!after) throw illegal((await deps.incidents.get(before.id, tx))!, action);
    const e = event(before, after);
    const appended = await deps.timeline.append({ incidentId: after.id, at: now, ...e }, tx);
    if (after.nextUpdateDueAt && after.status !== 'resolved') await scheduleReminder(deps, tx, after);
    return { before, after, event: appended };
  });
}

async function scheduleReminder(deps: IncidentServiceDeps, tx: Queryable, inc: Incident): Promise<void> {
  if (!deps.jobs || !inc.nextUpdateDueAt) return;
  await deps.jobs.schedule(
    { kind: STATUS_REMINDER_JOB, dueAt: inc.nextUpdateDueAt, payload: { incidentId: inc.id }, dedupKey: `status_reminder:${inc.id}` },
    tx,
  );
}

const nextUpdateAfter = (now: Date): Date => new Date(now.getTime() + STATUS_UPDATE_INTERVAL_MINUTES * 60_000);

/**
 * The escalation ladder and, for a P1, its promotion to P0, for the incident's current severity. A job is keyed by
 * severity: after a change the new severity's ladder starts, and levels already paged are skipped when it runs.
 */
async function scheduleEscalation(deps: IncidentServiceDeps, tx: Queryable, inc: Incident, changedByHandAt?: Date): Promise<void> {
  if (!deps.jobs) return;
  const first = ESCALATION_LEVELS[0];
  const dueAt = escalationDueAt(inc.startedAt, inc.severity, first);
  if (dueAt) {
    const payload: IncidentEscalationJobPayload = { incidentId: inc.id, level: first.level, severity: inc.severity };
    await deps.jobs.schedule(
      { kind: INCIDENT_ESCALATION_JOB, dueAt, payload: { ...payload }, dedupKey: `incident_escalation:${inc.id}:${inc.severity}` },
      tx,
    );
  }
  if (inc.severity === 'P1') {
    // Set to P1 by hand after the 30-minute mark: that person's choice stands for another 30 minutes.
    const from = Math.max(inc.startedAt.getTime(), changedByHandAt?.getTime() ?? 0);
    const promoteAt = new Date(from + P1_PROMOTION_AFTER_MINUTES * 60_000);
    await deps.jobs.schedule(
      { kind: INCIDENT_PROMOTION_JOB, dueAt: promoteAt, payload: { incidentId: inc.id }, dedupKey: `incident_promotion:${inc.id}` },
      tx,
    );
  }
}

async function promoteUnresolved(
  deps: IncidentServiceDeps,
  rawId: string,
  now: Date,
): Promise<{ incident: Incident; from: Severity } | null> {
  const id = normalizeIncidentId(rawId);
  return deps.transaction(async (tx) => {
    // The row lock orders this against a concurrent /incident sev or resolve: whichever commits first wins.
    const inc = await deps.incidents.get(id, tx, { forUpdate: true });
    if (!inc) return null;
    const afterMinutes = Math.floor(minutesBetween(inc.startedAt, now));
    if (inc.severity !== 'P1' || (inc.status !== 'open' && inc.status !== 'acknowledged') || afterMinutes < P1_PROMOTION_AFTER_MINUTES)
      return null;
    const after = await deps.incidents.update(
      id,
      ['open', 'acknowledged'],
      { severity: 'P0', nextUpdateDueAt: inc.nextUpdateDueAt ?? nextUpdateAfter(now) },
      now,
      tx,
    );
    if (!after) return null;
    await deps.timeline.append(
      {
        incidentId: id,
        at: now,
        actor: 'bot',
        kind: 'severity_promoted',
        text: `Severity P1 → P0: not resolved ${afterMinutes} minutes after it started (runbook: a P1 not resolved in 30 minutes escalates to P0)`,
        data: { from: 'P1', to: 'P0', afterMinutes },
      },
      tx,
    );
    await scheduleEscalation(deps, tx, after);
    return { incident: after, from: 'P1' as const };
  });
}

type AlertOfIncident = NonNullable<Awaited<ReturnType<AlertStore['get']>>>;
type NewIncidentFields = Parameters<IncidentStore['tryInsert']>[1];

async function openIncident(deps: IncidentServiceDeps, input: OpenIncidentInput): Promise<Incident> {
  if (!SEVERITIES.includes(input.severity)) throw badInput(`${JSON.stringify(input.severity)} is not a severity: use P0, P1, P2 or P3.`);
  const title = input.title.trim();
  if (!title) throw badInput('An incident needs a title: `/incident open <title> [P0|P1|P2|P3]`.');
  if (title.length > 300) throw badInput('The incident title is longer than 300 characters: shorten it and put the details in the thread.');
  const now = deps.clock.now();
  const alert = input.alertId !== undefined ? await deps.alerts?.get(input.alertId) : undefined;
  if (input.alertId !== undefined && !alert) throw notFound(`There is no alert #${input.alertId} to open an incident from.`);
  const stated =
    input.startedAt === undefined ? undefined : input.startedAt instanceof Date ? input.startedAt : latestTimeOfDay(now, input.startedAt);
  const earliest = [now, ...(alert ? [alert.startsAt] : []), ...(stated ? [stated] : [])];
  const startedAt = new Date(Math.min(...earliest.map((d) => d.getTime())));
  const nextUpdate = nextUpdateAfter(now);
  const fields: NewIncidentFields = {
    title,
    severity: input.severity,
    createdBy: input.actor,
    createdAt: now,
    startedAt,
    ...(input.impact ? { impact: input.impact } : {}),
    ...(input.channelId ? { channelId: input.channelId } : {}),
    ...(input.threadTs ? { threadTs: input.threadTs } : {}),
    nextUpdateDueAt: nextUpdate,
  };
  const inc = await insertAtFreeId(deps, now, (id) => insertIncident(deps, id, fields, input, alert, now));
  if (alert) await tellAlertJoined(deps, alert.id, inc.id, input.actor);
  return inc;
}

async function tellAlertJoined(deps: IncidentServiceDeps, alertId: number, incidentId: string, actor: string): Promise<void> {
  try {
    await deps.alertJoined?.(alertId, incidentId, actor);
  } catch (err) {
    deps.logger?.error(
      { err: { message: (err as Error).message }, alertId, incidentId },
      "the alert joined the incident, but what was started from the alert's thread did not follow it",
    );
  }
}

/** The id is the opening second; when another incident (or replica) has it, the next free second. */
async function insertAtFreeId(deps: IncidentServiceDeps, now: Date, tryId: (id: string) => Promise<Incident | null>): Promise<Incident> {
  const base = Math.floor(now.getTime() / 1000) * 1000;
  const window = 120;
  for (let offset = 0; offset < 3600; offset += window) {
    const first = incidentIdAt(new Date(base + offset * 1000));
    const last = incidentIdAt(new Date(base + (offset + window - 1) * 1000));
    const taken = await deps.incidents.takenIdsBetween(first, last);
    for (let i = offset; i < offset + window; i++) {
      const id = incidentIdAt(new Date(base + i * 1000));
      if (taken.has(id)) continue;
      const created = await tryId(id);
      if (created) return created;
    }
  }
  throw new Error(`no free incident ID within an hour of ${incidentIdAt(now)}`);
}

/** One attempt at an id: the incident, its opening event, the alert it came from, its first reminder; null when taken. */
async function insertIncident(
  deps: IncidentServiceDeps,
  id: string,
  fields: NewIncidentFields,
  input: OpenIncidentInput,
  alert: AlertOfIncident | null | undefined,
  now: Date,
): Promise<Incident | null> {
  const { incidents, timeline } = deps;
  return deps.transaction(async (tx) => {
    const inc = await incidents.tryInsert(id, fields, tx);
    if (!inc) return null;
    const opened = `Opened: ${fields.title} (${input.severity})`;
    await timeline.append(
      { incidentId: id, at: now, actor: input.actor, kind: 'opened', text: opened, data: { severity: input.severity } },
      tx,
    );
    if (alert && deps.alerts) {
      // The row lock makes a concurrent opening from the same alert (another replica, a double click) wait, then lose.
      if (!(await deps.alerts.linkIncident(alert.id, id, tx, { onlyIfUnlinked: true }))) {
        const linked = (await deps.alerts.get(alert.id, tx))?.incidentId;
        throw conflict(`This alert is already part of ${linked ?? 'an incident'}.`);
      }
      await timeline.append(
        {
          incidentId: id,
          at: now,
          actor: input.actor,
          kind: 'alert_linked',
          text: `Alert ${alert.name} linked`,
          data: { alertId: alert.id, fingerprint: alert.fingerprint },
        },
        tx,
      );
      await appendAlertHistory(deps, tx, id, alert);
    }
    await scheduleReminder(deps, tx, inc);
    await scheduleEscalation(deps, tx, inc);
    return inc;
  });
}

/** What happened to an alert before it joined the incident (it fired, someone acknowledged it), at the times it happened. */
async function appendAlertHistory(deps: IncidentServiceDeps, tx: Queryable, incidentId: string, alert: AlertOfIncident): Promise<void> {
  const { timeline } = deps;
  await timeline.append(
    {
      incidentId,
      at: alert.startsAt,
      actor: `alert:${alert.id}`,
      kind: 'alert_fired',
      text: `Alert ${alert.name} fired`,
      data: { alertId: alert.id, fingerprint: alert.fingerprint, name: alert.name },
    },
    tx,
  );
  if (alert.acknowledgedAt && alert.acknowledgedBy) {
    await timeline.append(
      {
        incidentId,
        at: alert.acknowledgedAt,
        actor: alert.acknowledgedBy,
        kind: 'alert_acknowledged',
        text: `Alert ${alert.name} acknowledged`,
        data: { alertId: alert.id },
      },
      tx,
    );
  }
  if (alert.resolvedAt) {
    await timeline.append(
      {
        incidentId,
        at: alert.resolvedAt,
        actor: `alert:${alert.id}`,
        kind: 'alert_resolved',
        text: `Alert ${alert.name} resolved`,
        data: { alertId: alert.id },
      },
      tx,
    );
  }
}

async function linkAlert(deps: IncidentServiceDeps, rawId: string, alertId: number, actor: string): Promise<Incident> {
  if (!deps.alerts) throw new Error('linkAlert needs the alert store');
  const alerts = deps.alerts;
  const now = deps.clock.now();
  const linked = await deps.transaction(async (tx) => {
    const inc = await loadIncident(deps, rawId, tx);
    if (inc.status === 'resolved') throw illegal(inc, 'linking an alert');
    const before = await alerts.get(alertId, tx);
    if (!before) throw notFound(`There is no alert #${alertId}.`);
    if (before.incidentId === inc.id) throw new BotError('BAD_INPUT', `Alert #${alertId} (${before.name}) is already linked to ${inc.id}.`);
    const alert = await alerts.linkIncident(alertId, inc.id, tx);
    if (!alert) throw notFound(`There is no alert #${alertId}.`);
    await deps.timeline.append(
      {
        incidentId: inc.id,
        at: now,
        actor,
        kind: 'alert_linked',
        text: `Alert ${alert.name} linked`,
        data: { alertId, fingerprint: alert.fingerprint },
      },
      tx,
    );
    await appendAlertHistory(deps, tx, inc.id, alert);
    return inc;
  });
  await tellAlertJoined(deps, alertId, linked.id, actor);
  return linked;
}

async function acknowledge(deps: IncidentServiceDeps, rawId: string, actor: string): Promise<IncidentAckResult> {
  const { after } = await transition(
    deps,
    rawId,
    'acknowledge',
    ['open'],
    (_inc, now) => ({ status: 'acknowledged', acknowledgedAt: now, acknowledgedBy: actor }),
    () => ({ kind: 'acknowledged', actor, text: 'Acknowledged', data: {} }),
  );
  const seconds = (after.acknowledgedAt!.getTime() - after.startedAt.getTime()) / 1000;
  const slaMinutes = RESPONSE_SLA_MINUTES[after.severity];
  deps.metrics?.timeToAcknowledge.observe({ subject: 'incident', severity: after.severity }, Math.max(0, seconds));
  return { incident: after, minutesAfterStart: Math.floor(Math.max(0, seconds) / 60), withinSla: seconds <= slaMinutes * 60, slaMinutes };
}

async function changeSeverity(
  deps: IncidentServiceDeps,
  rawId: string,
  severity: Severity,
  actor: string,
): Promise<{ incident: Incident; from: Severity }> {
  if (!SEVERITIES.includes(severity)) throw badInput(`${JSON.stringify(severity)} is not a severity: use P0, P1, P2 or P3.`);
  const current = await loadIncident(deps, rawId);
  if (current.severity === severity && current.status !== 'resolved') throw badInput(`${current.id} is already ${severity}.`);
  const { before, after } = await transition(
    deps,
    rawId,
    'changing the severity',
    ACTIVE,
    (inc, now) => ({ severity, nextUpdateDueAt: inc.nextUpdateDueAt ?? nextUpdateAfter(now) }),
    (b) => ({ kind: 'severity_changed', actor, text: `Severity ${b.severity} → ${severity}`, data: { from: b.severity, to: severity } }),
  );
  const changedAt = deps.clock.now();
  const pastPromotionMark = after.startedAt.getTime() + P1_PROMOTION_AFTER_MINUTES * 60_000 <= changedAt.getTime();
  await deps.transaction((tx) => scheduleEscalation(deps, tx, after, pastPromotionMark ? changedAt : undefined));
  return { incident: after, from: before.severity };
}

async function postStatusUpdate(
  deps: IncidentServiceDeps,
  rawId: string,
  text: string,
  actor: string,
  opts: StatusUpdateOptions = {},
): Promise<{ incident: Incident; event: TimelineEvent }> {
  const body = text.trim();
  if (!body) throw badInput('A status update needs text: `/incident update <what changed, what is next>`.');
  const now = deps.clock.now();
  const stated =
    opts.startedAt === undefined ? undefined : opts.startedAt instanceof Date ? opts.startedAt : latestTimeOfDay(now, opts.startedAt);
  if (stated && stated > now) throw badInput('The impact cannot start in the future: give `started=HH:MM` in UTC.');
  const { after, event } = await transition(
    deps,
    rawId,
    'posting a status update',
    ACTIVE,
    (_inc, at) => ({ lastUpdateAt: at, nextUpdateDueAt: nextUpdateAfter(at), ...(stated ? { startedAt: stated } : {}) }),
    () => ({ kind: 'status_update', actor, text: body, data: {} }),
  );
  return { incident: after, event };
}

async function mitigate(deps: IncidentServiceDeps, rawId: string, actor: string, note?: string): Promise<Incident> {
  const { after } = await transition(
    deps,
    rawId,
    'mitigate',
    ['open', 'acknowledged'],
    (_inc, now) => ({ status: 'mitigated', mitigatedAt: now, mitigatedBy: actor }),
    () => ({ kind: 'mitigated', actor, text: note?.trim() ? `Mitigated: ${note.trim()}` : 'Mitigated', data: {} }),
  );
  return after;
}

async function resolve(deps: IncidentServiceDeps, rawId: string, input: ResolveInput): Promise<IncidentResolveResult> {
  const clean = (s?: string) => (s?.trim() ? s.trim() : undefined);
  const summary = clean(input.summary);
  const rootCause = clean(input.rootCause);
  const resolution = clean(input.resolution) ?? summary;
  const { after } = await transition(
    deps,
    rawId,
    'resolve',
    ACTIVE,
    (_inc, now) => ({
      status: 'resolved',
      resolvedAt: now,
      resolvedBy: input.actor,
      nextUpdateDueAt: null,
      ...(summary ? { summary } : {}),
      ...(rootCause ? { rootCause } : {}),
      ...(resolution ? { resolution } : {}),
    }),
    () => ({
      kind: 'resolved',
      actor: input.actor,
      text: summary ? `Resolved: ${summary}` : 'Resolved',
      data: { ...(rootCause ? { rootCause } : {}), ...(resolution ? { resolution } : {}) },
    }),
  );
  const durationMinutes = minutesBetween(after.startedAt, after.resolvedAt!);
  const downtimeMinutes = minutesBetween(after.startedAt, after.mitigatedAt ?? after.resolvedAt!);
  deps.metrics?.timeToResolve.observe({ severity: after.severity }, durationMinutes * 60);
  return {
    incident: after,
    durationMinutes,
    downtimeMinutes,
    offerPostmortem: needsUpdates(after.severity) || downtimeMinutes > POSTMORTEM_DOWNTIME_MINUTES,
  };
}

async function concerning(
  deps: IncidentServiceDeps,
  { channelId, threadTs }: { channelId: string; threadTs?: string },
): Promise<Incident | null> {
  if (threadTs) {
    const own = await deps.incidents.findByThread(channelId, threadTs);
    if (own) return own;
    const alert = await deps.alerts?.findByMessage(channelId, threadTs);
    if (alert) return alert.incidentId ? deps.incidents.get(alert.incidentId) : null;
  }
  const here = (await deps.incidents.listActive()).filter((i) => i.channelId === channelId);
  return here.length === 1 ? here[0]! : null;
}
