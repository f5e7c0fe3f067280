/**
 * Clock times people write in messages ("since about 14:40 CET", "at 09:58:40", "15:31 CEST") read as UTC instants
 * on the day of the message. A time without a zone is UTC (the bot's notifications and the draft use UTC).
 */

/** Offsets of the zone abbreviations people write, in minutes east of UTC. Ambiguous ones (IST, CST) are left out. */
const ZONES: Record<string, number> = {
  UTC: 0,
  GMT: 0,
  Z: 0,
  WET: 0,
  BST: 60,
  WEST: 60,
  CET: 60,
  CEST: 120,
  EET: 120,
  EEST: 180,
  MSK: 180,
  EST: -300,
  EDT: -240,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
  JST: 540,
  AEST: 600,
  AEDT: 660,
};

export interface WrittenTime {
  /** As written: `14:40:12 CET`. */
  text: string;
  /** The instant in UTC. */
  at: Date;
  /** The zone as written, or `UTC` when none was. */
  zone: string;
  /** Where it starts in the text. */
  index: number;
}

const TIME =
  /(?<![\d:.])([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(?![\d:])(?:\s*(UTC|GMT|Z|WET|BST|WEST|CET|CEST|EET|EEST|MSK|EST|EDT|CDT|MST|MDT|PST|PDT|JST|AEST|AEDT)\b)?/g;

/**
 * Every clock time written in `text`, as UTC instants on the UTC day of `postedAt` (the day before when that puts a
 * time more than 12 hours after the message: "23:50" written at 00:10).
 *
 * @example
 *   writtenTimes('first failures at 14:40:12 CET', new Date('2026-02-17T14:00:50Z'))[0].at  // 2026-02-17T13:40:12Z
 */
export function writtenTimes(text: string, postedAt: Date): WrittenTime[] {
  const out: WrittenTime[] = [];
  for (const m of text.matchAll(TIME)) {
    const zone = m[4] ?? 'UTC';
    const offset = ZONES[zone] ?? 0;
    const day = Date.UTC(postedAt.getUTCFullYear(), postedAt.getUTCMonth(), postedAt.getUTCDate());
    let at = day + (Number(m[1]) * 60 + Number(m[2]) - offset) * 60_000 + Number(m[3] ?? 0) * 1000;
    if (at - postedAt.getTime() > 12 * 3600_000) at -= 24 * 3600_000;
    if (postedAt.getTime() - at > 12 * 3600_000) at += 24 * 3600_000;
    out.push({ text: m[0], at: new Date(at), zone, index: m.index });
  }
  return out;
}

/**
 * The text with each time written in another zone followed by its UTC time: `15:31 CET (14:31 UTC)`, or
 * `(restarted, 15:31 CET = 14:31 UTC)` inside parentheses, where a second pair would read as a typo.
 */
export function withUtcTimes(text: string, postedAt: Date): string {
  let out = '';
  let last = 0;
  for (const t of writtenTimes(text, postedAt)) {
    out += text.slice(last, t.index + t.text.length);
    if (t.zone !== 'UTC' && t.zone !== 'GMT' && t.zone !== 'Z') {
      const hasSeconds = /:\d\d:\d\d/.test(t.text);
      const utc = `${t.at.toISOString().slice(11, hasSeconds ? 19 : 16)} UTC`;
      out += insideParentheses(text, t.index) ? ` = ${utc}` : ` (${utc})`;
    }
    last = t.index + t.text.length;
  }
  return out + text.slice(last);
}

function insideParentheses(text: string, index: number): boolean {
  let depth = 0;
  for (const ch of text.slice(0, index)) depth += ch === '(' ? 1 : ch === ')' && depth > 0 ? -1 : 0;
  return depth > 0;
}
