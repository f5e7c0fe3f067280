import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BotError } from '../errors';
import { formatDuration, formatTime, formatTemplateProblem, unknownVariables, type TemplateProblem } from '../incidents/templates';
import {
  parseTemplate,
  renderParsed,
  TemplateSyntaxError,
  type Escape,
  type ParsedTemplate,
  type TemplateVars,
} from '../incidents/template-engine';
import type { Statement } from './extract';
import { defuseMentions } from './mrkdwn-to-markdown';
import type { NarrativeLine } from './narrative';
import type { PostmortemFacts, TimelineEntry } from './postmortem-facts';

export const POSTMORTEM_TEMPLATE_FILE = 'postmortem.md';

/** The variables `templates/postmortem.md` may use. List-valued ones arrive as ready Markdown (logic-less: no loops). */
export const POSTMORTEM_VARIABLES = {
  incident_id: 'INC-YYYYMMDDHHMMSS',
  title: 'the incident title',
  severity: 'P0 … P3',
  severity_name: 'critical, high, medium or low',
  status: 'Open, Acknowledged, Mitigated or Resolved',
  version: 'the draft version: 1, 2, …',
  generated_at: 'when this draft was made, e.g. 2026-01-11 11:30 UTC',
  thread_link: "a link to the incident's Slack thread (empty without one)",
  message_count: 'messages read from the thread',
  date: 'the day the impact started, 2026-01-11',
  duration: 'start of impact to resolution, e.g. 1 h 23 min (ongoing while active)',
  impact_summary:
    'one line: the recorded impact, else the impact of the first status update, else the first impact statement with a figure',
  summary: 'the summary given at resolution (may be empty)',
  impact:
    "Markdown list: the recorded impact, the status updates' impact, and thread lines with figures (no questions; a correction replaces what it corrects), linked (empty when none)",
  timeline: 'Markdown list: recorded events, then the key moments of the messages (about 15 in all), oldest first; the rest linked',
  root_cause:
    'Markdown: the root cause recorded at resolution, the status updates\' "Cause identified:" (latest first), the thread\'s root-cause statements (empty when none)',
  resolution: 'Markdown: the recorded resolution, mitigation and executed remediations (empty when none)',
  action_items: 'Markdown checklist of the commitments found in the messages, with owners and ticket ids (empty when none)',
  action_item_count: 'how many action items were found',
  action_items_note: 'without action items: whether the messages were read and none was found, or they could not be read (and why)',
  decisions: 'Markdown list of the decisions found in the thread (empty when none)',
  lessons: 'Markdown: what went well, what went badly and where we got lucky, as people wrote it (empty when nobody did)',
  start_time: 'when the impact started',
  start_source: 'what set the start: "stated by a responder", "alert fired" or "incident opened"',
  detection_time: 'when it was detected: the first alert fired or the first report in the channel, else the incident was opened',
  detection_source: 'e.g. "alert ConnectionPoolExhausted fired", "first report in the channel, by @lena: [message](…)", "incident opened"',
  ack_time: 'when it was first acknowledged (the incident or one of its alerts) and by whom, or "not acknowledged"',
  mitigation_time: 'when it was mitigated, or "not recorded"',
  resolution_time: 'when it was resolved, or "not resolved yet"',
  time_to_ack: 'detection to acknowledgement, e.g. 9 min 30 s',
  time_to_mitigate: 'detection to mitigation, or "not recorded"',
  impact_duration: 'start of impact to mitigation (else resolution)',
  sla_severity: 'the severity at detection, which the response SLA is judged at',
  time_to_resolve: 'detection to resolution',
  sla_target: 'the response SLA of the severity, e.g. 15 min',
  sla: '"met (…)", "missed (…)" or "not due yet"',
  peak_values: 'Markdown list: the highest value of each figure the diagnostic checks reported (empty when none)',
  participants: 'everyone who wrote in the thread or acted on the incident',
} as const;

export type PostmortemVariable = keyof typeof POSTMORTEM_VARIABLES;

/**
 * Checks `postmortem.md` in `dir`: present, well formed, only known variables. `incident-bot validate` can list
 * these with the notification templates' problems (same `TemplateProblem`, `formatTemplateProblem`).
 *
 * @example
 *   for (const p of await validatePostmortemTemplate(config.templatesDir)) console.error(formatTemplateProblem(p));
 */
export async function validatePostmortemTemplate(dir: string): Promise<TemplateProblem[]> {
  return (await loadTemplate(dir)).problems;
}

/** Loads and checks the template; a problem throws NOT_CONFIGURED naming every problem. */
export async function loadPostmortemTemplate(dir: string): Promise<ParsedTemplate> {
  const { template, problems } = await loadTemplate(dir);
  if (!template || problems.length) {
    throw new BotError(
      'NOT_CONFIGURED',
      `The post-mortem template in ${dir} has problems:\n${problems.map(formatTemplateProblem).join('\n')}`,
    );
  }
  return template;
}

async function loadTemplate(dir: string): Promise<{ template?: ParsedTemplate; problems: TemplateProblem[] }> {
  const shown = path.join(path.basename(dir), POSTMORTEM_TEMPLATE_FILE);
  let source: string;
  try {
    source = await readFile(path.join(dir, POSTMORTEM_TEMPLATE_FILE), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      problems: [
        {
          file: shown,
          message:
            code === 'ENOENT'
              ? "missing: create it (the default is in the bot's templates/ folder) or point TEMPLATES_DIR at a folder that has it"
              : `cannot be read (${code ?? (err as Error).message})`,
        },
      ],
    };
  }
  let template: ParsedTemplate;
  try {
    template = parseTemplate(source);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) return { problems: [{ file: shown, line: err.line, message: err.message }] };
    throw err;
  }
  return { template, problems: unknownVariables(template, Object.keys(POSTMORTEM_VARIABLES), shown) };
}

const SEVERITY_NAMES = { P0: 'critical', P1: 'high', P2: 'medium', P3: 'low' } as const;
const STATUS_NAMES = { open: 'Open', acknowledged: 'Acknowledged', mitigated: 'Mitigated', resolved: 'Resolved' } as const;

/**
 * The draft's Markdown. Every value goes through `defuseMentions`; the output is defused again as a whole (the template is
 * user-edited).
 */
export function renderPostmortem(template: ParsedTemplate, facts: PostmortemFacts, meta: { version: number; generatedAt: Date }): string {
  const escape: Escape = defuseMentions;
  return defuseMentions(renderParsed(template, postmortemVariables(facts, meta), escape)) + '\n';
}

export function postmortemVariables(
  facts: PostmortemFacts,
  meta: { version: number; generatedAt: Date },
): Record<PostmortemVariable, TemplateVars[string]> {
  const inc = facts.incident;
  const of = (kind: Statement['kind']) => facts.statements.filter((s) => s.kind === kind);
  const time = (d: Date | null, none: string) => (d ? `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC` : none);
  const dur = (m: number | null, none: string) => (m === null ? none : formatSpan(m));

  const impactLines = [...(inc.impact ? [`- Recorded: ${inc.impact}`] : []), ...facts.impact.slice(0, 6).map(narrativeLine)];
  const rootCauseLines = [
    ...(inc.rootCause ? [`- Recorded at resolution: ${inc.rootCause}`] : []),
    ...facts.rootCauses.slice(0, 4).map(narrativeLine),
  ];
  const actions = facts.actionItems.map(
    (a) =>
      `- [${a.done ? 'x' : ' '}] ${a.text}${a.owner ? ` (owner: @${a.owner})` : ''} — ${a.rule === 'accepted_request' ? 'accepted' : 'said'} by @${a.author}, [message](${a.link})${a.confirmedBy ? ` — confirmed by ${a.confirmedBy}` : ''}`,
  );
  const lessonLines = [
    ...(facts.lessons.wentWell.length ? ['**What went well**', '', ...facts.lessons.wentWell.map(narrativeLine), ''] : []),
    ...(facts.lessons.wentBadly.length ? ['**What went badly**', '', ...facts.lessons.wentBadly.map(narrativeLine), ''] : []),
    ...(facts.lessons.lucky.length ? ['**Where we got lucky**', '', ...facts.lessons.lucky.map(narrativeLine), ''] : []),
    ...(facts.lessons.learned.length ? ['**Lessons learned**', '', ...facts.lessons.learned.map(narrativeLine), ''] : []),
  ];

  const respondedAfter = facts.sla.respondedAt ? formatSpan((facts.sla.respondedAt.getTime() - facts.detection.getTime()) / 60_000) : null;
  const responded = facts.acknowledged ? 'acknowledged' : facts.mitigated ? 'mitigated' : 'resolved';
  const sla =
    facts.sla.met === null
      ? 'not due yet (not acknowledged)'
      : facts.sla.met
        ? `met (${responded} after ${respondedAfter})`
        : respondedAfter
          ? `missed (${responded} after ${respondedAfter})`
          : 'missed (not acknowledged)';

  return {
    incident_id: inc.id,
    title: inc.title,
    severity: inc.severity,
    severity_name: SEVERITY_NAMES[inc.severity],
    status: STATUS_NAMES[inc.status],
    version: meta.version,
    generated_at: formatTime(meta.generatedAt),
    thread_link: facts.thread?.link ?? '',
    message_count: facts.thread?.messages ?? 0,
    date: facts.start.toISOString().slice(0, 10),
    duration: `${formatDuration(facts.durationMinutes)}${facts.ongoing ? ' (ongoing)' : ''}`,
    impact_summary: inc.impact ?? facts.impact[0]?.text ?? '',
    summary: inc.summary ?? '',
    impact: impactLines.join('\n'),
    timeline: timelineMarkdown(facts),
    root_cause: rootCauseLines.join('\n'),
    resolution: resolutionMarkdown(facts),
    action_items: actions.join('\n'),
    action_item_count: actions.length,
    action_items_note: facts.thread
      ? `No commitments ("I'll …", a request and its acceptance) were found in the ${facts.thread.messages} messages read.`
      : `The Slack messages were not read${facts.threadProblem ? ` (${facts.threadProblem})` : ''}, so the action items people agreed on are not listed here.`,
    decisions: of('decision').map(statementLine).join('\n'),
    lessons: lessonLines.join('\n').trim(),
    start_time: time(facts.start, ''),
    start_source: { stated: 'stated by a responder', alert: 'alert fired', opened: 'incident opened' }[facts.startSource],
    detection_time: time(facts.detection, ''),
    detection_source: facts.detectionSource,
    ack_time: facts.acknowledged
      ? `${time(facts.acknowledged, '')} by ${facts.acknowledgedBy}${facts.acknowledgedWhat ? ` (${facts.acknowledgedWhat})` : ''}`
      : 'not acknowledged',
    mitigation_time: time(facts.mitigated, 'not recorded'),
    resolution_time: time(facts.resolved, 'not resolved yet'),
    time_to_ack: dur(facts.timeToAcknowledgeMinutes, 'not acknowledged'),
    time_to_mitigate: dur(facts.timeToMitigateMinutes, 'not recorded'),
    time_to_resolve: dur(facts.timeToResolveMinutes, 'not resolved yet'),
    impact_duration: `${formatSpan(facts.impactMinutes)}${facts.mitigated ? '' : facts.resolved ? ' (to resolution: no mitigation recorded)' : ' (ongoing)'}`,
    sla_severity: facts.sla.severity,
    sla_target: formatDuration(facts.sla.minutes),
    sla,
    peak_values: facts.peaks.map((p) => `- ${p.label}: ${p.display} (${formatTime(p.at)})`).join('\n'),
    participants: facts.participants.join(', '),
  };
}

/** Minutes as people read them in a report: `9 min 30 s` under an hour, `1 h 18 min` above. */
export function formatSpan(minutes: number): string {
  if (minutes >= 60) return formatDuration(minutes);
  const total = Math.round(minutes * 60);
  const m = Math.floor(total / 60);
  const s = total % 60;
  if (m === 0) return `${s} s`;
  return s ? `${m} min ${s} s` : `${m} min`;
}

function narrativeLine(l: NarrativeLine): string {
  const when = `${l.at.toISOString().slice(11, 16)} UTC`;
  return `- ${l.text} — ${l.who}${l.statusUpdate ? ` (status update, ${when})` : ''}${l.link ? `, [message](${l.link})` : ''}`;
}

function statementLine(s: Statement): string {
  return `- ${s.text} — ${s.author}, [message](${s.link})`;
}

function timelineMarkdown(facts: PostmortemFacts): string {
  const day = facts.start.toISOString().slice(0, 10);
  const when = (d: Date): string =>
    d.toISOString().slice(0, 10) === day ? d.toISOString().slice(11, 19) : d.toISOString().slice(0, 19).replace('T', ' ');
  const line = (e: TimelineEntry): string => `- **${when(e.at)}** ${e.who}: ${e.text}${e.link ? ` ([message](${e.link}))` : ''}`;
  const lines = facts.timeline.map(line);
  if (facts.omittedMessages > 0) {
    lines.push(
      `- … and ${facts.omittedMessages} other message${facts.omittedMessages === 1 ? '' : 's'} of discussion${facts.thread ? ` in [the thread](${facts.thread.link})` : ''}`,
    );
  }
  return lines.length ? lines.join('\n') : '[FILL IN]';
}

function resolutionMarkdown(facts: PostmortemFacts): string {
  const lines: string[] = [];
  const inc = facts.incident;
  if (inc.resolution) lines.push(`- Recorded at resolution: ${inc.resolution}`);
  for (const e of facts.timeline) {
    if (e.source !== 'timeline') continue;
    if ((e.kind === 'mitigated' && e.text !== 'Mitigated') || e.kind === 'remediation_succeeded') {
      lines.push(`- ${formatTime(e.at)}: ${e.text} (${e.who})`);
    }
  }
  return lines.join('\n');
}
