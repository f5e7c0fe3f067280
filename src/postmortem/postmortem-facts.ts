import { RESPONSE_SLA_MINUTES } from '../incidents/severity';
import type { Incident } from '../domain/incident';
import type { TimelineEvent, TimelineEventOf, TimelineFigure } from '../domain/timeline-event';
import { extractStatements, type SourceMessage, type Statement } from './extract';
import { mrkdwnToMarkdown } from './mrkdwn-to-markdown';
import { messagePermalink, tsToDate, type ThreadContents } from './thread-reader';

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
  detection: Date;
  acknowledged: Date | null;
  mitigated: Date | null;
  resolved: Date | null;
  timeToAcknowledgeMinutes: number | null;
  timeToMitigateMinutes: number | null;
  timeToResolveMinutes: number | null;
  /** Start to resolution, or to `now` while the incident is active. */
  durationMinutes: number;
  ongoing: boolean;
  sla: { minutes: number; met: boolean | null; respondedAt: Date | null };
  participants: string[];
  peaks: PeakValue[];
  timeline: TimelineEntry[];
  /** Thread messages left out of the timeline (ordinary discussion). */
  omittedMessages: number;
  statements: Statement[];
  thread: { link: string; messages: number; people: number; bots: number; edited: number; files: number } | null;
}

export interface BuildFactsInput {
  incident: Incident;
  events: readonly TimelineEvent[];
  thread?: ThreadContents;
  /** user id → name for timeline actors (the thread's own names are used too). */
  names?: ReadonlyMap<string, string>;
  now: Date;
  /** `https://acme.slack.com`; links to messages start with it. */
  workspaceUrl: string;
  /** Thread messages listed in the timeline at most (recorded events are always listed). Default 200. */
  maxThreadEntries?: number;
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

  // The thread, converted once; this bot's own posts repeat the recorded events and are left out of the statements.
  const messages = (thread?.messages ?? []).map((m) => ({
    message: m,
    at: tsToDate(m.ts),
    markdown: mrkdwnToMarkdown(m.text, names),
    link: messagePermalink(input.workspaceUrl, thread!.channel, m.ts, thread!.threadTs),
    author: m.isBot ? m.author : `@${m.author}`,
  }));
  const discussion: SourceMessage[] = messages.filter((m) => !m.message.fromThisBot).map((m) => ({ markdown: m.markdown, author: m.author, at: m.at, link: m.link }));
  const statements = extractStatements(discussion);
  const notable = new Set(statements.map((s) => s.link));

  const recorded: TimelineEntry[] = events.map((e) => ({
    at: e.at,
    source: 'timeline',
    kind: e.kind,
    who: nameOf(e.actor),
    text: oneLine(mrkdwnToMarkdown(eventText(e), names)),
  }));
  const maxThread = input.maxThreadEntries ?? 200;
  const fromThread: TimelineEntry[] = [];
  let omitted = 0;
  for (const m of messages) {
    const own = m.message.fromThisBot && events.length > 0;
    const listed = !own && (m.message.isBot || notable.has(m.link) || m.message.files.length > 0 || m === messages[0]);
    if (!listed || fromThread.length >= maxThread) {
      if (!own) omitted += 1;
      continue;
    }
    const files = m.message.files.length ? ` (file${m.message.files.length > 1 ? 's' : ''}: ${m.message.files.map((f) => f.title ?? f.name).join(', ')})` : '';
    fromThread.push({
      at: m.at,
      source: 'thread',
      kind: m.message.isBot ? 'alert' : 'message',
      who: m.author,
      text: `${oneLine(m.markdown) || '(no text)'}${files}${m.message.edited ? ' _(edited)_' : ''}`,
      link: m.link,
    });
  }
  const timeline = [...recorded, ...fromThread].sort((a, b) => a.at.getTime() - b.at.getTime() || (a.source === b.source ? 0 : a.source === 'timeline' ? -1 : 1));

  const first = (kinds: string[]): Date | null => events.find((e) => kinds.includes(e.kind))?.at ?? null;
  const start = incident.startedAt;
  const alertSeen = [incident.createdAt, first(['alert_linked']), messages.find((m) => m.message.isBot && !m.message.fromThisBot)?.at ?? null]
    .filter((d): d is Date => d !== null)
    .map((d) => d.getTime());
  const detection = new Date(Math.max(start.getTime(), Math.min(...alertSeen)));
  const acknowledged = incident.acknowledgedAt ?? first(['acknowledged', 'alert_acknowledged']);
  const mitigated = incident.mitigatedAt ?? first(['mitigated']);
  const resolved = incident.resolvedAt ?? first(['resolved']);
  const respondedAt = acknowledged ?? mitigated ?? resolved;
  const slaMinutes = RESPONSE_SLA_MINUTES[incident.severity];
  const met = respondedAt ? minutesBetween(start, respondedAt) <= slaMinutes : minutesBetween(start, now) <= slaMinutes ? null : false;

  const participants: string[] = [];
  const addParticipant = (name: string): void => {
    if (!participants.includes(name)) participants.push(name);
  };
  const people = [incident.createdBy, incident.acknowledgedBy, incident.mitigatedBy, incident.resolvedBy, ...events.map((e) => e.actor)];
  const chronological = [
    ...events.map((e) => ({ at: e.at.getTime(), who: e.actor, person: USER_ID.test(e.actor) })),
    ...messages.filter((m) => !m.message.isBot).map((m) => ({ at: m.at.getTime(), who: m.message.userId ?? m.message.author, person: true })),
  ].sort((a, b) => a.at - b.at);
  for (const p of chronological) if (p.person) addParticipant(USER_ID.test(p.who) ? nameOf(p.who) : `@${p.who}`);
  for (const p of people) if (p && USER_ID.test(p)) addParticipant(nameOf(p));

  return {
    incident,
    start,
    detection,
    acknowledged,
    mitigated,
    resolved,
    timeToAcknowledgeMinutes: acknowledged ? minutesBetween(start, acknowledged) : null,
    timeToMitigateMinutes: mitigated ? minutesBetween(start, mitigated) : null,
    timeToResolveMinutes: resolved ? minutesBetween(start, resolved) : null,
    durationMinutes: minutesBetween(start, resolved ?? now),
    ongoing: !resolved,
    sla: { minutes: slaMinutes, met, respondedAt },
    participants,
    peaks: peakValues(events),
    timeline,
    omittedMessages: omitted,
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
    for (const probe of e.data.probes) for (const f of probe.figures) {
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
  const flat = markdown.replace(/```[\s\S]*?```/g, '`[code]`').replace(/\s*\n+\s*/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
