import { badInput } from '../errors';
import {
  alertFingerprint,
  cleanAlertName,
  cleanText,
  LABEL_LIMITS,
  sanitizeLabels,
  textFingerprint,
  type AlertEvent,
  type AlertSource,
} from './alert-event';
import { severityFromLabelValue } from './alert-severity';

/** The parts of a Slack `message` event an alert post is read from (no @slack types in the core). */
export interface SlackAlertMessage {
  text?: string;
  username?: string;
  bot_id?: string;
  subtype?: string;
  attachments?: SlackAttachment[];
}

export interface SlackAttachment {
  title?: string;
  title_link?: string;
  text?: string;
  pretext?: string;
  fallback?: string;
  footer?: string;
  color?: string;
}

/**
 * A sender that is neither Alertmanager nor Grafana, recognised by a regular expression with
 * named groups: `name` (or `alertname`) is required, `status` is optional (a resolved word such
 * as "resolved", "ok", "recovered" makes it resolved), every other named group becomes a label.
 *
 * @example
 *   { name: 'nagios', regex: '^(?<status>PROBLEM|RECOVERY): (?<name>\\S+) on (?<instance>\\S+)', resolvedWords: ['RECOVERY'] }
 */
export interface AlertPatternConfig {
  name: string;
  regex: string;
  flags?: string;
  /** Only posts whose `username` or `bot_id` is in this list are tried (all posts when absent). */
  senders?: string[];
  resolvedWords?: string[];
}

export interface CompiledAlertPattern {
  name: string;
  regex: RegExp;
  senders?: string[];
  resolvedWords: string[];
}

const DEFAULT_RESOLVED_WORDS = ['resolved', 'ok', 'recovered', 'recovery', 'cleared', 'normal'];

/** Validates and compiles sender patterns; a bad one throws a BAD_INPUT naming the pattern and the problem. */
export function compileAlertPatterns(configs: readonly AlertPatternConfig[]): CompiledAlertPattern[] {
  return configs.map((c, i) => {
    const label = `alert pattern ${JSON.stringify(c.name ?? `#${i + 1}`)}`;
    let regex: RegExp;
    try {
      regex = new RegExp(c.regex, (c.flags ?? '').replace(/[gy]/g, ''));
    } catch (err) {
      throw badInput(`${label}: the regex does not compile (${(err as Error).message})`);
    }
    if (!/\(\?<(name|alertname)>/.test(c.regex)) {
      throw badInput(`${label}: the regex needs a named group (?<name>…) that captures the alert name`);
    }
    return {
      name: c.name,
      regex,
      ...(c.senders ? { senders: c.senders } : {}),
      resolvedWords: (c.resolvedWords ?? DEFAULT_RESOLVED_WORDS).map((w) => w.toLowerCase()),
    };
  });
}

export interface ParseSlackAlertOptions {
  /** When Slack received the post (its `ts`): Slack formats carry no start time. */
  receivedAt: Date;
  patterns?: readonly CompiledAlertPattern[];
}

/**
 * Reads the alerts out of a Slack post by Alertmanager (its default `slack_configs` templates,
 * plus the common `*Alert:*` / `• *label:* \`value\`` and ` - name = value` label-list templates),
 * Grafana (unified alerting and the legacy `[Alerting]`/`[OK]` titles) or a configured pattern.
 * Returns one event per alert listed in the post, or [] when the post is not an alert.
 *
 * @example
 *   parseSlackAlert(event, { receivedAt: tsToDate(event.ts) })
 *   // → [{ name: 'StuckDetected', status: 'firing', labels: { alertname: 'StuckDetected', … }, fingerprint: '…', … }]
 */
export function parseSlackAlert(message: SlackAlertMessage, opts: ParseSlackAlertOptions): AlertEvent[] {
  const parts = messageParts(message);
  for (const part of parts) {
    const title = parseTitle(part.title);
    if (!title) continue;
    const source: AlertSource = isGrafana(message, part) ? 'grafana-slack' : 'alertmanager-slack';
    return eventsFromPost(title, part, source, opts.receivedAt);
  }
  for (const pattern of opts.patterns ?? []) {
    if (pattern.senders && !pattern.senders.some((s) => s === message.username || s === message.bot_id)) continue;
    for (const part of parts) {
      const m = pattern.regex.exec([part.title, part.text].filter(Boolean).join('\n'));
      const groups = m?.groups;
      const rawName = groups?.name ?? groups?.alertname;
      if (!groups || !rawName) continue;
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(groups)) if (v !== undefined && !['name', 'alertname', 'status'].includes(k)) labels[k] = v;
      const name = cleanAlertName(rawName);
      const clean = { ...sanitizeLabels(labels), alertname: name };
      const resolved = groups.status !== undefined && pattern.resolvedWords.includes(groups.status.trim().toLowerCase());
      return [
        {
          name,
          status: resolved ? 'resolved' : 'firing',
          labels: clean,
          annotations: {},
          fingerprint: alertFingerprint(name, clean),
          startsAt: opts.receivedAt,
          source: 'pattern',
        },
      ];
    }
  }
  return [];
}

/** Slack's `ts` ("1700000000.123456") as a Date. */
export function slackTsToDate(ts: string): Date {
  return new Date(Math.round(Number(ts) * 1000));
}

interface Part {
  title: string;
  text: string;
  titleLink?: string;
  footer?: string;
}

function messageParts(message: SlackAlertMessage): Part[] {
  const parts: Part[] = [];
  for (const a of message.attachments ?? []) {
    const title = unslack(a.title ?? '').trim();
    const text = unslack([a.pretext, a.text].filter(Boolean).join('\n'));
    if (title)
      parts.push({ title, text, ...(a.title_link ? { titleLink: unslack(a.title_link) } : {}), ...(a.footer ? { footer: a.footer } : {}) });
    else if (a.fallback) {
      const [first = '', ...rest] = unslack(a.fallback).split('\n');
      parts.push({ title: first.trim(), text: [rest.join('\n'), text].filter(Boolean).join('\n') });
    }
  }
  if (message.text) {
    // Plain-text posts (custom templates, or `text` set alongside attachments): the first line is the title.
    const [first = '', ...rest] = unslack(message.text).split('\n');
    parts.push({ title: first.replace(/^[*_~]+|[*_~]+$/g, '').trim(), text: rest.join('\n') });
  }
  return parts;
}

/** Undo what Slack does to message text: `<url|label>` links and the &amp; &lt; &gt; escapes. */
function unslack(text: string): string {
  return text
    .replace(/<((?:https?|mailto):[^|>]*)(?:\|[^>]*)?>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function isGrafana(message: SlackAlertMessage, part: Part): boolean {
  return /grafana/i.test([message.username ?? '', part.footer ?? ''].join(' ')) || /^\*\*(Firing|Resolved)\*\*/m.test(part.text);
}

interface Title {
  status: 'firing' | 'resolved';
  name: string;
  /** "prod worker-7 critical": the values of the group and common labels, without their names. */
  context: string[];
  /** The alert name and the group label values: what stays the same across the notifications of one group. */
  group: string;
  /** Everything after the status, as the title shows it. */
  shows: string;
}

// Longer than any title seen in practice; a longer one is cut, and then matches no alert rather than a wrong one.
const TITLE_MAX_LENGTH = 8_192;

// Alertmanager and Grafana unified alerting: [FIRING:2] Name (v1 v2), [FIRING:1, RESOLVED:1] …, [RESOLVED] …
const AM_TITLE = /^\[(FIRING|RESOLVED)(?::\d+)?(?:,\s*RESOLVED:\d+)?\]\s+(.+?)\s*$/i;
// Legacy Grafana alerting: [Alerting] Name, [OK] Name, [No Data] Name.
const LEGACY_GRAFANA_TITLE = /^\[(Alerting|OK|No Data)\]\s+(.+?)\s*$/i;

function parseTitle(title: string): Title | undefined {
  const am = AM_TITLE.exec(title);
  if (am) {
    const rest = am[2]!;
    const paren = /^(.*?)\s*\(([^()]*)\)$/.exec(rest);
    const groupValues = (paren ? paren[1]! : rest).split(/\s+/).filter(Boolean);
    const common = paren ? paren[2]!.split(/\s+/).filter(Boolean) : [];
    return {
      status: am[1]!.toUpperCase() === 'FIRING' ? 'firing' : 'resolved',
      name: groupValues[0] ?? rest,
      context: [...groupValues.slice(1), ...common],
      group: groupValues.length ? groupValues.join(' ') : rest,
      shows: rest,
    };
  }
  const legacy = LEGACY_GRAFANA_TITLE.exec(title);
  if (legacy)
    return {
      status: legacy[1]!.toUpperCase() === 'OK' ? 'resolved' : 'firing',
      name: legacy[2]!,
      context: [],
      group: legacy[2]!,
      shows: legacy[2]!,
    };
  return undefined;
}

interface Block {
  status?: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorURL?: string;
}

function eventsFromPost(title: Title, part: Part, source: AlertSource, receivedAt: Date): AlertEvent[] {
  const blocks = parseBlocks(part.text).filter((b) => Object.keys(b.labels).length > 0 || Object.keys(b.annotations).length > 0);
  if (blocks.length === 0) {
    // Alertmanager's default Slack text is empty: the title is all there is.
    const name = cleanAlertName(title.name);
    const labels: Record<string, string> = { alertname: name };
    const severityWord = title.context.find((v) => severityFromLabelValue(v) !== undefined);
    if (severityWord) labels.severity = severityWord;
    const clean = sanitizeLabels(labels);
    return [
      {
        name,
        status: title.status,
        labels: clean,
        annotations: title.context.length ? sanitizeLabels({ context: title.context.join(' ') }, 'annotations') : {},
        fingerprint: textFingerprint(source, name, ...title.context),
        startsAt: receivedAt,
        source,
        groupKey: `${source}:${cleanText(title.group, 1024)}`,
        labelsFrom: 'title',
        titleShows: cleanText(title.shows, TITLE_MAX_LENGTH),
        ...(part.titleLink ? { generatorURL: cleanText(part.titleLink, 2048) } : {}),
      },
    ];
  }
  return blocks.map((b) => {
    const name = cleanAlertName(b.labels.alertname ?? title.name);
    // alertname is set after the caps so that a flood of labels sorting before it cannot push it out.
    const labels = { ...sanitizeLabels(b.labels), alertname: name };
    return {
      name,
      status: b.status ?? title.status,
      labels,
      annotations: sanitizeLabels(b.annotations, 'annotations'),
      fingerprint: alertFingerprint(name, labels),
      startsAt: receivedAt,
      source,
      groupKey: `${source}:${cleanText(title.group, 1024)}`,
      ...(b.generatorURL ? { generatorURL: cleanText(b.generatorURL, 2048) } : {}),
    };
  });
}

const STATUS_HEADING = /^\s*[*_]*\s*(?:alerts?\s+)?(firing|resolved)\s*[*_]*\s*:?\s*[*_]*\s*$/i;
const ALERT_LINE = /^\s*\*?Alert:\*?\s*(.*?)(?:\s+-\s+`([^`]*)`)?\s*$/i;
// Any other "*Key:* value" line of a custom template (*Summary:*, *Description:*, *Runbook:* …) is an annotation.
const BOLD_FIELD = /^\s*\*([A-Za-z][A-Za-z0-9 _-]{0,40}):\*\s*(.+?)\s*$/;
const DASH_PAIR = /^\s*-\s+([^=\s][^=]*?)\s+=\s+(.*)$/;
const BULLET_PAIR = /^\s*[•-]\s*\*?([^:*`]+?):?\*?:?\s+`([^`]*)`\s*$/;
const SOURCE_LINE = /^\s*(?:\*?Source:\*?|\*?Graph:\*?)\s*(\S+)/i;
const GRAFANA_VALUE = /^\s*Value:\s*(.*)$/i;

/** Splits the text of a post into one block per alert, reading the label/annotation list templates. */
function parseBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let status: Block['status'];
  let current: Block | undefined;
  let mode: 'labels' | 'annotations' = 'labels';
  const start = (): Block => {
    current = { ...(status ? { status } : {}), labels: {}, annotations: {} };
    blocks.push(current);
    mode = 'labels';
    return current;
  };
  const block = (): Block => current ?? start();
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = STATUS_HEADING.exec(line))) {
      status = m[1]!.toLowerCase() as Block['status'];
      current = undefined;
    } else if ((m = ALERT_LINE.exec(line))) {
      const b = start();
      if (m[1]) b.annotations.summary = m[1];
      if (m[2]) b.labels.severity = m[2];
    } else if (/^\s*\*?Labels:\*?\s*$/i.test(line)) {
      if (!current || Object.keys(current.labels).length > 0) start();
      mode = 'labels';
    } else if (/^\s*\*?Annotations:\*?\s*$/i.test(line)) {
      block();
      mode = 'annotations';
    } else if (/^\s*\*?Details:\*?\s*$/i.test(line)) {
      block();
      mode = 'labels';
    } else if ((m = DASH_PAIR.exec(line))) {
      const [key, value] = [m[1]!.trim(), m[2]!.trim()];
      if (mode === 'labels' && key === 'alertname' && current?.labels.alertname !== undefined) start();
      block()[mode][key] = value;
    } else if ((m = BULLET_PAIR.exec(line))) {
      block().labels[m[1]!.trim()] = m[2]!;
    } else if ((m = SOURCE_LINE.exec(line))) {
      block().generatorURL = m[1]!;
    } else if ((m = GRAFANA_VALUE.exec(line))) {
      block().annotations.value = m[1]!;
    } else if ((m = BOLD_FIELD.exec(line))) {
      block().annotations[
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[\s-]+/g, '_')
      ] = m[2]!;
    }
    if (blocks.length > LABEL_LIMITS.maxLabels) break;
  }
  return blocks;
}
