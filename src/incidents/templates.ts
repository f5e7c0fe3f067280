import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { closestMatches } from '../closest-match';
import { BotError } from '../errors';
import type { Incident } from '../domain/incident';
import {
  Mention,
  parseTemplate,
  renderParsed,
  TemplateSyntaxError,
  type Escape,
  type ParsedTemplate,
  type TemplateVars,
} from './template-engine';

/**
 * The user-editable notification texts (seed 002), one file each in TEMPLATES_DIR, and the
 * variables each may use. Every value is escaped for Slack mrkdwn (see template-engine.ts).
 */
const COMMON = {
  incident_id: 'INC-YYYYMMDDHHMMSS',
  title: 'the incident title',
  severity: 'P0 … P3',
  severity_name: 'critical, high, medium or low',
  status: 'Investigating, Acknowledged, Mitigated or Resolved',
  start_time: 'when the impact started, e.g. 2026-01-11 10:02 UTC',
  impact: 'the impact as entered (may be empty)',
  opened_by: 'a mention of whoever opened it',
  next_update: '"In 30 minutes (by 10:32 UTC)" for P0/P1, else "When there is news"',
} as const;

export const TEMPLATE_FILES = {
  incidentOpened: {
    file: 'incident-opened.txt',
    variables: { ...COMMON },
  },
  statusUpdate: {
    file: 'status-update.txt',
    variables: { ...COMMON, update: 'the update text', updated_by: 'a mention of its author', update_time: 'when it was posted' },
  },
  incidentResolved: {
    file: 'incident-resolved.txt',
    variables: {
      ...COMMON,
      resolution_time: 'when it was resolved',
      duration: 'e.g. 1 h 23 min',
      root_cause: 'as entered (may be empty)',
      resolution: 'as entered (may be empty)',
      summary: 'as entered (may be empty)',
      resolved_by: 'a mention of whoever resolved it',
      postmortem: 'true when a post-mortem should be written (P0/P1 or downtime over 15 min)',
      postmortem_link: 'a link to the draft, when there is one',
    },
  },
} as const;

export type TemplateName = keyof typeof TEMPLATE_FILES;

export interface TemplateProblem {
  /** The file as the operator names it (TEMPLATES_DIR/…). */
  file: string;
  line?: number;
  message: string;
}

/**
 * Checks every notification template in `dir`: present, well formed, and using only the
 * variables its notification provides. `incident-bot validate` prints the problems.
 *
 * @example
 *   for (const p of await validateTemplates(config.templatesDir)) console.error(formatTemplateProblem(p));
 */
export async function validateTemplates(dir: string): Promise<TemplateProblem[]> {
  return (await loadAll(dir)).problems;
}

export function formatTemplateProblem(p: TemplateProblem): string {
  return `${p.file}${p.line !== undefined ? `:${p.line}` : ''}: ${p.message}`;
}

export interface IncidentNotifications {
  incidentOpened(incident: Incident): string;
  statusUpdate(incident: Incident, update: { text: string; actor: string; at: Date }): string;
  incidentResolved(incident: Incident, result: { durationMinutes: number; offerPostmortem: boolean; postmortemLink?: string }): string;
}

/**
 * Loads and checks the templates; any problem stops start-up with every problem listed.
 * `escape` is `escapeMrkdwn` from slack/blocks/mrkdwn.ts (passed in: the core does not import slack/).
 *
 * @example
 *   const notifications = await loadTemplates(config.templatesDir, escapeMrkdwn);
 *   await client.chat.postMessage({ channel, text: notifications.incidentOpened(incident) });
 */
export async function loadTemplates(dir: string, escape: Escape): Promise<IncidentNotifications> {
  const { parsed, problems } = await loadAll(dir);
  if (problems.length > 0) {
    throw new BotError(
      'NOT_CONFIGURED',
      `The notification templates in ${dir} have problems:\n${problems.map(formatTemplateProblem).join('\n')}`,
    );
  }
  return createNotifications(parsed as Record<TemplateName, ParsedTemplate>, escape);
}

/** Notifications from template sources (tests, or templates kept elsewhere). */
export function createNotifications(templates: Record<TemplateName, ParsedTemplate | string>, escape: Escape): IncidentNotifications {
  const t = Object.fromEntries(Object.entries(templates).map(([k, v]) => [k, typeof v === 'string' ? parseTemplate(v) : v])) as Record<
    TemplateName,
    ParsedTemplate
  >;
  return {
    incidentOpened: (inc) => renderParsed(t.incidentOpened, commonVars(inc), escape),
    statusUpdate: (inc, u) =>
      renderParsed(
        t.statusUpdate,
        { ...commonVars(inc), update: u.text, updated_by: Mention.of(u.actor), update_time: formatTime(u.at) },
        escape,
      ),
    incidentResolved: (inc, r) =>
      renderParsed(
        t.incidentResolved,
        {
          ...commonVars(inc),
          resolution_time: inc.resolvedAt ? formatTime(inc.resolvedAt) : '',
          duration: formatDuration(r.durationMinutes),
          root_cause: inc.rootCause ?? '',
          resolution: inc.resolution ?? '',
          summary: inc.summary ?? '',
          resolved_by: Mention.of(inc.resolvedBy),
          postmortem: r.offerPostmortem,
          postmortem_link: r.postmortemLink ?? '',
        },
        escape,
      ),
  };
}

const SEVERITY_NAMES = { P0: 'critical', P1: 'high', P2: 'medium', P3: 'low' } as const;
const STATUS_TEXT = {
  open: 'Investigating',
  acknowledged: 'Acknowledged, investigating',
  mitigated: 'Mitigated, monitoring',
  resolved: 'Resolved',
} as const;

function commonVars(inc: Incident): TemplateVars {
  return {
    incident_id: inc.id,
    title: inc.title,
    severity: inc.severity,
    severity_name: SEVERITY_NAMES[inc.severity],
    status: STATUS_TEXT[inc.status],
    start_time: formatTime(inc.startedAt),
    impact: inc.impact ?? '',
    opened_by: Mention.of(inc.createdBy),
    next_update:
      inc.nextUpdateDueAt && inc.status !== 'resolved'
        ? `In 30 minutes (by ${inc.nextUpdateDueAt.toISOString().slice(11, 16)} UTC)`
        : 'When there is news',
  };
}

/** 2026-01-11 10:02 UTC */
export function formatTime(d: Date): string {
  return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** 42 min, 1 h 23 min, 2 d 3 h; under a minute is "< 1 min". */
export function formatDuration(minutes: number): string {
  const m = Math.floor(minutes);
  if (m < 1) return '< 1 min';
  if (m < 60) return `${m} min`;
  if (m < 24 * 60) return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m / 60} h`;
  const h = Math.floor(m / 60);
  return h % 24 ? `${Math.floor(h / 24)} d ${h % 24} h` : `${h / 24} d`;
}

async function loadAll(dir: string): Promise<{ parsed: Partial<Record<TemplateName, ParsedTemplate>>; problems: TemplateProblem[] }> {
  const problems: TemplateProblem[] = [];
  const parsed: Partial<Record<TemplateName, ParsedTemplate>> = {};
  for (const [name, spec] of Object.entries(TEMPLATE_FILES) as [TemplateName, (typeof TEMPLATE_FILES)[TemplateName]][]) {
    const full = path.join(dir, spec.file);
    const shown = path.join(path.basename(dir), spec.file);
    let source: string;
    try {
      source = await readFile(full, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push({
        file: shown,
        message:
          code === 'ENOENT'
            ? `missing: create it (the default is in the bot's templates/ folder) or point TEMPLATES_DIR at a folder that has it`
            : `cannot be read (${code ?? (err as Error).message})`,
      });
      continue;
    }
    let template: ParsedTemplate;
    try {
      template = parseTemplate(source);
    } catch (err) {
      if (err instanceof TemplateSyntaxError) {
        problems.push({ file: shown, line: err.line, message: err.message });
        continue;
      }
      throw err;
    }
    problems.push(...unknownVariables(template, Object.keys(spec.variables), shown));
    parsed[name] = template;
  }
  return { parsed, problems };
}

/** Variables a template uses that it cannot have, each with its line and the closest known names. */
export function unknownVariables(template: ParsedTemplate, known: readonly string[], file: string): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const [variable, line] of template.variables) {
    if (known.includes(variable)) continue;
    const close = closestMatches(variable, known);
    problems.push({
      file,
      line,
      message: `unknown variable {{${variable}}}${close.length ? ` (did you mean ${close.map((c) => `{{${c}}}`).join(', ')}?)` : ''}; this template can use ${known.join(', ')}`,
    });
  }
  return problems;
}
