import { closestMatches } from '../closest-match';
import { parseIncidentRole, type IncidentRole } from '../domain/incident-role';
import { parseSeverity, type Severity } from '../incidents/severity';

/** `/incident …` parsed into what the user asked for. Pure: no Slack, no I/O. */
export type IncidentCommand =
  | { name: 'help' }
  | { name: 'diagnose'; alert: string; labels: Record<string, string> }
  | { name: 'open'; title?: string; severity?: Severity; started?: ClockTime }
  | { name: 'ack'; incidentId?: string }
  | { name: 'status'; incidentId?: string }
  | { name: 'update'; text: string; started?: ClockTime }
  | { name: 'sev'; severity: Severity; incidentId?: string }
  | { name: 'resolve'; incidentId?: string; summary?: string; rootCause?: string; resolution?: string }
  | { name: 'mitigate'; incidentId?: string; note?: string }
  | { name: 'list' }
  | { name: 'postmortem'; incidentId?: string }
  | { name: 'runbooks' }
  | { name: 'remediate'; action: string; incidentId?: string; labels: Record<string, string> }
  | { name: 'audit'; incidentId?: string }
  | { name: 'link-alert'; alert: AlertReference; incidentId?: string }
  | { name: 'role'; role: IncidentRole; userId: string; incidentId?: string }
  | { name: 'followup'; text: string; owner?: string }
  | { name: 'followups'; incidentId?: string; mine: boolean }
  | { name: 'stats'; days: StatsWindowDays };

/** The report windows `/incident stats` offers. */
export const STATS_WINDOWS = [7, 30, 90] as const;
export type StatsWindowDays = (typeof STATS_WINDOWS)[number];

/** `started=HH:MM`: a UTC time of day, placed on a date by the handler (the latest such time not in the future). */
export interface ClockTime {
  hour: number;
  minute: number;
}

/** An alert as people name it: the number the bot shows, or the permalink of the alert's message. */
export type AlertReference = { alertId: number } | { channelId: string; ts: string };

export type ParseResult = { ok: true; command: IncidentCommand } | { ok: false; problem: string; usage: string; suggestion?: string };

export const USAGE: Record<IncidentCommand['name'], string> = {
  help: '/incident help',
  diagnose: '/incident diagnose <AlertName> [label=value ...]',
  open: '/incident open <title> [P0|P1|P2|P3] [started=HH:MM]',
  ack: '/incident ack [INC-ID]',
  status: '/incident status [INC-ID]',
  update: '/incident update [started=HH:MM] <text>',
  sev: '/incident sev <P0..P3> [INC-ID]',
  resolve: '/incident resolve [INC-ID] [root_cause="…"] [resolution="…"] [summary]',
  mitigate: '/incident mitigate [INC-ID] [note]',
  list: '/incident list',
  postmortem: '/incident postmortem [INC-ID]',
  runbooks: '/incident runbooks',
  remediate: '/incident remediate <action> [INC-ID] [label=value ...]',
  audit: '/incident audit [INC-ID]',
  'link-alert': '/incident link-alert <alert-id|permalink> [INC-ID]',
  role: '/incident role <commander|comms|scribe> <@user> [INC-ID]',
  followup: '/incident followup <text> [@owner]',
  followups: '/incident followups [INC-ID|mine]',
  stats: '/incident stats [7d|30d|90d]',
};

export const HELP_TEXT = [
  '*incident-bot* — `/incident <subcommand>`',
  '```',
  '/incident help',
  '/incident diagnose <AlertName> [label=value ...]     e.g. /incident diagnose StuckDetected agent=agent-7',
  '/incident open <title> [P0|P1|P2|P3] [started=HH:MM]  no arguments: a modal; started: when the impact began (UTC)',
  '/incident ack [INC-ID]                                inside an incident thread the ID is optional',
  '/incident status [INC-ID]      /incident update [started=HH:MM] <text>      /incident sev <P0..P3> [INC-ID]',
  '/incident resolve [INC-ID] [root_cause="…"] [resolution="…"] [summary]   without both fields: a form asks',
  '/incident postmortem [INC-ID]                         /incident runbooks',
  '/incident remediate <action> [INC-ID] [label=value ...]',
  '/incident mitigate [INC-ID] [note]                    /incident list',
  '/incident audit [INC-ID]                              /incident link-alert <alert-id|permalink> [INC-ID]',
  '/incident role <commander|comms|scribe> <@user> [INC-ID]',
  '/incident followup <text> [@owner]                    /incident followups [INC-ID|mine]',
  '/incident stats [7d|30d|90d]',
  '```',
  'Severities: P0 (critical, 5 min), P1 (high, 15 min), P2 (medium, 1 h), P3 (low, 24 h). Alert names match case-insensitively.',
].join('\n');

const INC_ID = /^INC-\d{14}$/i;
const LABEL_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** An action id or kind, optionally qualified by its runbook (`memory-daemon/terminate-long-transactions`). */
const ACTION_NAME = /^(?:[a-z0-9][a-z0-9-]{0,62}\/)?[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/;
const ALERT_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;
const MAX_TEXT = 3_000;
/** A user mention as Slack sends it in a command's text: `<@U123>` or, with escaping on, `<@U123|name>`. */
const USER_MENTION = /^<@([UW][A-Z0-9]{2,20})(?:\|[^>]{0,80})?>$/;
const FOLLOW_UP_MAX = 500;

export function parseIncidentCommand(raw: string): ParseResult {
  // Control characters from pasted text would only confuse the echo; they never carry meaning here.
  // eslint-disable-next-line no-control-regex
  const text = raw.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ').trim();
  if (text.length > MAX_TEXT) return fail('help', `That command is ${text.length} characters long; the limit is ${MAX_TEXT}.`);
  const [first = '', ...args] = text.split(/\s+/).filter(Boolean);
  const sub = first.toLowerCase();
  const parse = SUBCOMMANDS.get(sub);
  return parse ? parse({ args, tail: text.slice(first.length).trim() }) : unknownSubcommand(first, sub);
}

/** A command's words: the words after the subcommand, and the text after it as typed. */
interface CommandWords {
  args: string[];
  tail: string;
}

function unknownSubcommand(first: string, sub: string): ParseResult {
  const [suggestion] = closestMatches(sub, [...Object.keys(USAGE), 'acknowledge', 'severity', 'mitigated', 'follow-up', 'follow-ups']);
  return {
    ok: false,
    problem: `\`${clip(first)}\` is not an /incident subcommand.`,
    usage: HELP_TEXT,
    suggestion: suggestion ? USAGE[normalize(suggestion)] : undefined,
  };
}

function parseNoArguments(name: 'list' | 'runbooks', { args }: CommandWords): ParseResult {
  return args.length ? fail(name, `\`${name}\` takes no arguments.`) : ok({ name });
}

function parseDiagnose({ args }: CommandWords): ParseResult {
  const [alert, ...labelArgs] = args;
  if (!alert) return fail('diagnose', 'Which alert? Give its name.');
  if (!ALERT_NAME.test(alert)) return fail('diagnose', `\`${clip(alert)}\` is not an alert name.`);
  const labels = parseLabels(labelArgs);
  return 'problem' in labels ? fail('diagnose', labels.problem) : ok({ name: 'diagnose', alert, labels: labels.labels });
}

function parseOpen({ args, tail }: CommandWords): ParseResult {
  if (!tail) return ok({ name: 'open' });
  const startedArgs = args.filter((a) => /^started=/i.test(a));
  if (startedArgs.length > 1) return fail('open', 'Give `started=HH:MM` once.');
  let started: ClockTime | undefined;
  if (startedArgs[0]) {
    started = parseClockTime(startedArgs[0].slice('started='.length));
    if (!started) return fail('open', `\`${clip(startedArgs[0])}\` is not a time: write \`started=HH:MM\` in UTC, e.g. \`started=09:58\`.`);
  }
  const words = args.filter((a) => !/^started=/i.test(a));
  const last = words[words.length - 1] ?? '';
  const severity = parseSeverity(last);
  const title = (severity ? words.slice(0, -1) : words).join(' ');
  if (!title) return fail('open', 'Give the incident a title before the severity.');
  if (title.length > 150) return fail('open', `The title is ${title.length} characters; keep it under 150.`);
  return ok({ name: 'open', title, severity, ...(started ? { started } : {}) });
}

function parseLinkAlert({ args }: CommandWords): ParseResult {
  const [ref, id, ...more] = args;
  if (!ref) return fail('link-alert', 'Which alert? Give its number or the link to its message (Copy link in Slack).');
  const alert = parseAlertReference(ref);
  if (!alert) return fail('link-alert', `\`${clip(ref)}\` is neither an alert number nor a link to a Slack message.`);
  if (more.length) return fail('link-alert', '`link-alert` takes an alert and at most one incident ID.');
  const incidentId = optionalIncidentId(id);
  return 'problem' in incidentId ? fail('link-alert', incidentId.problem) : ok({ name: 'link-alert', alert, incidentId: incidentId.id });
}

/** `ack`, `status`, `postmortem`, `audit`: an optional incident ID and nothing else. */
function parseIncidentIdOnly(name: 'ack' | 'status' | 'postmortem' | 'audit', { args }: CommandWords): ParseResult {
  if (args.length > 1) return fail(name, `\`${name}\` takes at most one incident ID.`);
  const id = optionalIncidentId(args[0]);
  return 'problem' in id ? fail(name, id.problem) : ok({ name, incidentId: id.id });
}

function parseUpdate({ args, tail }: CommandWords): ParseResult {
  // `started=HH:MM` first states when the impact began (UTC); the rest is the update.
  const lead = args[0] && /^started=/i.test(args[0]) ? args[0] : undefined;
  const started = lead ? parseClockTime(lead.slice('started='.length)) : undefined;
  if (lead && !started) return fail('update', `\`${clip(lead)}\` is not a time: write \`started=HH:MM\` in UTC, e.g. \`started=09:58\`.`);
  const body = lead ? tail.slice(tail.indexOf(lead) + lead.length).trim() : tail;
  return body
    ? ok({ name: 'update', text: body, ...(started ? { started } : {}) })
    : fail('update', 'What is the update? Write it after `update`.');
}

function parseSev({ args }: CommandWords): ParseResult {
  const severity = args[0] ? parseSeverity(args[0]) : undefined;
  if (!severity) return fail('sev', `Give a severity: P0, P1, P2 or P3 (or critical, high, medium, low).`);
  if (args.length > 2) return fail('sev', '`sev` takes a severity and at most one incident ID.');
  const id = optionalIncidentId(args[1]);
  return 'problem' in id ? fail('sev', id.problem) : ok({ name: 'sev', severity, incidentId: id.id });
}

function parseResolve({ args, tail }: CommandWords): ParseResult {
  const maybeId = args[0] && INC_ID.test(args[0]) ? args[0].toUpperCase() : undefined;
  const fields = resolveFields((maybeId ? tail.slice(args[0]!.length) : tail).trim());
  if ('problem' in fields) return fail('resolve', fields.problem);
  return ok({
    name: 'resolve',
    incidentId: maybeId,
    summary: fields.rest || undefined,
    ...(fields.rootCause ? { rootCause: fields.rootCause } : {}),
    ...(fields.resolution ? { resolution: fields.resolution } : {}),
  });
}

function parseMitigate({ args, tail }: CommandWords): ParseResult {
  const maybeId = args[0] && INC_ID.test(args[0]) ? args[0].toUpperCase() : undefined;
  const note = (maybeId ? tail.slice(args[0]!.length) : tail).trim();
  if (note.length > 1000) return fail('mitigate', `The note is ${note.length} characters; keep it under 1000.`);
  return ok({ name: 'mitigate', incidentId: maybeId, note: note || undefined });
}

function parseRemediate({ args }: CommandWords): ParseResult {
  const [action, ...more] = args;
  if (!action) return fail('remediate', 'Which action? See the remediations offered by `/incident runbooks`.');
  if (!ACTION_NAME.test(action)) return fail('remediate', `\`${clip(action)}\` is not an action name (e.g. docker.restart).`);
  const maybeId = more[0] && INC_ID.test(more[0]) ? more[0].toUpperCase() : undefined;
  const labels = parseLabels(maybeId ? more.slice(1) : more);
  return 'problem' in labels
    ? fail('remediate', labels.problem)
    : ok({ name: 'remediate', action, incidentId: maybeId, labels: labels.labels });
}

function parseRole({ args }: CommandWords): ParseResult {
  const [roleWord, who, maybeId, ...extra] = args;
  const role = roleWord ? parseIncidentRole(roleWord) : undefined;
  if (!role)
    return fail(
      'role',
      roleWord ? `\`${clip(roleWord)}\` is not a role: commander, comms or scribe.` : 'Which role? commander, comms or scribe.',
    );
  if (!who) return fail('role', 'Who? Mention them: `/incident role commander @alice`.');
  const mention = USER_MENTION.exec(who);
  if (!mention) return fail('role', `\`${clip(who)}\` is not a mention: type @ and pick the person, so Slack sends their user id.`);
  if (extra.length) return fail('role', '`role` takes a role, a person and at most one incident ID.');
  const id = optionalIncidentId(maybeId);
  return 'problem' in id ? fail('role', id.problem) : ok({ name: 'role', role, userId: mention[1]!, incidentId: id.id });
}

function parseFollowUp({ args, tail }: CommandWords): ParseResult {
  if (!tail) return fail('followup', 'What needs doing? Write it after `followup`.');
  const last = args[args.length - 1]!;
  const owner = USER_MENTION.exec(last)?.[1];
  const text = (owner ? tail.slice(0, tail.length - last.length) : tail).trim();
  if (!text) return fail('followup', 'Write what needs doing before the owner.');
  if (text.length > FOLLOW_UP_MAX)
    return fail('followup', `The follow-up is ${text.length} characters; keep it under ${FOLLOW_UP_MAX} and link the details.`);
  return ok({ name: 'followup', text, ...(owner ? { owner } : {}) });
}

function parseFollowUps({ args }: CommandWords): ParseResult {
  if (args.length > 1) return fail('followups', '`followups` takes one incident ID, or `mine`.');
  if (args[0]?.toLowerCase() === 'mine') return ok({ name: 'followups', mine: true });
  const id = optionalIncidentId(args[0]);
  return 'problem' in id
    ? fail('followups', `${id.problem} Or write \`mine\`.`)
    : ok({ name: 'followups', incidentId: id.id, mine: false });
}

function parseStats({ args }: CommandWords): ParseResult {
  if (args.length > 1) return fail('stats', '`stats` takes one window: 7d, 30d or 90d.');
  if (!args[0]) return ok({ name: 'stats', days: 30 });
  const m = /^(\d+)d?$/i.exec(args[0]);
  const days = m ? Number(m[1]) : NaN;
  if (!(STATS_WINDOWS as readonly number[]).includes(days))
    return fail('stats', `\`${clip(args[0])}\` is not a window: use 7d, 30d or 90d.`);
  return ok({ name: 'stats', days: days as StatsWindowDays });
}

/** Each subcommand word, aliases included, and its parser (a Map: a typed word never reaches Object's prototype). */
const SUBCOMMANDS = new Map<string, (words: CommandWords) => ParseResult>([
  ['', () => ok({ name: 'help' })],
  ['help', () => ok({ name: 'help' })],
  ['list', (words) => parseNoArguments('list', words)],
  ['runbooks', (words) => parseNoArguments('runbooks', words)],
  ['diagnose', parseDiagnose],
  ['open', parseOpen],
  ['link-alert', parseLinkAlert],
  ['ack', (words) => parseIncidentIdOnly('ack', words)],
  ['acknowledge', (words) => parseIncidentIdOnly('ack', words)],
  ['status', (words) => parseIncidentIdOnly('status', words)],
  ['postmortem', (words) => parseIncidentIdOnly('postmortem', words)],
  ['audit', (words) => parseIncidentIdOnly('audit', words)],
  ['update', parseUpdate],
  ['sev', parseSev],
  ['severity', parseSev],
  ['resolve', parseResolve],
  ['mitigate', parseMitigate],
  ['mitigated', parseMitigate],
  ['remediate', parseRemediate],
  ['role', parseRole],
  ['followup', parseFollowUp],
  ['follow-up', parseFollowUp],
  ['followups', parseFollowUps],
  ['follow-ups', parseFollowUps],
  ['stats', parseStats],
]);

/** `09:58` or `9:58` (UTC). */
export function parseClockTime(text: string): ClockTime | undefined {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  return m ? { hour: Number(m[1]), minute: Number(m[2]) } : undefined;
}

/** `1234`, `#1234`, or a message permalink `https://acme.slack.com/archives/C0123/p1700000000000100` (Slack wraps links in `<…>`). */
export function parseAlertReference(text: string): AlertReference | undefined {
  const t = text.replace(/^<|>$/g, '').split('|')[0]!;
  const id = /^#?([1-9]\d{0,14})$/.exec(t);
  if (id) return { alertId: Number(id[1]) };
  const link = /^https:\/\/[a-z0-9-]+(?:\.enterprise)?\.slack\.com\/archives\/([CG][A-Z0-9]{2,})\/p(\d{10})(\d{6})(?:\?\S*)?$/i.exec(t);
  return link ? { channelId: link[1]!.toUpperCase(), ts: `${link[2]}.${link[3]}` } : undefined;
}

const RESOLVE_FIELD = /(?:^|\s)(root_cause|rootcause|cause|resolution|fix)=(?:"([^"]*)"|“([^”]*)”|'([^']*)'|([^\s"“']\S*))/gi;
const FIELD_MAX = 1000;

/** `root_cause="…"` and `resolution="…"` (straight or curly quotes, or one word) out of the resolve text; the rest is the summary. */
function resolveFields(text: string): { rootCause?: string; resolution?: string; rest: string } | { problem: string } {
  const out: { rootCause?: string; resolution?: string } = {};
  for (const m of text.matchAll(RESOLVE_FIELD)) {
    const key = m[1]!.toLowerCase();
    const value = (m[2] ?? m[3] ?? m[4] ?? m[5] ?? '').trim();
    const field = key === 'resolution' || key === 'fix' ? 'resolution' : 'rootCause';
    if (!value) return { problem: `\`${key}=\` has no value: write ${key}="…".` };
    if (value.length > FIELD_MAX) return { problem: `\`${key}\` is ${value.length} characters; keep it under ${FIELD_MAX}.` };
    if (out[field]) return { problem: `\`${field === 'rootCause' ? 'root_cause' : 'resolution'}\` is given twice.` };
    out[field] = value;
  }
  const rest = text.replace(RESOLVE_FIELD, ' ').replace(/\s+/g, ' ').trim();
  if (/(?:^|\s)(root_cause|rootcause|cause|resolution|fix)=["“']/i.test(rest))
    return { problem: 'A quoted field is not closed: write root_cause="…" resolution="…".' };
  return { ...out, rest };
}

function normalize(name: string): IncidentCommand['name'] {
  if (name === 'acknowledge') return 'ack';
  if (name === 'severity') return 'sev';
  if (name === 'mitigated') return 'mitigate';
  if (name === 'follow-up') return 'followup';
  if (name === 'follow-ups') return 'followups';
  return name as IncidentCommand['name'];
}

function parseLabels(args: string[]): { labels: Record<string, string> } | { problem: string } {
  const labels: Record<string, string> = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0) return { problem: `\`${clip(a)}\` is not a label: write label=value, e.g. agent=agent-7.` };
    const key = a.slice(0, eq);
    const value = a.slice(eq + 1);
    if (!LABEL_KEY.test(key)) return { problem: `\`${clip(key)}\` is not a label name (letters, digits and _).` };
    if (!value) return { problem: `The label \`${key}\` has no value.` };
    if (value.length > 256) return { problem: `The value of \`${key}\` is too long (${value.length} characters; 256 at most).` };
    labels[key] = value;
  }
  return { labels };
}

function optionalIncidentId(arg: string | undefined): { id?: string } | { problem: string } {
  if (arg === undefined) return {};
  if (!INC_ID.test(arg)) return { problem: `\`${clip(arg)}\` is not an incident ID; they look like INC-20260101093000.` };
  return { id: arg.toUpperCase() };
}

function ok(command: IncidentCommand): ParseResult {
  return { ok: true, command };
}

function fail(name: IncidentCommand['name'], problem: string): ParseResult {
  return { ok: false, problem, usage: USAGE[name] };
}

// Echoed input is shortened; the caller escapes it for mrkdwn.
function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
