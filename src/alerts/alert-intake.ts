import type { Severity } from '../domain/severity';
import type { Logger } from '../logger';
import type { AlertGroup, AlertRecord, RecordOutcome } from '../domain/alert';
import type { AlertEvent } from './alert-event';
import type { AlertService } from './alert-service';
import { alertsOfPost, type AlertmanagerAlerts } from './alertmanager-alerts';
import type { StormWatch } from './alert-storm';

/** Where the bot's own message about a new alert goes: a reply in the thread of the sender's post, or a post of its own. */
export type PublishPlace = { kind: 'reply'; channel: string; threadTs: string } | { kind: 'post'; channel: string };

/** The thread the alert's follow-ups (a diagnosis, approvals) go to once its message is out. */
export interface AlertThread {
  channel: string;
  threadTs: string;
}

/** Shows alerts to people (the Slack side implements it). */
export interface AlertPublisher {
  /**
   * Publishes the bot's message about the alert once across retries and replicas; the thread of its follow-ups
   * for the caller that published it, undefined for everyone else.
   */
  publish(alert: AlertRecord, place: PublishPlace): Promise<AlertThread | undefined>;
  /**
   * Re-renders the bot's message from the current record: a `state` change (ack, resolution, incident link)
   * at once, a `counter` change (a re-fire) at most once per window.
   */
  refresh(alert: AlertRecord, change: 'state' | 'counter'): Promise<void>;
  /** Publishes the one message of a notification group once; the thread of its follow-ups for the caller that did. */
  publishGroup(group: AlertGroup): Promise<AlertThread | undefined>;
  /** Re-renders a group's message from its alerts as they are now. */
  refreshGroup(groupId: number, change: 'state' | 'counter'): Promise<void>;
}

/** Runs an alert's runbook checks and shows them in `thread`. */
export interface AlertDiagnoser {
  diagnose(alert: AlertRecord, thread: AlertThread): Promise<void>;
}

/** One alert of a delivery (a Slack post or a webhook request), already routed to where it is shown. */
export interface IntakeItem {
  event: AlertEvent;
  /** Identifies this delivery of this alert, so that a retry of it is a duplicate and not a re-fire. */
  deliveryKey: string;
  place: PublishPlace;
}

export type IntakeOutcome =
  | { fingerprint: string; kind: RecordOutcome['kind']; alertId?: number; published: boolean }
  | { fingerprint: string; kind: 'failed'; error: Error };

export interface AlertIntake {
  /**
   * Records each alert, publishes each new one once (at most `maxPublishesPerDelivery` per call), refreshes
   * re-fired and resolved ones, and starts the catalog's automatic diagnosis for the ones this call published.
   * A failing alert does not stop the others: its outcome is `failed`, and the caller decides what a retry is.
   */
  intake(items: readonly IntakeItem[], log?: Logger): Promise<IntakeOutcome[]>;
  /**
   * Publishes from the store the messages whose publisher died or gave up (Slack down past its retries), whether or
   * not the sender delivers the alerts again, and starts their automatic diagnosis as a first publish does. A
   * background job; a failure is logged and the next run retries.
   */
  repairStale(log?: Logger): Promise<void>;
}

export interface AlertIntakeDeps {
  alerts: AlertService;
  publisher: AlertPublisher;
  /** Absent: no automatic diagnosis. */
  diagnoser?: AlertDiagnoser;
  /** Whether the catalog asks for a diagnosis as soon as the alert is shown. */
  autoDiagnose: (alertName: string) => boolean;
  /** The catalog's severity for an alert name (used when the alert has no recognised severity label). */
  catalogSeverity: (alertName: string) => Severity | undefined;
  /** The label names the catalog's diagnosis of an alert uses (an automatic diagnosis waits until they are known). */
  labelsNeeded: (alertName: string) => readonly string[];
  /** ALERTMANAGER_URL: alerts posted in Slack by Alertmanager are looked up there for their labels and start. */
  alertmanager?: AlertmanagerAlerts;
  /** Storm mode: past a rate of new alerts, a channel gets one summary instead of a message per alert. */
  storm?: StormWatch;
  logger: Logger;
  maxPublishesPerDelivery?: number;
}

/** A delivery names at most this many alerts that get a message of their own; the rest are recorded and logged. */
export const MAX_PUBLISHES_PER_DELIVERY = 5;

export function createAlertIntake(deps: AlertIntakeDeps): AlertIntake {
  const ctx: IntakeContext = { deps, max: deps.maxPublishesPerDelivery ?? MAX_PUBLISHES_PER_DELIVERY, groupsShown: new Set() };
  return {
    repairStale: (log = deps.logger) =>
      repairStale(ctx, log).catch((err: Error) =>
        log.warn({ err: { message: err.message } }, 'stale reply repair failed; next sweep retries'),
      ),
    intake: (given, log = deps.logger) => intake(ctx, given, log),
  };
}

/** What the intake keeps between deliveries. */
interface IntakeContext {
  deps: AlertIntakeDeps;
  max: number;
  /** Groups whose message is out (a message, once posted, stays): their re-fires need not read the group again. */
  groupsShown: Set<number>;
}

/** The outcomes of one delivery, as they are known, and how a failed alert is told. */
interface Delivery {
  log: Logger;
  outcomes: Map<IntakeItem, IntakeOutcome>;
  fail(item: IntakeItem, err: unknown): void;
}

async function intake(ctx: IntakeContext, given: readonly IntakeItem[], log: Logger): Promise<IntakeOutcome[]> {
  const outcomes = new Map<IntakeItem, IntakeOutcome>();
  const delivery: Delivery = {
    log,
    outcomes,
    fail: (item, err) => {
      log.error({ err: { message: (err as Error).message }, fingerprint: item.event.fingerprint }, 'could not take in an alert');
      outcomes.set(item, { fingerprint: item.event.fingerprint, kind: 'failed', error: err as Error });
    },
  };
  const items = await expandAll(ctx.deps, given, delivery);
  const recorded = await recordAll(ctx.deps, items, delivery);
  const { stormed, stormTook } = await admitToStorms(ctx.deps, recorded);
  const shown = recorded.filter((m) => !stormed.has(m.alert.id));
  const groups = await groupsOf(ctx.deps, shown, delivery);
  await showAll(ctx, shown, groups, { left: ctx.max, stormTook }, delivery);
  for (const m of recorded)
    if (!outcomes.has(m.item))
      outcomes.set(m.item, { fingerprint: m.item.event.fingerprint, kind: m.kind, alertId: m.alert.id, published: m.published });
  return items.map((i) => outcomes.get(i)!).concat(given.filter((g) => outcomes.has(g) && !items.includes(g)).map((g) => outcomes.get(g)!));
}

/** Each item as the alerts it really speaks of (labels completed from Alertmanager); an item that cannot be, failed. */
async function expandAll(deps: AlertIntakeDeps, given: readonly IntakeItem[], delivery: Delivery): Promise<IntakeItem[]> {
  const items: IntakeItem[] = [];
  for (const item of given) {
    try {
      for (const event of await withLabels(deps, item.event, delivery.log))
        items.push({ ...item, event, deliveryKey: expandedKey(item, event) });
    } catch (err) {
      delivery.log.error(
        { err: { message: (err as Error).message }, fingerprint: item.event.fingerprint },
        'could not complete the labels of an alert',
      );
      delivery.outcomes.set(item, { fingerprint: item.event.fingerprint, kind: 'failed', error: err as Error });
    }
  }
  return items;
}

/** Records the delivery's alerts in one batch; an ignored one is done, the others are to be shown. */
async function recordAll(deps: AlertIntakeDeps, items: readonly IntakeItem[], delivery: Delivery): Promise<Recorded[]> {
  const recorded: Recorded[] = [];
  try {
    const outs = await deps.alerts.recordMany(
      items.map((item) => {
        const catalogSeverity = deps.catalogSeverity(item.event.name);
        return {
          event: item.event,
          opts: {
            deliveryKey: item.deliveryKey,
            ...(catalogSeverity ? { catalogSeverity } : {}),
            ...(item.place.kind === 'reply'
              ? { post: { channelId: item.place.channel, ts: item.place.threadTs } }
              : { channelId: item.place.channel }),
          },
        };
      }),
    );
    outs.forEach((out, i) => {
      const item = items[i]!;
      delivery.log.info({ alert: item.event.name, fingerprint: item.event.fingerprint, outcome: out.kind }, 'alert recorded');
      if (out.kind === 'ignored') delivery.outcomes.set(item, { fingerprint: item.event.fingerprint, kind: out.kind, published: false });
      else recorded.push({ item, kind: out.kind, alert: out.alert, published: false });
    });
  } catch (err) {
    for (const item of items) delivery.fail(item, err);
  }
  return recorded;
}

/**
 * In a storm, new alerts are counted in the channel's summary and listed in its thread instead (`stormed`); a
 * repeated delivery of an alert a storm summary took was shown by it already (`stormTook`).
 */
async function admitToStorms(
  deps: AlertIntakeDeps,
  recorded: readonly Recorded[],
): Promise<{ stormed: Set<number>; stormTook: ReadonlySet<number> }> {
  const stormed = new Set<number>();
  if (!deps.storm) return { stormed, stormTook: stormed };
  const byChannel = new Map<string, AlertRecord[]>();
  for (const m of recorded)
    if (m.kind === 'new') byChannel.set(m.item.place.channel, [...(byChannel.get(m.item.place.channel) ?? []), m.alert]);
  for (const [channel, news] of byChannel) for (const a of await deps.storm.admit(channel, news)) stormed.add(a.id);
  const unshown = recorded
    .filter((m) => m.kind === 'duplicate' && !m.alert.replyTs)
    .map((m) => ({ id: m.alert.id, channel: m.item.place.channel }));
  return { stormed, stormTook: unshown.length ? await deps.storm.took(unshown) : new Set() };
}

/**
 * Alerts of one notification group in one channel share a message: when the delivery names several of them, or when
 * the group already has its message (a later notification of the same group). Each such alert, with its group.
 */
async function groupsOf(deps: AlertIntakeDeps, shown: readonly Recorded[], delivery: Delivery): Promise<Map<Recorded, Recorded[]>> {
  const groups = new Map<string, Recorded[]>();
  for (const m of shown) {
    if (m.item.event.groupKey === undefined) continue;
    const key = `${m.item.place.kind}\u0000${m.item.place.channel}\u0000${m.item.event.groupKey}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const grouped = new Map<Recorded, Recorded[]>();
  for (const members of groups.values()) {
    const first = members[0]!;
    try {
      const open =
        members.length > 1 || first.alert.groupId !== null
          ? undefined
          : await deps.alerts.findOpenGroup(first.item.place.channel, first.item.event.groupKey!);
      if (members.length > 1 || first.alert.groupId !== null || open?.messageTs) for (const m of members) grouped.set(m, members);
    } catch (err) {
      for (const m of members) delivery.fail(m.item, err);
    }
  }
  return grouped;
}

/** Shows each alert not shown by a storm, in the delivery's order: on its own, or with its group once. */
async function showAll(
  ctx: IntakeContext,
  shown: readonly Recorded[],
  grouped: ReadonlyMap<Recorded, Recorded[]>,
  budget: Budget,
  delivery: Delivery,
): Promise<void> {
  const done = new Set<Recorded[]>();
  for (const m of shown) {
    if (delivery.outcomes.has(m.item)) continue;
    const members = grouped.get(m);
    if (members && done.has(members)) continue;
    try {
      if (!members) await intakeSingle(ctx, m, budget, delivery.log);
      else {
        done.add(members);
        await intakeGroup(ctx, members, budget, delivery.log);
      }
    } catch (err) {
      for (const member of members ?? [m]) delivery.fail(member.item, err);
    }
  }
}

function startDiagnosis(deps: AlertIntakeDeps, alert: AlertRecord, thread: AlertThread, log: Logger): void {
  if (!deps.diagnoser || !deps.autoDiagnose(alert.name)) return;
  const missing = deps.labelsNeeded(alert.name).filter((l) => alert.labels[l] === undefined);
  if (missing.length > 0) {
    // Running on guessed labels would check the wrong thing; the message says which labels are unknown.
    log.info({ alertId: alert.id, missing }, 'automatic diagnosis not started: labels unknown');
    return;
  }
  // Not awaited: a diagnosis takes seconds and must not hold up the next alerts of the delivery.
  deps.diagnoser
    .diagnose(alert, thread)
    .catch((err: Error) => log.warn({ err: { message: err.message }, alertId: alert.id }, 'automatic diagnosis failed'));
}

function hasLabelsFor(deps: AlertIntakeDeps, alert: AlertRecord): boolean {
  return deps.labelsNeeded(alert.name).every((l) => alert.labels[l] !== undefined);
}

function showGroup(ctx: IntakeContext, id: number): void {
  ctx.groupsShown.add(id);
  if (ctx.groupsShown.size > 10_000) ctx.groupsShown.delete(ctx.groupsShown.values().next().value!);
}

/** The alerts of one notification group in one channel: one message lists them all. */
async function intakeGroup(ctx: IntakeContext, members: readonly Recorded[], budget: Budget, log: Logger): Promise<void> {
  await refreshListed(ctx, members, budget);
  // A resolution of an alert that has a message of its own edits that message.
  const loose = members.filter((m) => m.alert.groupId === null);
  for (const m of loose.filter((l) => l.kind === 'resolved')) await intakeSingle(ctx, m, budget, log);
  // New alerts join the group; a re-fire of one that has a message of its own (or was shown by a storm summary)
  // stays where it is.
  const joining = loose.filter(
    (m) => m.kind === 'new' || (m.kind === 'duplicate' && !m.alert.replyTs && !budget.stormTook.has(m.alert.id)),
  );
  for (const m of loose.filter((l) => l.kind === 'refire' || (l.kind === 'duplicate' && !joining.includes(l))))
    await intakeSingle(ctx, m, budget, log);
  if (joining.length > 0) await joinGroup(ctx, joining, budget, log);
}

/** Alerts already listed in a group's message: that message is edited (a re-fire, a resolution). */
async function refreshListed(ctx: IntakeContext, members: readonly Recorded[], budget: Budget): Promise<void> {
  const { deps } = ctx;
  const listed = new Map<number, Recorded[]>();
  for (const m of members) if (m.alert.groupId !== null) listed.set(m.alert.groupId, [...(listed.get(m.alert.groupId) ?? []), m]);
  for (const [groupId, ms] of listed) {
    const group = ctx.groupsShown.has(groupId) ? undefined : await deps.alerts.getGroup(groupId);
    if (group?.messageTs) showGroup(ctx, groupId);
    if (group && !group.messageTs) {
      // A retry of a delivery whose group message never went out (its publisher died after claiming it).
      if (budget.left-- > 0 && (await deps.publisher.publishGroup(group))) for (const m of ms) m.published = true;
      continue;
    }
    if (ms.every((m) => m.kind === 'duplicate')) continue;
    await deps.publisher.refreshGroup(groupId, ms.every((m) => m.kind === 'refire') ? 'counter' : 'state');
  }
}

/** New alerts join their group (opened if need be); the group's message is published, or edited when it is out. */
async function joinGroup(ctx: IntakeContext, joining: readonly Recorded[], budget: Budget, log: Logger): Promise<void> {
  const { deps } = ctx;
  const first = joining[0]!;
  const channel = first.item.place.channel;
  const threadTs = first.item.place.kind === 'reply' ? (first.alert.messageTs ?? first.item.place.threadTs) : null;
  const group = await deps.alerts.openGroup(channel, first.item.event.groupKey!, threadTs);
  await deps.alerts.joinGroup(
    group.id,
    joining.map((m) => m.alert.id),
  );
  if (group.messageTs) return deps.publisher.refreshGroup(group.id, 'state');
  if (budget.left <= 0) {
    log.warn(
      { groupId: group.id, alerts: joining.length },
      'delivery names more alerts than get a message of their own; group recorded without one',
    );
    return;
  }
  budget.left--;
  const thread = await deps.publisher.publishGroup(group);
  if (!thread) return;
  for (const m of joining) m.published = true;
  // One diagnosis per group message: its first new alert whose labels are known. The others are in its menu.
  const firstNew = joining.find((m) => m.kind === 'new' && hasLabelsFor(deps, m.alert));
  if (firstNew) startDiagnosis(deps, firstNew.alert, thread, log);
}

/** One alert with a message of its own (the only alert of its notification). */
async function intakeSingle(ctx: IntakeContext, m: Recorded, budget: Budget, log: Logger): Promise<void> {
  const { alert, kind } = m;
  // A duplicate whose message never went out (its publisher died after claiming it) is published now, unless a
  // storm summary showed it.
  if (kind === 'new' || (kind === 'duplicate' && !alert.replyTs && !budget.stormTook.has(alert.id))) {
    if (budget.left <= 0) {
      log.warn({ alertId: alert.id, max: ctx.max }, 'delivery names more alerts than get a message of their own; recorded without one');
      return;
    }
    budget.left--;
    const thread = await ctx.deps.publisher.publish(alert, placeOf(alert, m.item.place));
    if (thread) {
      m.published = true;
      startDiagnosis(ctx.deps, alert, thread, log);
    }
  } else if (kind === 'refire' || kind === 'resolved') {
    await ctx.deps.publisher.refresh(alert, kind === 'refire' ? 'counter' : 'state');
  }
}

async function repairStale(ctx: IntakeContext, log: Logger): Promise<void> {
  const { deps } = ctx;
  for (const alert of await deps.alerts.listStaleReplyClaims()) {
    // Alerts read from a channel are answered in their post's thread; the webhook's are the bot's own posts.
    const place: PublishPlace = alert.messageTs
      ? { kind: 'reply', channel: alert.channelId!, threadTs: alert.messageTs }
      : { kind: 'post', channel: alert.channelId! };
    const thread = await deps.publisher.publish(alert, place);
    if (!thread) continue;
    log.info({ alertId: alert.id, channel: place.channel }, `alert ${place.kind} repaired after a stale claim`);
    startDiagnosis(deps, alert, thread, log);
  }
  for (const group of await deps.alerts.listStaleGroupClaims()) {
    const thread = await deps.publisher.publishGroup(group);
    if (!thread) continue;
    log.info({ groupId: group.id, channel: group.channelId }, 'alert group message repaired after a stale claim');
    const first = (await deps.alerts.groupMembers(group.id)).find((a) => a.status === 'firing' && hasLabelsFor(deps, a));
    if (first) startDiagnosis(deps, first, thread, log);
  }
}

/** What is left of a delivery's messages of their own, and the alerts a storm summary showed already. */
interface Budget {
  left: number;
  stormTook: ReadonlySet<number>;
}

interface Recorded {
  item: IntakeItem;
  kind: Exclude<RecordOutcome['kind'], 'ignored'>;
  alert: AlertRecord;
  published: boolean;
}

/** A reply goes in the thread of the post the alert was first seen in, even when a later post repeats it. */
function placeOf(alert: AlertRecord, place: PublishPlace): PublishPlace {
  if (place.kind === 'post') return place;
  return { kind: 'reply', channel: alert.channelId ?? place.channel, threadTs: alert.messageTs ?? place.threadTs };
}

/** A delivery key per alert: a title-only post that stands for several alerts counts once for each of them. */
function expandedKey(item: IntakeItem, event: AlertEvent): string {
  return event.fingerprint === item.event.fingerprint ? item.deliveryKey : `${item.deliveryKey}:${event.fingerprint}`;
}

/**
 * The alerts a post really speaks of. Alertmanager's default Slack template shows only label values; with
 * ALERTMANAGER_URL the full labels, start time and fingerprint come from its API (so the alert is the same record
 * as when the webhook delivers it). A resolved title-only post resolves the firing alerts it matches, since
 * Alertmanager no longer lists resolved alerts.
 */
async function withLabels(deps: AlertIntakeDeps, event: AlertEvent, log: Logger): Promise<AlertEvent[]> {
  if (event.source !== 'alertmanager-slack' || !deps.alertmanager) return [event];
  const titleOnly = event.labelsFrom === 'title';
  if (event.status === 'resolved') {
    if (!titleOnly) return [event];
    const firing = (await deps.alerts.listActiveByName(event.name)).filter((a) => a.labelsFrom === 'alertmanager');
    const matched = alertsOfPost(
      event,
      event.titleShows ?? '',
      firing.map((a) => ({ ...a, generatorURL: undefined })),
    );
    return matched.length
      ? matched.map((a) => ({ ...event, fingerprint: a.fingerprint, labels: a.labels, labelsFrom: 'alertmanager' as const }))
      : [event];
  }
  const answer = await deps.alertmanager.byName(event.name);
  if (!answer.ok) {
    log.warn({ alert: event.name, reason: answer.reason }, 'labels not read from Alertmanager');
    return [event];
  }
  const matched = alertsOfPost(event, titleOnly ? (event.titleShows ?? '') : undefined, answer.alerts);
  if (matched.length === 0) {
    if (titleOnly) log.info({ alert: event.name, title: event.titleShows }, 'Alertmanager lists no active alert matching the post');
    return [event];
  }
  return matched.map((a) => ({
    ...event,
    labels: a.labels,
    annotations: { ...event.annotations, ...a.annotations },
    fingerprint: a.fingerprint,
    startsAt: a.startsAt,
    ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}),
    labelsFrom: titleOnly ? ('alertmanager' as const) : (event.labelsFrom ?? 'sender'),
  }));
}
