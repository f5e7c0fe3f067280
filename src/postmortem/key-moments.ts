import { writtenTimes, withUtcTimes } from './message-times';

/**
 * Which messages are moments of the incident's timeline, beside the recorded events. A message is a moment when it
 * states something that happened: an action in the past tense ("rolled back", "terminated 71 sessions", "backlog
 * drained"), a change announced before the incident (a deploy, a config push), a finding with figures ("pool at
 * 96/100", "found it"), an earlier time it names for an event ("first failures at 14:40 CET" is placed at 13:40 UTC),
 * or the first report when people noticed before any alert. Questions, jokes and intentions ("rolling back now") are
 * discussion.
 */

export interface MomentSource {
  markdown: string;
  /** `@name`, or a bot's name. */
  who: string;
  at: Date;
  link: string;
  /** Where it was written: the incident's thread, an alert's thread, the channel, or another thread of the channel. */
  place: 'incident' | 'alert' | 'channel' | 'thread';
}

export interface MessageMoment {
  at: Date;
  who: string;
  /** One line of Markdown, times in other zones followed by their UTC time. */
  text: string;
  link: string;
  score: number;
  /** The moment is placed at a time the message names, not at the time it was posted. */
  statedAt?: Date;
  postedAt: Date;
}

const DONE =
  /\b(?:applied|reverted|rolled back|restarted|terminated|killed|drained|deployed|rolled out|scaled (?:up|down|out)|disabled|enabled|flushed|cancell?ed|re-?queued|failed over|restored|merged|shipped|purged|fixed|bumped|is live|went out|back to normal|is back|back up|recovered|set .{1,60}\bback to)\b/i;
const CHANGE =
  /\b(?:deploy(?:ing|ed)?|rolling out|config(?:uration)? change|config(?:uration)?[- ]sync|going out|releas(?:e|ed|ing)|migration|upgrad(?:e|ed|ing))\b/i;
const FINDING_WORD =
  /\b(?:found it|found|says|shows|is at|are at|pinned at|OOMKilled|crash-?looping|evicted|exhausted|rejected)\b|^[\w./-]+:\s/i;
const FIGURE = /\b\d+(?:[.,]\d+)?\s*(?:%|ms|s|GB|MB|Gi|Mi|connections|sessions|restarts|rows|tasks|runs|errors)\b|\b\d+\/\d+\b/i;
const EVENT_AT = /\b(?:first|started|began|start|failures?|errors?|dropped|spiked|fell|rose|went down|broke)\b/i;
const INTENT = /\b(?:\w+ing)\b[^.]*\bnow\b|\bgoing to\b|\babout to\b|\bwill\b|\bI'll\b|\bplan\b/i;
/** A guess is not a moment: "could be pgbouncer again, it was restarted yesterday". */
const HEDGE = /\b(?:could be|might|maybe|perhaps|probably|possibly|I think|I guess|my guess)\b/i;
const JOKE = /\b(?:lol|lmao|rofl|rip|fun fact|haha)\b|😂|🤣|😅|🙃|🪦|👨‍⚖️/i;

/**
 * Scores each message; `incidentOpened` and `firstAlert` tell a report that came before the bot knew.
 *
 * @example
 *   scoreMessages(messages, { incidentOpened, firstAlert }).filter((m) => m.score >= 3)
 */
export function scoreMessages(messages: readonly MomentSource[], ctx: { incidentOpened: Date; firstAlert: Date | null }): MessageMoment[] {
  // The first report people posted before the incident was opened: how it was noticed before any alert, else the
  // first word of what users see (support tickets) beside the alert.
  const firstHumanReport = messages.find((m) => m.place === 'channel' && m.at < ctx.incidentOpened && isReport(m.markdown));
  const reportScore = firstHumanReport && ctx.firstAlert && firstHumanReport.at >= ctx.firstAlert ? 3 : 4;
  const out: MessageMoment[] = [];
  const statedMinutes = new Set<number>();
  for (const m of messages) {
    const text = withoutQuestions(firstSentences(m.markdown));
    if (!text) continue;
    let score = 0;
    let statedAt: Date | undefined;
    if (doneAction(text)) score = 4;
    if (CHANGE.test(text) && m.place === 'channel' && m.at < ctx.incidentOpened) score = Math.max(score, 4);
    if (m === firstHumanReport) score = Math.max(score, reportScore);
    const earlier = writtenTimes(text, m.at).find(
      (t) => m.at.getTime() - t.at.getTime() >= 2 * 60_000 && m.at.getTime() - t.at.getTime() <= 6 * 3600_000,
    );
    if (
      earlier &&
      EVENT_AT.test(text) &&
      /\b(?:at|since|from|around|about)\s+$/i.test(text.slice(0, earlier.index).replace(/\s*~\s*$/, ' '))
    ) {
      const minute = Math.floor(earlier.at.getTime() / 60_000);
      if (!statedMinutes.has(minute)) {
        statedMinutes.add(minute);
        statedAt = earlier.at;
        score = Math.max(score, 4);
      }
    }
    if (score === 0 && FIGURE.test(text) && FINDING_WORD.test(text)) score = 3;
    if (score === 0 && /\bfound it\b/i.test(text)) score = 3;
    if (score > 0 && score < 4 && INTENT.test(text)) score = 0;
    if (score > 0 && !doneAction(text) && JOKE.test(text)) score = 0;
    if (HEDGE.test(text) && !statedAt) score = 0;
    if (score === 0) continue;
    out.push({
      at: statedAt ?? m.at,
      who: m.who,
      text: withUtcTimes(text, m.at),
      link: m.link,
      score,
      ...(statedAt ? { statedAt } : {}),
      postedAt: m.at,
    });
  }
  return out;
}

/**
 * The messages to show: the best-scored first, as many as `slots`, then in time order.
 */
export function pickMoments(scored: readonly MessageMoment[], slots: number): MessageMoment[] {
  const ranked = [...scored].sort((a, b) => b.score - a.score || a.postedAt.getTime() - b.postedAt.getTime());
  return ranked.slice(0, Math.max(0, slots)).sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** A message that reports trouble ("customers report …", "support is getting tickets …", "checkout is failing"). */
export function isReport(markdown: string): boolean {
  return /\b(?:customers?|users?|report(?:s|ed)?|tickets?|failing|fail|errors?|down|slow|broken)\b/i.test(markdown);
}

/** An action stated as done: not "before we killed it", not "until the backlog is drained". */
export function doneAction(text: string): boolean {
  const m = DONE.exec(text);
  if (!m) return false;
  return !/\b(?:before|until|once|if|when|unless)\b(?:\s+\S+){0,4}\s*$/i.test(text.slice(0, m.index));
}

function firstSentences(markdown: string, max = 300): string {
  const flat = markdown
    .replace(/```[\s\S]*?```/g, '`[code]`')
    .replace(/\s*\n+\s*/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The statements of a message without its questions ("… since 14:40 CET. Could someone have a look please?"). */
export function withoutQuestions(text: string): string {
  return text
    .split(/(?<=[.!?])\s+(?=\S)/)
    .filter((s) => !/\?\s*[^\p{L}\p{N}]*$/u.test(s))
    .join(' ')
    .trim();
}
