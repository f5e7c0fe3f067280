import { RESPONSE_SLA_MINUTES, type Severity } from '../incidents/severity';
import type { Incident } from '../domain/incident';
import type { TimelineEvent, TimelineEventOf, TimelineFigure } from '../domain/timeline-event';
import { extractCommitments, type ActionCandidate } from './commitments';
import { extractStatements, type Statement } from './extract';
import { isReport, pickMoments, scoreMessages, type MomentSource } from './key-moments';
import { withUtcTimes } from './message-times';
import { mrkdwnToMarkdown } from './mrkdwn-to-markdown';
import {
  corrected,
  correctionIn,
  impactStatements,
  lessons,
  rootCauseStatements,
  type Lessons,
  type NarrativeLine,
  type NarrativeSource,
} from './narrative';
import { messagePermalink, tsToDate, type ThreadContents } from './thread-reader';

/** Key moments the timeline lists (recorded events first); the other messages are linked. */
export const KEY_MOMENTS = 16;

/** One line of the merged timeline: a recorded event or a message of the thread. */
export interface TimelineEntry {
  at: Date;
  source: 'timeline' | 'thread';
  /** The timeline kind, or `message` / `alert` (another bot's post) for thread entries. */
  kind: string;
  who: string;
  /** Markdown, one line. */
  text: string;
  link?: string;
}

/** A figure a probe reported, at its highest value over every diagnosis of the incident. */
export interface PeakValue {
  label: string;
  value: string | number;
  unit?: string;
  /** `900 s`, `512 / 1024 MiB` */
  display: string;
  at: Date;
}

export interface PostmortemFacts {
  incident: Incident;
  start: Date;
  /** What set the start: a stated time, the alert's firing, or the opening. */
  startSource: 'stated' | 'alert' | 'opened';
  /** When the first alert fired or the first report was posted in the channel, else when the incident was opened. */
  detection: Date;
  /** `alert ConnectionPoolExhausted fired`, `first report in the channel, by @lena: [message](…)`, `incident opened`. */
  detectionSource: string;
  acknowledged: Date | null;
  /** Who acknowledged first (a user id or name) and what (the incident or an alert of it). */
  acknowledgedBy: string | null;
  acknowledgedWhat: string | null;
  mitigated: Date | null;
  resolved: Date | null;
  /** From detection. */
  timeToAcknowledgeMinutes: number | null;
  timeToMitigateMinutes: number | null;
  timeToResolveMinutes: number | null;
  /** Start of impact to mitigation (else resolution, else now). */
  impactMinutes: number;
  /** Start to resolution, or to `now` while the incident is active. */
  durationMinutes: number;
  ongoing: boolean;
  /** The response SLA is judged at the severity at detection, from detection to the first acknowledgement. */
  sla: { minutes: number; met: boolean | null; respondedAt: Date | null; severity: Severity };
  actionItems: ActionCandidate[];
  impact: NarrativeLine[];
  rootCauses: NarrativeLine[];
  lessons: Lessons;
  participants: string[];
  peaks: PeakValue[];
  timeline: TimelineEntry[];
  /** Thread messages left out of the timeline (ordinary discussion). */
  omittedMessages: number;
  statements: Statement[];
  thread: { link: string; messages: number; people: number; bots: number; edited: number; files: number } | null;
  /** Why the messages were not read, when they were not. */
  threadProblem?: string;
}

export interface BuildFactsInput {
  incident: Incident;
  events: readonly TimelineEvent[];
  thread?: ThreadContents;
  /** What else belongs to the incident: linked alerts' threads, the channel between start and resolution, reporters' threads. */
  related?: readonly RelatedMessages[];
  /** user id → name for timeline actors (the thread's own names are used too). */
  names?: ReadonlyMap<string, string>;
  now: Date;
  /** `https://acme.slack.com`; links to messages start with it. */
  workspaceUrl: string;
  /** Thread messages listed in the timeline at most (recorded events are always listed). Default KEY_MOMENTS. */
  maxThreadEntries?: number;
  /** Why the thread was not read, for the draft to say so instead of "none found". */
  threadProblem?: string;
}

/** Messages read beside the incident's thread; `threadTs` is absent for top-level channel messages. */
export interface RelatedMessages {
  place: 'alert' | 'channel' | 'thread';
  contents: ThreadContents;
}

const minutesBetween = (a: Date, b: Date): number => Math.max(0, (b.getTime() - a.getTime()) / 60_000);
const USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** A message that belongs to the incident, converted once. */
interface ReadMessage {
  message: ThreadContents['messages'][number];
  at: Date;
  markdown: string;
  link: string;
  /** `@name` for people, the bot's name for bots. */
  author: string;
  place: MomentSource['place'];
}

type NameOf = (actor: string) => string;

/**
 * Merges the incident's recorded timeline with its thread and computes what the draft reports.
 *
 * @example
 *   const facts = buildPostmortemFacts({ incident, events: await incidents.timeline(id), thread, now, workspaceUrl });
 *   facts.timeToAcknowledgeMinutes; facts.sla.met; facts.peaks; facts.statements.filter((s) => s.kind === 'action_item');
 */
export function buildPostmortemFacts(input: BuildFactsInput): PostmortemFacts {
  const { incident, events, thread, now } = input;
  const names = new Map<string, string>([...(input.names ?? []), ...(thread?.names ?? [])]);
  for (const r of input.related ?? []) for (const [id, name] of r.contents.names) if (!names.has(id)) names.set(id, name);
  const nameOf: NameOf = (actor) => {
    if (USER_ID.test(actor)) return `@${names.get(actor) ?? actor}`;
    if (actor.startsWith('alert:')) return 'alert';
    return actor;
  };
  const all = readMessages(input, names);
  // This bot's own posts repeat the recorded events; other bots' posts (alerts) are recorded as alert events.
  const people = all.filter((m) => !m.message.isBot);
  const statements = extractStatements(people.map((m) => ({ markdown: m.markdown, author: m.author, at: m.at, link: m.link })));
  const metrics = responseMetrics(incident, events, now, firstReport(people, incident.startedAt));
  const firingEnds = metrics.mitigated ?? incident.resolvedAt ?? null;
  const actionItems = withOwnerIds(
    extractCommitments(
      people.map((m) => ({ markdown: m.markdown, author: m.author.replace(/^@/, ''), at: m.at, link: m.link })),
      { firefightingUntil: firingEnds, people: [...names.values()] },
    ),
    names,
    people,
  );
  const recorded = recordedEntries(events, nameOf, names, input.workspaceUrl);
  const fromThread = keyMessages(people, events, {
    opened: metrics.opened,
    slots: Math.min(input.maxThreadEntries ?? KEY_MOMENTS, Math.max(4, KEY_MOMENTS - recorded.length)),
  });
  const timeline = [...recorded, ...fromThread].sort(
    (a, b) => a.at.getTime() - b.at.getTime() || (a.source === b.source ? 0 : a.source === 'timeline' ? -1 : 1),
  );
  const narrative = narrativeSources(events, people, nameOf, names);
  const { opened: _opened, acknowledgedBy, ...response } = metrics;
  return {
    incident,
    ...response,
    acknowledgedBy: acknowledgedBy ? nameOf(acknowledgedBy) : null,
    actionItems,
    impact: impactStatements(narrative),
    rootCauses: rootCauseStatements(narrative),
    lessons: lessons(narrative),
    participants: participantsOf(incident, events, people, nameOf),
    peaks: peakValues(events),
    timeline,
    omittedMessages: all.filter((m) => !m.message.fromThisBot).length - fromThread.length,
    ...(input.threadProblem ? { threadProblem: input.threadProblem } : {}),
    statements,
    thread: thread ? threadSummary(thread, input.workspaceUrl) : null,
  };
}

/** Every message that belongs to the incident, oldest first, each kept once (a reply may be read twice). */
function readMessages(input: BuildFactsInput, names: ReadonlyMap<string, string>): ReadMessage[] {
  const seen = new Set<string>();
  const read = (contents: ThreadContents, place: MomentSource['place']): ReadMessage[] =>
    contents.messages
      .filter((m) => !seen.has(`${contents.channel}:${m.ts}`) && seen.add(`${contents.channel}:${m.ts}`))
      .map((m) => ({
        message: m,
        at: tsToDate(m.ts),
        markdown: mrkdwnToMarkdown(m.text, names),
        link: messagePermalink(input.workspaceUrl, contents.channel, m.ts, contents.threadTs || undefined),
        author: m.isBot ? m.author : `@${m.author}`,
        place,
      }));
  const own = input.thread ? read(input.thread, 'incident') : [];
  const others = (input.related ?? []).flatMap((r) => read(r.contents, r.place));
  return [...own, ...others].sort((a, b) => a.at.getTime() - b.at.getTime());
}

/**
 * The owner's Slack user id for each item whose owner's name is one person's in the messages read (an author, or
 * someone mentioned): a confirmed item then becomes a follow-up that person owns, not one with a name in its text.
 */
export function withOwnerIds(
  items: ActionCandidate[],
  names: ReadonlyMap<string, string>,
  people: ReadonlyArray<{ message: { author: string; userId?: string | undefined; isBot: boolean } }>,
): ActionCandidate[] {
  const ids = new Map<string, Set<string>>();
  const add = (name: string, id: string | undefined) => {
    if (!id || !USER_ID.test(id)) return;
    const key = name.toLowerCase();
    ids.set(key, (ids.get(key) ?? new Set()).add(id));
  };
  for (const [id, name] of names) add(name, id);
  for (const p of people) if (!p.message.isBot) add(p.message.author, p.message.userId);
  return items.map((item) => {
    const found = item.owner ? ids.get(item.owner.replace(/^@/, '').toLowerCase()) : undefined;
    // Two people shown with the same name: which one owns it is for a person to say.
    return found?.size === 1 ? { ...item, ownerId: [...found][0]! } : item;
  });
}

/** The recorded events as timeline entries; a pinned message is its author's, at the time it was written. */
function recordedEntries(
  events: readonly TimelineEvent[],
  nameOf: NameOf,
  names: ReadonlyMap<string, string>,
  workspaceUrl: string,
): TimelineEntry[] {
  return events
    .filter(
      (e) => !(e.kind === 'alert_linked' && events.some((o) => o.kind === 'opened' && Math.abs(o.at.getTime() - e.at.getTime()) < 1000)),
    )
    .map((e) => {
      if (e.kind === 'pinned') {
        const written = /^\d+\.\d+$/.test(e.data.ts) ? tsToDate(e.data.ts) : e.at;
        return {
          at: written,
          source: 'timeline',
          kind: e.kind,
          who: nameOf(e.data.author ?? e.actor),
          text: oneLine(withUtcTimes(mrkdwnToMarkdown(e.text, names), written)),
          link: messagePermalink(workspaceUrl, e.data.channel, e.data.ts),
        };
      }
      // A status update's "at 14:33 CET" is followed by its UTC time, as in messages.
      const text = oneLine(withUtcTimes(mrkdwnToMarkdown(eventText(e), names), e.at));
      return { at: e.at, source: 'timeline', kind: e.kind, who: nameOf(e.actor), text };
    });
}

/** The messages that state what happened, as many as `slots` allows (pinned ones are recorded events already). */
function keyMessages(
  people: readonly ReadMessage[],
  events: readonly TimelineEvent[],
  opts: { opened: Date; slots: number },
): TimelineEntry[] {
  const firstAlert = events.find((e) => e.kind === 'alert_fired')?.at ?? null;
  const pinnedTs = new Set(events.flatMap((e) => (e.kind === 'pinned' ? [e.data.ts] : [])));
  const scored = scoreMessages(
    people
      .filter((m) => !pinnedTs.has(m.message.ts))
      .map((m) => ({ markdown: m.markdown, who: m.author, at: m.at, link: m.link, place: m.place })),
    { incidentOpened: opts.opened, firstAlert },
  );
  const byLink = new Map(people.map((m) => [m.link, m.message]));
  const corrections = people.flatMap((m) => correctionIn(m.markdown, m.at) ?? []);
  return pickMoments(scored, opts.slots).map((p) => {
    const m = byLink.get(p.link);
    const files = m?.files.length ? ` (file${m.files.length > 1 ? 's' : ''}: ${m.files.map((f) => f.title ?? f.name).join(', ')})` : '';
    return {
      at: p.at,
      source: 'thread',
      kind: 'message',
      who: p.who,
      text: `${corrected(p.text, p.postedAt, corrections)}${files}${m?.edited ? ' _(edited)_' : ''}${p.statedAt ? ` _(written ${p.postedAt.toISOString().slice(11, 16)} UTC)_` : ''}`,
      link: p.link,
    };
  });
}

/** What the narrative sections read: the status updates and the people's messages, oldest first. */
function narrativeSources(
  events: readonly TimelineEvent[],
  people: readonly ReadMessage[],
  nameOf: NameOf,
  names: ReadonlyMap<string, string>,
): NarrativeSource[] {
  return [
    ...events
      .filter((e) => e.kind === 'status_update')
      .map((e) => ({ markdown: withUtcTimes(mrkdwnToMarkdown(e.text, names), e.at), who: nameOf(e.actor), at: e.at, statusUpdate: true })),
    ...people.map((m) => ({ markdown: withUtcTimes(m.markdown, m.at), who: m.author, at: m.at, link: m.link })),
  ].sort((a, b) => a.at.getTime() - b.at.getTime());
}

type ResponseMetrics = Pick<
  PostmortemFacts,
  | 'start'
  | 'startSource'
  | 'detection'
  | 'detectionSource'
  | 'acknowledged'
  | 'acknowledgedWhat'
  | 'mitigated'
  | 'resolved'
  | 'timeToAcknowledgeMinutes'
  | 'timeToMitigateMinutes'
  | 'timeToResolveMinutes'
  | 'impactMinutes'
  | 'durationMinutes'
  | 'ongoing'
  | 'sla'
> & { opened: Date; acknowledgedBy: string | null };

/** The Metrics: start of impact, detection, the first acknowledgement, mitigation and resolution, and the SLA verdict. */
function responseMetrics(
  incident: Incident,
  events: readonly TimelineEvent[],
  now: Date,
  report: { at: Date; who: string; link: string } | undefined,
): ResponseMetrics {
  const first = (kinds: string[]): TimelineEvent | undefined => events.find((e) => kinds.includes(e.kind));
  const opened = first(['opened'])?.at ?? incident.createdAt;
  const start = incident.startedAt;
  const detected = detectionOf(events, opened, report);
  const ack = firstAcknowledgement(incident, events);
  const acknowledged = ack?.at ?? null;
  const mitigated = incident.mitigatedAt ?? first(['mitigated'])?.at ?? null;
  const resolved = incident.resolvedAt ?? first(['resolved'])?.at ?? null;
  const respondedAt = acknowledged ?? mitigated ?? resolved;
  const severity = severityAtDetection(incident, events, detected.at);
  const slaMinutes = RESPONSE_SLA_MINUTES[severity];
  const met = respondedAt
    ? minutesBetween(detected.at, respondedAt) <= slaMinutes
    : minutesBetween(detected.at, now) <= slaMinutes
      ? null
      : false;
  return {
    opened,
    start,
    startSource: startSourceOf(start, opened, events),
    detection: detected.at,
    detectionSource: detected.source,
    acknowledged,
    acknowledgedBy: ack?.by ?? null,
    acknowledgedWhat: ack?.what ?? null,
    mitigated,
    resolved,
    timeToAcknowledgeMinutes: acknowledged ? minutesBetween(detected.at, acknowledged) : null,
    timeToMitigateMinutes: mitigated ? minutesBetween(detected.at, mitigated) : null,
    timeToResolveMinutes: resolved ? minutesBetween(detected.at, resolved) : null,
    impactMinutes: minutesBetween(start, mitigated ?? resolved ?? now),
    durationMinutes: minutesBetween(start, resolved ?? now),
    ongoing: !resolved,
    sla: { minutes: slaMinutes, met, respondedAt, severity },
  };
}

/**
 * The first report posted in the channel after the impact began (a support lead's "customers report …"): people
 * knew from then, though nobody had opened the incident yet.
 */
function firstReport(people: readonly ReadMessage[], start: Date): { at: Date; who: string; link: string } | undefined {
  const m = people.find((p) => p.place === 'channel' && p.at >= start && isReport(p.markdown));
  return m && { at: m.at, who: m.author, link: m.link };
}

/** Whichever came first before the incident was opened: the first alert firing, or the first report; else the opening. */
function detectionOf(
  events: readonly TimelineEvent[],
  opened: Date,
  report: { at: Date; who: string; link: string } | undefined,
): { at: Date; source: string } {
  const fired = events.find((e): e is TimelineEventOf<'alert_fired'> => e.kind === 'alert_fired');
  const candidates = [
    ...(fired && fired.at < opened ? [{ at: fired.at, source: `alert ${fired.data.name} fired` }] : []),
    ...(report && report.at < opened
      ? [{ at: report.at, source: `first report in the channel, by ${report.who}: [message](${report.link})` }]
      : []),
  ].sort((a, b) => a.at.getTime() - b.at.getTime());
  return candidates[0] ?? { at: opened, source: 'incident opened' };
}

/** What set the start of impact: the opening, the alert it was opened from, or a time someone stated. */
function startSourceOf(start: Date, opened: Date, events: readonly TimelineEvent[]): PostmortemFacts['startSource'] {
  if (Math.abs(start.getTime() - opened.getTime()) < 1000) return 'opened';
  const fired = events.find((e) => e.kind === 'alert_fired');
  // Incidents opened from an alert before alert_fired was recorded have only alert_linked: their start is the alert's.
  const fromAlert =
    (fired && Math.abs(start.getTime() - fired.at.getTime()) < 1000) ||
    (!fired && events.some((e) => e.kind === 'alert_linked') && start < opened);
  return fromAlert ? 'alert' : 'stated';
}

/** The first acknowledgement: the incident's, or an alert's (before the incident was opened, too). */
function firstAcknowledgement(incident: Incident, events: readonly TimelineEvent[]): { at: Date; by: string; what: string } | undefined {
  const acks = events
    .filter((e) => e.kind === 'acknowledged' || e.kind === 'alert_acknowledged')
    .map((e) => ({
      at: e.at,
      by: e.actor,
      what: e.kind === 'acknowledged' ? 'the incident' : e.text.replace(/^Alert (.*) acknowledged$/, 'alert $1'),
    }));
  if (incident.acknowledgedAt && incident.acknowledgedBy)
    acks.push({ at: incident.acknowledgedAt, by: incident.acknowledgedBy, what: 'the incident' });
  return acks.sort((a, b) => a.at.getTime() - b.at.getTime())[0];
}

/** The severity at detection: as opened, then any change made before detection (an incident opened after its alert has none). */
function severityAtDetection(incident: Incident, events: readonly TimelineEvent[], detection: Date): Severity {
  const opened = events.find((e): e is TimelineEventOf<'opened'> => e.kind === 'opened');
  let severity = opened ? opened.data.severity : incident.severity;
  for (const e of events) if (e.kind === 'severity_changed' && e.at <= detection) severity = e.data.to;
  return severity;
}

/** Everyone who took part, in the order they first did something (wrote, acted); then the incident's people. */
function participantsOf(incident: Incident, events: readonly TimelineEvent[], people: readonly ReadMessage[], nameOf: NameOf): string[] {
  const participants: string[] = [];
  const add = (name: string): void => {
    if (!participants.includes(name)) participants.push(name);
  };
  const chronological = [
    ...events.map((e) => ({ at: e.at.getTime(), who: e.actor, person: USER_ID.test(e.actor) })),
    ...people.map((m) => ({ at: m.at.getTime(), who: m.message.userId ?? m.message.author, person: true })),
  ].sort((a, b) => a.at - b.at);
  for (const p of chronological) if (p.person) add(USER_ID.test(p.who) ? nameOf(p.who) : `@${p.who}`);
  const actors = [incident.createdBy, incident.acknowledgedBy, incident.mitigatedBy, incident.resolvedBy, ...events.map((e) => e.actor)];
  for (const p of actors) if (p && USER_ID.test(p)) add(nameOf(p));
  return participants;
}

function threadSummary(thread: ThreadContents, workspaceUrl: string): NonNullable<PostmortemFacts['thread']> {
  return {
    link: messagePermalink(workspaceUrl, thread.channel, thread.threadTs),
    messages: thread.messages.length,
    people: new Set(thread.messages.filter((m) => !m.isBot).map((m) => m.userId ?? m.author)).size,
    bots: thread.messages.filter((m) => m.isBot).length,
    edited: thread.messages.filter((m) => m.edited).length,
    files: thread.messages.reduce((n, m) => n + m.files.length, 0),
  };
}

/** Every figure the probes of a diagnosis reported, in catalog order. */
export function figuresOf(e: TimelineEventOf<'diagnosis'>): TimelineFigure[] {
  return e.data.probes.flatMap((p) => p.figures);
}

/**
 * The highest value of each probe's figure over every diagnosis (text values compare by their leading number),
 * labelled with the probe's title: two probes may both report a `pending` or a `value`.
 */
export function peakValues(events: readonly TimelineEvent[]): PeakValue[] {
  const peaks = new Map<string, PeakValue & { n: number }>();
  for (const e of events) {
    if (e.kind !== 'diagnosis') continue;
    for (const probe of e.data.probes)
      for (const f of probe.figures) {
        const label = `${probe.title}: ${f.label}`;
        const n = typeof f.value === 'number' ? f.value : Number(/^\s*(-?\d+(?:\.\d+)?)/.exec(f.value)?.[1] ?? NaN);
        const prev = peaks.get(label);
        if (prev && !(n > prev.n) && !(Number.isNaN(prev.n) && !Number.isNaN(n))) continue;
        peaks.set(label, {
          label,
          value: f.value,
          ...(f.unit ? { unit: f.unit } : {}),
          display: `${f.value}${f.unit ? (f.unit === '%' ? '%' : ` ${f.unit}`) : ''}`,
          at: e.at,
          n,
        });
      }
  }
  return [...peaks.values()].map(({ n: _n, ...p }) => p);
}

function eventText(e: TimelineEvent): string {
  // The resolution without a summary: the timeline says what resolved it, as recorded.
  if (e.kind === 'resolved') return e.text === 'Resolved' && e.data.resolution ? `Resolved: ${e.data.resolution}` : e.text;
  if (e.kind !== 'diagnosis') return e.text;
  const figures = figuresOf(e);
  if (!figures.length) return e.text;
  const shown = figures.slice(0, 6).map((f) => `${f.label} ${f.value}${f.unit ? (f.unit === '%' ? '%' : ` ${f.unit}`) : ''}`);
  return `${e.text} (${shown.join(', ')}${figures.length > 6 ? ', …' : ''})`;
}

function oneLine(markdown: string, max = 300): string {
  const flat = markdown
    .replace(/```[\s\S]*?```/g, '`[code]`')
    .replace(/\s*\n+\s*/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
