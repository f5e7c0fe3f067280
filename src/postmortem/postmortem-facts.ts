import { RESPONSE_SLA_MINUTES, type Severity } from '../incidents/severity';
import type { Incident } from '../domain/incident';
import type { TimelineEvent, TimelineEventOf, TimelineFigure } from '../domain/timeline-event';
import { extractCommitments, type ActionCandidate } from './commitments';
import { extractStatements, type SourceMessage, type Statement } from './extract';
import { pickMoments, scoreMessages, type MomentSource } from './key-moments';
import { withUtcTimes } from './message-times';
import { mrkdwnToMarkdown } from './mrkdwn-to-markdown';
import { impactStatements, lessons, rootCauseStatements, type Lessons, type NarrativeLine, type NarrativeSource } from './narrative';
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
  /** When the first alert fired, else when the incident was opened. */
  detection: Date;
  /** `alert ConnectionPoolExhausted fired`, `incident opened`. */
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
  const nameOf = (actor: string): string => {
    if (USER_ID.test(actor)) return `@${names.get(actor) ?? actor}`;
    if (actor.startsWith('alert:')) return 'alert';
    return actor;
  };

  // Every message that belongs to the incident, converted once and kept once (a reply may be read twice).
  type Read = {
    message: ThreadContents['messages'][number];
    at: Date;
    markdown: string;
    link: string;
    author: string;
    place: MomentSource['place'];
  };
  const seen = new Set<string>();
  const read = (contents: ThreadContents, place: MomentSource['place']): Read[] =>
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
  for (const r of input.related ?? []) for (const [id, name] of r.contents.names) if (!names.has(id)) names.set(id, name);
  const messages = thread ? read(thread, 'incident') : [];
  const others = (input.related ?? []).flatMap((r) => read(r.contents, r.place));
  const all = [...messages, ...others].sort((a, b) => a.at.getTime() - b.at.getTime());
  // This bot's own posts repeat the recorded events; other bots' posts (alerts) are recorded as alert events.
  const people = all.filter((m) => !m.message.isBot);
  const discussion: SourceMessage[] = people.map((m) => ({ markdown: m.markdown, author: m.author, at: m.at, link: m.link }));
  const statements = extractStatements(discussion);

  const firstEvent = (kinds: string[]): TimelineEvent | undefined => events.find((e) => kinds.includes(e.kind));
  const firingEnds = incident.mitigatedAt ?? firstEvent(['mitigated'])?.at ?? incident.resolvedAt ?? null;
  const actionItems = extractCommitments(
    people.map((m) => ({ markdown: m.markdown, author: m.author.replace(/^@/, ''), at: m.at, link: m.link })),
    { firefightingUntil: firingEnds, people: [...names.values()] },
  );

  const recorded: TimelineEntry[] = events
    .filter(
      (e) => !(e.kind === 'alert_linked' && events.some((o) => o.kind === 'opened' && Math.abs(o.at.getTime() - e.at.getTime()) < 1000)),
    )
    .map((e) => {
      if (e.kind === 'pinned') {
        // A pinned message is the author's, at the time it was written.
        const written = /^\d+\.\d+$/.test(e.data.ts) ? tsToDate(e.data.ts) : e.at;
        return {
          at: written,
          source: 'timeline',
          kind: e.kind,
          who: nameOf(e.data.author ?? e.actor),
          text: oneLine(withUtcTimes(mrkdwnToMarkdown(e.text, names), written)),
          link: messagePermalink(input.workspaceUrl, e.data.channel, e.data.ts),
        };
      }
      return { at: e.at, source: 'timeline', kind: e.kind, who: nameOf(e.actor), text: oneLine(mrkdwnToMarkdown(eventText(e), names)) };
    });
  const opened = firstEvent(['opened'])?.at ?? incident.createdAt;
  const firstAlert = firstEvent(['alert_fired'])?.at ?? null;
  const pinnedTs = new Set(events.flatMap((e) => (e.kind === 'pinned' ? [e.data.ts] : [])));
  const scored = scoreMessages(
    people
      .filter((m) => !pinnedTs.has(m.message.ts))
      .map((m) => ({ markdown: m.markdown, who: m.author, at: m.at, link: m.link, place: m.place })),
    { incidentOpened: opened, firstAlert },
  );
  const maxThread = input.maxThreadEntries ?? KEY_MOMENTS;
  const picked = pickMoments(scored, Math.min(maxThread, Math.max(4, KEY_MOMENTS - recorded.length)));
  const byLink = new Map(people.map((m) => [m.link, m.message]));
  const fromThread: TimelineEntry[] = picked.map((p) => {
    const m = byLink.get(p.link);
    const files = m?.files.length ? ` (file${m.files.length > 1 ? 's' : ''}: ${m.files.map((f) => f.title ?? f.name).join(', ')})` : '';
    return {
      at: p.at,
      source: 'thread',
      kind: 'message',
      who: p.who,
      text: `${p.text}${files}${m?.edited ? ' _(edited)_' : ''}${p.statedAt ? ` _(written ${p.postedAt.toISOString().slice(11, 16)} UTC)_` : ''}`,
      link: p.link,
    };
  });
  const omitted = all.filter((m) => !m.message.fromThisBot).length - fromThread.length;
  const timeline = [...recorded, ...fromThread].sort(
    (a, b) => a.at.getTime() - b.at.getTime() || (a.source === b.source ? 0 : a.source === 'timeline' ? -1 : 1),
  );

  const narrative: NarrativeSource[] = [
    ...events
      .filter((e) => e.kind === 'status_update')
      .map((e) => ({ markdown: mrkdwnToMarkdown(e.text, names), who: nameOf(e.actor), at: e.at, statusUpdate: true })),
    ...people.map((m) => ({ markdown: m.markdown, who: m.author, at: m.at, link: m.link })),
  ].sort((a, b) => a.at.getTime() - b.at.getTime());

  const first = (kinds: string[]): Date | null => events.find((e) => kinds.includes(e.kind))?.at ?? null;
  const start = incident.startedAt;
  const alertFired = events.filter((e) => e.kind === 'alert_fired');
  const firstFired = alertFired[0];
  const detection = firstFired && firstFired.at < opened ? firstFired.at : opened;
  const detectionSource =
    firstFired && firstFired.at < opened
      ? `alert ${firstFired.kind === 'alert_fired' ? firstFired.data.name : ''} fired`.replace('  ', ' ')
      : 'incident opened';
  // Incidents opened from an alert before alert_fired was recorded have only alert_linked: their start is the alert's.
  const fromAlert =
    (firstFired && Math.abs(start.getTime() - firstFired.at.getTime()) < 1000) ||
    (!firstFired && events.some((e) => e.kind === 'alert_linked') && start < opened);
  const startSource: PostmortemFacts['startSource'] =
    Math.abs(start.getTime() - opened.getTime()) < 1000 ? 'opened' : fromAlert ? 'alert' : 'stated';
  // The first acknowledgement: the incident's, or an alert's (before the incident was opened, too).
  const acks = events
    .filter((e) => e.kind === 'acknowledged' || e.kind === 'alert_acknowledged')
    .map((e) => ({
      at: e.at,
      by: e.actor,
      what: e.kind === 'acknowledged' ? 'the incident' : e.text.replace(/^Alert (.*) acknowledged$/, 'alert $1'),
    }));
  if (incident.acknowledgedAt && incident.acknowledgedBy)
    acks.push({ at: incident.acknowledgedAt, by: incident.acknowledgedBy, what: 'the incident' });
  acks.sort((a, b) => a.at.getTime() - b.at.getTime());
  const ack = acks[0];
  const acknowledged = ack?.at ?? null;
  const mitigated = incident.mitigatedAt ?? first(['mitigated']);
  const resolved = incident.resolvedAt ?? first(['resolved']);
  const respondedAt = acknowledged ?? mitigated ?? resolved;
  // The severity at detection: as opened, then any change made before detection (an incident opened after its alert has none).
  let severity =
    firstEvent(['opened'])?.kind === 'opened' ? (firstEvent(['opened']) as TimelineEventOf<'opened'>).data.severity : incident.severity;
  for (const e of events) if (e.kind === 'severity_changed' && e.at <= detection) severity = e.data.to;
  const slaMinutes = RESPONSE_SLA_MINUTES[severity];
  const met = respondedAt
    ? minutesBetween(detection, respondedAt) <= slaMinutes
    : minutesBetween(detection, now) <= slaMinutes
      ? null
      : false;

  const participants: string[] = [];
  const addParticipant = (name: string): void => {
    if (!participants.includes(name)) participants.push(name);
  };
  const actors = [incident.createdBy, incident.acknowledgedBy, incident.mitigatedBy, incident.resolvedBy, ...events.map((e) => e.actor)];
  const chronological = [
    ...events.map((e) => ({ at: e.at.getTime(), who: e.actor, person: USER_ID.test(e.actor) })),
    ...people.map((m) => ({ at: m.at.getTime(), who: m.message.userId ?? m.message.author, person: true })),
  ].sort((a, b) => a.at - b.at);
  for (const p of chronological) if (p.person) addParticipant(USER_ID.test(p.who) ? nameOf(p.who) : `@${p.who}`);
  for (const p of actors) if (p && USER_ID.test(p)) addParticipant(nameOf(p));

  return {
    incident,
    start,
    startSource,
    detection,
    detectionSource,
    acknowledged,
    acknowledgedBy: ack ? nameOf(ack.by) : null,
    acknowledgedWhat: ack?.what ?? null,
    mitigated,
    resolved,
    timeToAcknowledgeMinutes: acknowledged ? minutesBetween(detection, acknowledged) : null,
    timeToMitigateMinutes: mitigated ? minutesBetween(detection, mitigated) : null,
    timeToResolveMinutes: resolved ? minutesBetween(detection, resolved) : null,
    impactMinutes: minutesBetween(start, mitigated ?? resolved ?? now),
    durationMinutes: minutesBetween(start, resolved ?? now),
    ongoing: !resolved,
    sla: { minutes: slaMinutes, met, respondedAt, severity },
    actionItems,
    impact: impactStatements(narrative),
    rootCauses: rootCauseStatements(narrative),
    lessons: lessons(narrative),
    participants,
    peaks: peakValues(events),
    timeline,
    omittedMessages: omitted,
    ...(input.threadProblem ? { threadProblem: input.threadProblem } : {}),
    statements,
    thread: thread
      ? {
          link: messagePermalink(input.workspaceUrl, thread.channel, thread.threadTs),
          messages: thread.messages.length,
          people: new Set(thread.messages.filter((m) => !m.isBot).map((m) => m.userId ?? m.author)).size,
          bots: thread.messages.filter((m) => m.isBot).length,
          edited: thread.messages.filter((m) => m.edited).length,
          files: thread.messages.reduce((n, m) => n + m.files.length, 0),
        }
      : null,
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
