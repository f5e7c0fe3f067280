import { doneAction, withoutQuestions } from './key-moments';

/**
 * The narrative sections from what people wrote: Impact (lines with figures, questions skipped, a later correction
 * replacing what it corrects), root-cause candidates (the resolution's, then the status updates' "Cause identified:",
 * then the thread's), lessons sorted into went well / went badly / lucky.
 */

export interface NarrativeSource {
  markdown: string;
  who: string;
  at: Date;
  link?: string;
  /** A status update recorded with `/incident update` (weighs more than a chat line). */
  statusUpdate?: boolean;
}

export interface NarrativeLine {
  text: string;
  who: string;
  at: Date;
  link?: string;
  statusUpdate?: boolean;
}

const IMPACT =
  /\b(?:customers?|users?|tenants?|accounts?|requests?|writes?|saves?|tasks?|workflows?|runs?|errors?|error rate|5xx|failing|failed|fail|timeouts?|latency|p9[59]|down|tickets?|affected|outage|search)\b/i;
/** A figure stands alone ("~1,200", "38%", "XLEN 48210"), not inside a name ("worker-7", "p95"). */
const FIGURE = /(?<![\w-])~?\d[\d,.]*\s*(?:%|k|K|M|ms|s|min|h)?(?![\w-])/;
/** What was hurt, and how: an impact line says something failed, was slow or unavailable, not only that it changed. */
const HURT =
  /\b(?:fail(?:s|ed|ing|ures?)?|errors?|error rate|5xx|timeouts?|timing out|down|slow|crawling|unavailable|not (?:saving|loading|working)|can't|cannot|rejected|refused|declin(?:e|es|ed|ing)|denied|broken|stuck|delayed|dropped|lost|tickets?|affected|outage|degraded|latency|p9[59]|p50)\b/i;
/** Someone looked and it was fine ("provider p95 is 180ms, normal. not them"), or it is getting better. */
const NOT_HURT =
  /\b(?:normal|healthy|fine|as expected|not them|not it|going down|recovering|improving|down from|back (?:to|at|under|below))\b/i;
/** A change being made or announced ("deploying 2.14.0", "config-sync run finished"): what set it off, not what it hurt. */
const CHANGE =
  /\b(?:deploy(?:ing|ed)?|rolling out|roll-?out|config(?:uration)?[- ](?:change|sync|push)|releas(?:e|ed|ing)|upgrad(?:e|ed|ing))\b/i;
/** Who or what people use: the subject of an impact sentence in a status update without an `Impact:` label. */
const USED =
  /\b(?:customers?|users?|tenants?|accounts?|requests?|writes?|saves?|tasks?|workflows?|runs?|search|checkout|logins?|payments?|orders?|pages?|api)\b/i;
/** A commitment, a proposal or what to tell people ("say we're aware of failed saves, next update in 30 min"). */
const NOT_A_STATEMENT =
  /\b(?:I'll|I’ll|I will|I'm going to|we need|we should|let's|please|say (?:we|that)|tell (?:them|customers|users)|next update)\b/i;
const LABELLED = /^[\w -]{2,30}:\s/;
const CORRECTION = /^\s*(?:correction|actually|update|edit|to correct)\b\s*[:,-]?\s*/i;
const CAUSE_MARKER = /\b(?:cause identified|root cause|cause)\s*[:—-]\s*/i;
const CAUSE_WORDS = /\b(?:root cause|caused by|the cause (?:is|was)(?!\s+(?:found|identified|not|unknown|unclear)))\b/i;
const LESSON = /\b(went well|went badly|went wrong|did not go well|didn't go well|lucky|got lucky|lessons? learned)\s*:\s*/gi;

/** Impact statements: status updates' "Impact: …" first, then thread lines with a figure; no questions, corrections applied. */
export function impactStatements(sources: readonly NarrativeSource[]): NarrativeLine[] {
  const lines: NarrativeLine[] = [];
  for (const s of sources) {
    if (s.statusUpdate) {
      const text = statusUpdateImpact(s.markdown);
      if (text) lines.push({ text, who: s.who, at: s.at, ...(s.link ? { link: s.link } : {}), statusUpdate: true });
      continue;
    }
    const text = withoutQuestions(
      s.markdown
        .replace(/```[\s\S]*?```/g, '')
        .replace(/\s*\n+\s*/g, ' ')
        .trim(),
    );
    // Impact is who and what was hurt: not what was done about it, not a change announced, not a check that came back
    // fine, not the lessons.
    if (!text || !IMPACT.test(text) || !FIGURE.test(text) || !HURT.test(text) || NOT_HURT.test(text) || doneAction(text)) continue;
    if (NOT_A_STATEMENT.test(text)) continue;
    if ((CHANGE.test(text) && !/\b(?:fail|error|5xx|timeout)/i.test(text)) || /\b(?:went well|went badly|lucky)\s*:/i.test(text)) continue;
    const line: NarrativeLine = { text, who: s.who, at: s.at, ...(s.link ? { link: s.link } : {}) };
    if (CORRECTION.test(text)) {
      // A correction replaces the earlier line about the same thing (two shared words of three letters or more).
      const words = significantWords(text);
      const i = findLastIndex(lines, (l) => !l.statusUpdate && [...significantWords(l.text)].filter((w) => words.has(w)).length >= 2);
      if (i >= 0) lines.splice(i, 1);
    }
    lines.push(line);
  }
  // The status updates' impact first: it is what the incident commander stated.
  return [...lines.filter((l) => l.statusUpdate).reverse(), ...lines.filter((l) => !l.statusUpdate)];
}

/**
 * The impact a status update states: its `Impact:` part, else its sentences that say what people use was hurt
 * ("Enterprise tenants with a 5 s client timeout see search failing."), leaving out labelled parts (Cause identified:, Fix:).
 */
function statusUpdateImpact(markdown: string): string | undefined {
  const m = /\bImpact\s*:\s*([^]*?)(?:\s+(?:Next(?: update)?|Cause identified|Fix|Mitigated)\b|$)/i.exec(markdown);
  if (m?.[1]) return m[1].trim();
  const sentences = markdown
    .replace(/\s*\n+\s*/g, ' ')
    .split(/(?<=[.!?])\s+(?=[A-Z])/)
    .filter((x) => !LABELLED.test(x) && !/\?\s*$/.test(x) && USED.test(x) && HURT.test(x) && !NOT_HURT.test(x) && !doneAction(x));
  return sentences.length ? sentences.join(' ').trim() : undefined;
}

/** Root-cause candidates, most authoritative first: status updates' "Cause identified:" (latest first), then thread lines. */
export function rootCauseStatements(sources: readonly NarrativeSource[]): NarrativeLine[] {
  const fromUpdates: NarrativeLine[] = [];
  const fromThread: NarrativeLine[] = [];
  for (const s of sources) {
    const flat = s.markdown
      .replace(/```[\s\S]*?```/g, '')
      .replace(/\s*\n+\s*/g, ' ')
      .trim();
    const marker = CAUSE_MARKER.exec(flat);
    if (marker) {
      const rest = flat.slice(marker.index + marker[0].length);
      // The cause is the sentence after the marker, up to what comes next in an update (Impact:, Fix:, Next …).
      // The cause is its first sentence: what follows in an update is the impact, the fix or the next step.
      const cause = rest.split(/\s+(?:Impact|Fix|Next(?: update)?|Rolled back|Mitigated)\b\s*[:]?|(?<=[.!])\s+(?=[A-Z])/)[0]!.trim();
      if (cause && !/\?\s*$/.test(cause))
        (s.statusUpdate ? fromUpdates : fromThread).push({
          text: cause,
          who: s.who,
          at: s.at,
          ...(s.link ? { link: s.link } : {}),
          ...(s.statusUpdate ? { statusUpdate: true } : {}),
        });
      continue;
    }
    const text = withoutQuestions(flat);
    // "Went well: the cause was found in 10 minutes" is a lesson, not a cause.
    LESSON.lastIndex = 0;
    if (text && CAUSE_WORDS.test(text) && !LESSON.test(text))
      fromThread.push({ text, who: s.who, at: s.at, ...(s.link ? { link: s.link } : {}) });
  }
  return [...fromUpdates.reverse(), ...fromThread];
}

export interface Lessons {
  wentWell: NarrativeLine[];
  wentBadly: NarrativeLine[];
  lucky: NarrativeLine[];
  /** "Lesson learned: …" that says neither. */
  learned: NarrativeLine[];
}

/** "went well: … went badly: … lucky: …" in one message or several, split into the three lists. */
export function lessons(sources: readonly NarrativeSource[]): Lessons {
  const out: Lessons = { wentWell: [], wentBadly: [], lucky: [], learned: [] };
  for (const s of sources) {
    const flat = s.markdown
      .replace(/```[\s\S]*?```/g, '')
      .replace(/\s*\n+\s*/g, ' ')
      .trim();
    const marks = [...flat.matchAll(LESSON)];
    marks.forEach((m, i) => {
      const end = i + 1 < marks.length ? marks[i + 1]!.index : flat.length;
      const text = flat
        .slice(m.index + m[0].length, end)
        .replace(/[\s.;,]+$/, '')
        .trim();
      if (!text) return;
      const kind = m[1]!.toLowerCase();
      const line = { text: text.charAt(0).toUpperCase() + text.slice(1), who: s.who, at: s.at, ...(s.link ? { link: s.link } : {}) };
      if (kind === 'went well') out.wentWell.push(line);
      else if (kind.includes('lucky')) out.lucky.push(line);
      else if (kind.includes('learned')) out.learned.push(line);
      else out.wentBadly.push(line);
    });
  }
  return out;
}

/** A message that corrects a figure or a name said before ("correction: hit rate is 9%, not 11%"). */
export interface Correction {
  right: string;
  wrong: string;
  /** The words of the correction, to find the statement it corrects. */
  words: Set<string>;
  at: Date;
}

/** The correction a message makes, when it is one: "correction: …X, not Y", "actually it's X, not Y". */
export function correctionIn(markdown: string, at: Date): Correction | undefined {
  const rest = /^\s*(?:correction|actually|to correct)\b\s*[:,-]?\s*(.+)$/is.exec(markdown)?.[1];
  const m = rest && /(\S+?)[,;]?\s+not\s+([^\s,;!]+?)[.,;!]?(?:\s|$)/i.exec(rest);
  if (!m || m[1]!.toLowerCase() === m[2]!.toLowerCase()) return undefined;
  return { right: m[1]!, wrong: m[2]!, words: significantWords(rest), at };
}

/**
 * A statement as a later correction leaves it: the wrong value replaced by the right one, saying so, when the
 * correction came after it, shares a word with it and the wrong value appears in it once.
 *
 * @example
 *   corrected('hit rate dropped from 92% to 11% at 07:52', at, [correctionIn('correction: hit rate is 9%, not 11%', later)!])
 *   // 'hit rate dropped from 92% to 9% at 07:52 _(corrected at 08:25 UTC: 11% → 9%)_'
 */
export function corrected(text: string, at: Date, corrections: readonly Correction[]): string {
  let out = text;
  for (const c of corrections) {
    if (c.at <= at) continue;
    const wrong = new RegExp(`(?<![\\w.])${c.wrong.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w%])`, 'g');
    const shared = [...significantWords(out)].some((w) => c.words.has(w));
    if (!shared || (out.match(wrong) ?? []).length !== 1) continue;
    out = `${out.replace(wrong, c.right)} _(corrected at ${c.at.toISOString().slice(11, 16)} UTC: ${c.wrong} → ${c.right})_`;
  }
  return out;
}

function significantWords(text: string): Set<string> {
  return new Set(
    (text.toLowerCase().match(/[a-z][a-z-]{2,}/g) ?? []).filter(
      (w) => !['the', 'and', 'not', 'was', 'were', 'from', 'correction', 'actually', 'reading', 'wrong'].includes(w),
    ),
  );
}

function findLastIndex<T>(items: readonly T[], pred: (t: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (pred(items[i]!)) return i;
  return -1;
}
