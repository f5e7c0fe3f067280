/**
 * Statements the post-mortem pulls out of the discussion, each linked to the message it came from. Matching is by
 * line on the Markdown text (after mrkdwn conversion), so a message with three `[ ]` lines gives three action items.
 */
export type StatementKind = 'action_item' | 'root_cause' | 'impact' | 'decision' | 'lesson';

export interface Statement {
  kind: StatementKind;
  /** The statement, Markdown, without its marker (`TODO:`, `- [ ]`, `AI:`). */
  text: string;
  /** Who wrote it. */
  author: string;
  at: Date;
  /** Link to the message. */
  link: string;
  /** Action items: an `@owner` named in the item. */
  owner?: string;
  /** Action items written as `[x]`. */
  done?: boolean;
}

export interface SourceMessage {
  markdown: string;
  author: string;
  at: Date;
  link: string;
}

const ACTION_MARKERS: RegExp[] = [
  /^\s*(?:[-*•]\s*)?\[\s\]\s*/, // - [ ] checkbox
  /^\s*(?:[-*•]\s*)?☐\s*/,
  /^\s*(?:[-*•]\s*)?(?:\*\*)?(?:TODO|AI|action items?|follow[- ]?ups?)(?:\*\*)?\s*[:\-–]\s*(?:\*\*)?\s*/i,
];
const DONE_MARKER = /^\s*(?:[-*•]\s*)?\[[xX]\]\s*/;
const ACTION_ANYWHERE = /\bTODO\b|\baction items?\b|(?:^|\s)AI:|\bfollow[- ]?ups?\b/i;

const PATTERNS: Array<[Exclude<StatementKind, 'action_item'>, RegExp]> = [
  ['root_cause', /\broot[- ]cause\b|\bcaused by\b|\bRCA\b/i],
  ['impact', /\bimpact(?:ed|s)?\b|\baffected\b|\bcustomers?\b/i],
  ['decision', /\bdecided\b|\bdecisions?\b|\bwe will\b|\bwe'll\b/i],
  ['lesson', /\blessons?(?: learned)?\b|\bwent (?:well|wrong)\b|\bnext time\b/i],
];

/**
 * Every statement in the messages, in message order.
 *
 * @example
 *   extractStatements([{ markdown: 'TODO: add an index on tasks.state @bob', author: 'alice', at, link }])
 *   // [{ kind: 'action_item', text: 'add an index on tasks.state @bob', owner: 'bob', … }]
 */
export function extractStatements(messages: readonly SourceMessage[]): Statement[] {
  const out: Statement[] = [];
  for (const m of messages) {
    const lines = withoutCode(m.markdown)
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    for (const line of lines) {
      const base = { author: m.author, at: m.at, link: m.link };
      const action = actionItem(line);
      if (action) {
        out.push({ kind: 'action_item', ...base, ...action });
        continue;
      }
      for (const [kind, re] of PATTERNS) {
        if (!re.test(line) || (kind === 'decision' && !isDecision(line))) continue;
        out.push({ kind, ...base, text: stripLeadIn(line) });
        break;
      }
    }
  }
  return out;
}

function actionItem(line: string): { text: string; owner?: string; done?: boolean } | undefined {
  const done = DONE_MARKER.test(line);
  let text: string | undefined;
  if (done) text = line.replace(DONE_MARKER, '');
  else {
    for (const re of ACTION_MARKERS) {
      if (re.test(line)) {
        text = line.replace(re, '');
        break;
      }
    }
    if (text === undefined && ACTION_ANYWHERE.test(line)) text = line;
  }
  if (text === undefined) return undefined;
  text = stripLeadIn(text);
  if (!text) return undefined;
  const owner = /(?:^|\s)@([\w.-]+)/.exec(text)?.[1];
  const isBroadcast = owner === 'here' || owner === 'channel' || owner === 'everyone';
  return { text, ...(owner && !isBroadcast ? { owner } : {}), ...(done ? { done: true } : {}) };
}

/**
 * A decision states what was chosen: not a question ("will we roll back?"), not a remark about the review itself
 * ("we'll get to the why in the post-mortem").
 */
function isDecision(line: string): boolean {
  return !/\?\s*\S{0,3}\s*$/.test(line) && !/\b(?:post-?mortem|retro(?:spective)?|review meeting)\b/i.test(line);
}

/** Drops list bullets and quote markers so a statement reads as a sentence. */
function stripLeadIn(line: string): string {
  return line
    .replace(/^(?:>\s*)+/, '')
    .replace(/^[-*•]\s+/, '')
    .trim();
}

/** Code is quoted output, not a statement: `TODO` inside a stack trace is not an action item. */
function withoutCode(markdown: string): string {
  return markdown.replace(/```[\s\S]*?```/g, '');
}
