/**
 * Action items as people commit to them in an incident thread: "I'll …", "I will …", "will do", "on it", "I'll own …";
 * a request to a person ("@tom can you …", "kai, could you …") followed by that person's acceptance ("👍 will do"),
 * owned by whoever accepted; explicit markers (`TODO:`, `AI:`, `- [ ]`). Questions, negations, meta lines ("let's
 * collect follow-ups") and code are not commitments. Commitments made while the fire was still burning ("I'll take
 * IC", "I'll set it on both") are steps of the response, not follow-ups: before mitigation only a line with a ticket
 * or a due date counts. Investigation verbs ("I'll check them") are never follow-ups.
 */

export interface CommitmentSource {
  /** Markdown (after mrkdwn conversion: mentions are `@name`). */
  markdown: string;
  /** The author's display name, without `@`. */
  author: string;
  at: Date;
  link: string;
}

export interface ActionCandidate {
  /** What is to be done, as a sentence. */
  text: string;
  /** Display name (no `@`). */
  owner?: string;
  /** The owner's Slack user id, when the name is one person's in the messages read (set by the caller). */
  ownerId?: string;
  /** Ticket ids named in the commitment or its acceptance: `CC-1412`, `#4474`. */
  tickets: string[];
  /** Who wrote the line the item comes from (the acceptor for an accepted request). */
  author: string;
  at: Date;
  link: string;
  /** Which rule found it, for the explanation in the draft and in tests. */
  rule: 'self' | 'accepted_request' | 'marker';
  done?: boolean;
  /** Set once people decided in Slack (the draft shows who confirmed it). */
  confirmedBy?: string;
}

export interface CommitmentOptions {
  /** When the incident was mitigated (else resolved): commitments before it need a ticket or a due date. */
  firefightingUntil?: Date | null;
  /** Display names of the people in the thread (without `@`), to recognise "kai, can you …". */
  people?: readonly string[];
}

const TICKET = /\b[A-Z][A-Z0-9]{1,9}-\d{1,6}\b|(?<![\w&])#\d{2,7}\b/g;
const DUE =
  /\b(?:by|before|until)\s+(?:mon|tue|wed|thu|fri|sat|sun)\w*\b|\b(?:tomorrow|next week|this week|end of (?:the )?(?:day|week|sprint)|eod|eow)\b|\bby\s+\d{1,2}(?:st|nd|rd|th)?\b/i;
const SELF =
  /\b(?:I'll|I’ll|I will|I'm going to|I am going to|I can take|I'll own|I will own|will do|on it|I'll take|leave it with me|I'll handle)\b/i;
const ACCEPT_START =
  /^\s*(?:[^\p{L}\p{N}]*\s*)?(?:👍|\+1|yes|yep|yeah|yup|sure|ok|okay|will do|on it|absolutely|of course|can do|done|sounds good|i'll take it|i can do that|i'll do it|i'll do that|i'll have it)\b/iu;
const ACCEPT_ANY =
  /\b(?:will do|on it|I'll take it|I'll do it|I'll do that|I can do that|can do|I'll have it|I'll own it|I'll pick it up|sure thing)\b/i;
const REQUEST = /\b(?:can|could|would|will)\s+(?:you|u)\b|\bplease\b|\bcan you\b/i;
/** A negated commitment ("I won't …", "I don't think we need …", "no action items needed"), not a negation inside one. */
const NEGATION =
  /\b(?:I|we)\s+(?:won't|won’t|will not|wont|can't|cannot|can not|don't|do not|didn't)\b|\bnot needed\b|\bno need\b|\bnothing to do\b|\bno (?:action items?|follow[- ]?ups?)\b/i;
const META =
  /\b(?:let's|lets|let us)\s+(?:collect|gather|list|capture|do|go through|write down)\b.*\b(?:follow[- ]?ups?|action items?|AIs?)\b|^\s*(?:follow[- ]?ups?|action items?)\s*[,:]?\s*(?:please|pls)?[.!]?\s*$|\bbefore we close\b.*\bfollow[- ]?ups?\b/i;
const INVESTIGATION =
  /\b(?:I'll|I will|I'm going to)\s+(?:also\s+)?(?:check|look|have a look|take a look|dig|investigate|see|try|ping|watch|monitor|keep an eye|be|stay|join|grab|page|call)\b/i;
const MARKERS: RegExp[] = [
  /^\s*(?:[-*•]\s*)?\[\s\]\s*/,
  /^\s*(?:[-*•]\s*)?☐\s*/,
  /^\s*(?:[-*•]\s*)?(?:@[\w.-]+\s+)*(?:\*\*)?(?:TODO|AI|action items?|follow[- ]?ups?)(?:\*\*)?\s*[:\-–]\s*(?:\*\*)?\s*/i,
];
const DONE_MARKER = /^\s*(?:[-*•]\s*)?\[[xX]\]\s*/;
/** A request that points back at what was said just before ("can you take that one?"). */
const ANAPHORIC = /^(?:take|do|handle|own|pick up|look at)\s+(?:that|this|it)(?:\s+one)?\s*[?.!]*$/i;

interface OpenRequest {
  to: string;
  text: string;
  at: Date;
  link: string;
  by: string;
}

/**
 * The action items committed to in `messages` (oldest first).
 *
 * @example
 *   extractCommitments([
 *     { markdown: '@tom can you set idle_in_transaction_session_timeout?', author: 'sofia', at, link },
 *     { markdown: '👍 will do', author: 'tom', at, link },
 *   ]);
 *   // [{ text: 'Set idle_in_transaction_session_timeout', owner: 'tom', rule: 'accepted_request', … }]
 */
export function extractCommitments(messages: readonly CommitmentSource[], opts: CommitmentOptions = {}): ActionCandidate[] {
  const people = new Set((opts.people ?? []).map((p) => p.toLowerCase()));
  for (const m of messages) people.add(m.author.toLowerCase());
  const out: ActionCandidate[] = [];
  const open: OpenRequest[] = [];
  let previous: { text: string; author: string } | undefined;

  for (const m of messages) {
    const lines = withoutCode(m.markdown)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('>'));
    const firefighting = opts.firefightingUntil ? m.at < opts.firefightingUntil : false;
    for (const line of lines) {
      const tickets = line.match(TICKET) ?? [];
      const lateEnough = !firefighting || tickets.length > 0 || DUE.test(line);

      const marked = markerItem(line);
      if (marked) {
        if (!META.test(line) && marked.text && !isQuestion(marked.text)) {
          out.push({
            text: sentence(marked.text),
            ...(marked.owner ? { owner: marked.owner } : {}),
            tickets,
            author: m.author,
            at: m.at,
            link: m.link,
            rule: 'marker',
            ...(marked.done ? { done: true } : {}),
          });
        }
        continue;
      }
      if (META.test(line)) continue;

      // An acceptance of a request addressed to this author, made in the last half hour.
      const request = [...open].reverse().find((r) => r.to === m.author.toLowerCase() && m.at.getTime() - r.at.getTime() <= 30 * 60_000);
      if (request && (ACCEPT_START.test(line) || ACCEPT_ANY.test(line)) && !NEGATION.test(line) && !isQuestion(line)) {
        open.splice(open.indexOf(request), 1);
        const requestTickets = request.text.match(TICKET) ?? [];
        const all = [...new Set([...requestTickets, ...tickets])];
        const missing = tickets.filter((t) => !request.text.includes(t));
        out.push({
          text: sentence(`${request.text}${missing.length ? ` — ${missing.join(', ')}` : ''}`),
          owner: m.author,
          tickets: all,
          author: m.author,
          at: m.at,
          link: m.link,
          rule: 'accepted_request',
        });
        continue;
      }

      // A request to a person: remembered until they accept it.
      const addressed = addressee(line, people, m.author);
      if (addressed && REQUEST.test(line)) {
        let text = requestBody(line, addressed.raw);
        if (ANAPHORIC.test(text) && previous) text = suggestionBody(previous.text) ?? text;
        open.push({ to: addressed.name, text, at: m.at, link: m.link, by: m.author });
        continue;
      }

      if (SELF.test(line) && !NEGATION.test(line) && !isQuestion(line) && !INVESTIGATION.test(line) && lateEnough) {
        const text = selfBody(line);
        if (text.split(/\s+/).filter((w) => /\p{L}/u.test(w)).length >= 3) {
          out.push({ text: sentence(text), owner: m.author, tickets, author: m.author, at: m.at, link: m.link, rule: 'self' });
        }
      }
    }
    previous = { text: lines.join(' '), author: m.author };
  }
  return out;
}

function markerItem(line: string): { text: string; owner?: string; done?: boolean } | undefined {
  let text: string | undefined;
  const done = DONE_MARKER.test(line);
  if (done) text = line.replace(DONE_MARKER, '');
  else
    for (const re of MARKERS)
      if (re.test(line)) {
        text = line.replace(re, '');
        break;
      }
  if (text === undefined) return undefined;
  text = text.replace(/^[-*•]\s+/, '').trim();
  const owner = /(?:^|\s)@([\w.-]+)/.exec(text)?.[1];
  const broadcast = owner === 'here' || owner === 'channel' || owner === 'everyone';
  // "AI: @bob to add an index" reads "Add an index" with bob as the owner.
  if (owner && !broadcast) text = text.replace(new RegExp(`^@${owner.replace(/[.]/g, '\\.')}\\s*(?:[:,-]\\s*)?(?:to\\s+)?`), '');
  return { text, ...(owner && !broadcast ? { owner } : {}), ...(done ? { done: true } : {}) };
}

/** Whom a line asks: `@tom …`, or a leading `kai, …` / `Felix, …` naming someone in the thread. */
function addressee(line: string, people: ReadonlySet<string>, author: string): { name: string; raw: string } | undefined {
  const mention = /@([\w.-]+)/.exec(line);
  if (
    mention &&
    !['here', 'channel', 'everyone'].includes(mention[1]!.toLowerCase()) &&
    mention[1]!.toLowerCase() !== author.toLowerCase()
  ) {
    return { name: mention[1]!.toLowerCase(), raw: mention[0] };
  }
  // "good idea. kai, can you take that one?" — the name right before the request.
  const named = /(?:^|[.!]\s+)([A-Za-z][\w.-]*)\s*[,:]\s*(?=(?:can|could|would|will|please)\b)/i.exec(line);
  if (named && people.has(named[1]!.toLowerCase()) && named[1]!.toLowerCase() !== author.toLowerCase())
    return { name: named[1]!.toLowerCase(), raw: named[0] };
  return undefined;
}

/** "@tom can you set X?" → "set X". */
function requestBody(line: string, raw: string): string {
  const at = line.indexOf(raw);
  const rest = at >= 0 ? line.slice(at + raw.length) : line;
  return rest
    .replace(/^[\s,:]*/, '')
    .replace(/^(?:please\s+)?(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?(?:also\s+)?/i, '')
    .replace(/^please\s+/i, '')
    .replace(/\s*\?+\s*$/, '')
    .trim();
}

/** "should we also lint migrations for long transactions?" → "lint migrations for long transactions". */
function suggestionBody(text: string): string | undefined {
  const m = /\b(?:should we|could we|can we|shall we|we should|maybe we should|what about)\s+(?:also\s+)?(.+?)\s*\??$/i.exec(text);
  return m ? m[1] : undefined;
}

/** "and I'll remove SKIP_MIGRATIONS from …" → "remove SKIP_MIGRATIONS from …"; "… gone. on it" → "… gone." */
function selfBody(line: string): string {
  return line
    .replace(/^(?:and|also|ok|okay|yes|sure|fine)[,\s]+/i, '')
    .replace(/^(?:I'll|I’ll|I will|I'm going to|I am going to)\s+(?:own|take|handle)?\s*:?\s*/i, (m) =>
      /own|take|handle/i.test(m) ? m.replace(/^(?:I'll|I’ll|I will|I'm going to|I am going to)\s+/i, '') : '',
    )
    .replace(/[,.;\s]*\b(?:on it|will do)\b[.!\s]*$/i, '')
    .replace(/\b(?:and )?I'll\s+/gi, '')
    .trim();
}

function sentence(text: string): string {
  const t = text
    .replace(/\s+/g, ' ')
    .replace(/\s*[,;:]\s*$/, '')
    .trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

function isQuestion(line: string): boolean {
  return /\?\s*(?:[^\p{L}\p{N}]*)$/u.test(line.replace(TICKET, '').trim());
}

/** Code is quoted output or source: a `TODO` inside it is not an action item. */
function withoutCode(markdown: string): string {
  return markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, (m) => (/\bTODO\b/.test(m) ? '' : m));
}
