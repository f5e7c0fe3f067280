import type { Clock } from '../clock';
import type { TimelineEvent } from '../domain/timeline-event';
import type { IncidentService } from '../incidents/incident-service';
import { parseTemplate, type Escape, type ParsedTemplate } from '../incidents/template-engine';
import { formatDuration } from '../incidents/templates';
import { BotError } from '../errors';
import type { Logger } from '../logger';
import { createHash } from 'node:crypto';
import type { AlertStore } from '../domain/alert';
import type { ActionItemDecision, PostmortemActionItem, PostmortemActionItemStore } from '../domain/postmortem-draft';
import type { Incident } from '../domain/incident';
import type { PostmortemDraft, PostmortemStore } from '../domain/postmortem-draft';
import type { ActionCandidate } from './commitments';
import { buildPostmortemFacts, type PostmortemFacts, type RelatedMessages } from './postmortem-facts';
import { renderPostmortem } from './postmortem-template';
import type { ThreadContents, ThreadReader } from './thread-reader';

export interface PostmortemStats {
  /** Messages read from the thread (0 without a thread). */
  messages: number;
  pages: number;
  threadReadMs: number;
  /** Why the thread was not read, when it was not (no thread, or the Slack error). */
  threadProblem?: string;
  timelineEvents: number;
  actionItems: number;
  rootCauseStatements: number;
  impactStatements: number;
  decisions: number;
  peakValues: number;
  participants: number;
}

export interface PostmortemDraftResult {
  incident: Incident;
  version: number;
  /** The full draft (Markdown). */
  markdown: string;
  /** A short Slack mrkdwn text for the incident thread: every value escaped, no mention or broadcast. */
  summary: string;
  /** A file name for the upload: `postmortem-INC-20260111100200-v2.md`. */
  filename: string;
  stats: PostmortemStats;
  /** The action items listed in the draft, with their key for the confirm / drop buttons. */
  actionItems: Array<{ key: string; text: string; owner: string | null; decision: ActionItemDecision | null; decidedBy: string | null }>;
}

/**
 * Post-mortem drafts: reads the incident's thread, merges it with the recorded timeline, renders
 * `templates/postmortem.md` and keeps every version.
 *
 * @example
 *   const pm = createPostmortemService({ incidents, drafts: createPostmortemStore(db), threadReader, template, escapeMrkdwn, clock,
 *   logger });
 *   const { summary, markdown, filename } = await pm.draft('INC-20260111100200', { actor: userId });
 *   const latest = await pm.export('INC-20260111100200');   // what `incident-bot postmortem INC-… > report.md` prints
 */
export interface PostmortemService {
  /** Makes and stores a new version. Throws NOT_FOUND for an unknown incident; a thread that cannot be read is reported in the summary. */
  draft(incidentId: string, opts: { actor: string }): Promise<PostmortemDraftResult>;
  latest(incidentId: string): Promise<PostmortemDraft | null>;
  /** The latest stored draft; when there is none, one made now from the recorded timeline (and the thread, with a reader), and stored. */
  export(incidentId: string, opts?: { actor?: string }): Promise<{ markdown: string; version: number; created: boolean }>;
  /** ✅ / ✖ on an action item in Slack: recorded, and later drafts list it as confirmed or leave it out. Throws NOT_FOUND. */
  decideActionItem(incidentId: string, key: string, decision: ActionItemDecision, actor: string): Promise<DecidedActionItem>;
}

/** A decided action item; a confirmed one is also a tracked follow-up when follow-ups are wired in. */
export type DecidedActionItem = PostmortemActionItem & { followUp?: { id: number; created: boolean } };

/** Where confirmed action items become tracked follow-ups (the follow-up service; the same key gives the same one). */
export interface FollowUpRecorder {
  createFollowUp(input: {
    incidentId: string;
    text: string;
    owner?: string;
    createdBy: string;
    source: 'postmortem';
    sourceKey: string;
  }): Promise<{ id: number; created: boolean }>;
}

/** The key of an action item: the same commitment (message and owner) has the same key in every draft version. */
export function actionItemKey(item: { link: string; owner?: string | undefined }): string {
  return createHash('sha256')
    .update(`${item.link}|${item.owner ?? ''}`)
    .digest('hex')
    .slice(0, 16);
}

export interface PostmortemServiceDeps {
  incidents: Pick<IncidentService, 'get' | 'timeline'>;
  drafts: PostmortemStore;
  /** Absent (the CLI without Slack): drafts come from the recorded timeline only. */
  threadReader?: ThreadReader;
  /** Where linked alerts were posted, so their threads are read too. */
  alerts?: Pick<AlertStore, 'get'>;
  /** Keeps the action items found and what people decided in Slack (confirmed, dropped). */
  actionItems?: PostmortemActionItemStore;
  /** Confirmed action items become follow-ups here. */
  followUps?: FollowUpRecorder;
  /** `loadPostmortemTemplate(config.templatesDir)`, or a source string. */
  template: ParsedTemplate | string;
  /** `escapeMrkdwn` from slack/blocks/mrkdwn.ts, for the summary (the core does not import slack/). */
  escapeMrkdwn: Escape;
  clock: Clock;
  logger: Logger;
  /** `https://acme.slack.com`: where message links point. Default: what the reader learns from Slack, else https://slack.com. */
  workspaceUrl?: string;
  /** Thread messages listed in the timeline at most. Default 200. */
  maxThreadEntries?: number;
}

const USER_ID = /^[UW][A-Z0-9]{2,}$/;

export function createPostmortemService(deps: PostmortemServiceDeps): PostmortemService {
  const template = typeof deps.template === 'string' ? parseTemplate(deps.template) : deps.template;
  const draft = (incidentId: string, opts: { actor: string }) => makeDraft(deps, template, incidentId, opts.actor);
  return {
    draft,
    decideActionItem: (incidentId, key, decision, actor) => decideActionItem(deps, { incidentId, key, decision, actor }),
    latest: async (incidentId) => deps.drafts.latest((await deps.incidents.get(incidentId)).id),
    export: async (incidentId, opts) => {
      const incident = await deps.incidents.get(incidentId);
      const stored = await deps.drafts.latest(incident.id);
      if (stored) return { markdown: stored.markdown, version: stored.version, created: false };
      const made = await draft(incident.id, { actor: opts?.actor ?? 'cli' });
      return { markdown: made.markdown, version: made.version, created: true };
    },
  };
}

/** Reads what belongs to the incident, builds the facts, applies people's decisions, stores and returns a new version. */
async function makeDraft(
  deps: PostmortemServiceDeps,
  template: ParsedTemplate,
  incidentId: string,
  actor: string,
): Promise<PostmortemDraftResult> {
  const incident = await deps.incidents.get(incidentId);
  const events = await deps.incidents.timeline(incident.id);
  const read = await readMessages(deps, incident, events);
  const now = deps.clock.now();
  const facts = buildPostmortemFacts({
    incident,
    events,
    thread: read.thread,
    related: read.related,
    ...(read.problem ? { threadProblem: read.problem } : {}),
    names: await actorNames(deps, incident, events, read.thread),
    now,
    workspaceUrl: deps.workspaceUrl ?? read.thread?.workspaceUrl ?? 'https://slack.com',
    maxThreadEntries: deps.maxThreadEntries,
  });
  const listed = await applyDecisions(deps, incident.id, facts);
  const saved = await deps.drafts.saveNext({
    incidentId: incident.id,
    createdBy: actor,
    createdAt: now,
    render: (version) => renderPostmortem(template, facts, { version, generatedAt: now }),
  });
  const stats = draftStats(facts, read, events.length);
  deps.logger.info({ incidentId: incident.id, version: saved.version, ...stats }, 'post-mortem draft stored');
  const filename = `postmortem-${incident.id}-v${saved.version}.md`;
  // The owner is kept as a Slack user id when the thread tells who they are: a confirmed item's follow-up is theirs.
  await deps.actionItems?.saveCandidates(
    incident.id,
    saved.version,
    listed.map(({ item, key }) => ({ key, text: item.text, owner: item.ownerId ?? item.owner ?? null, link: item.link })),
  );
  return {
    incident,
    version: saved.version,
    markdown: saved.markdown,
    summary: postmortemSummary(facts, { version: saved.version, filename, stats, escape: deps.escapeMrkdwn }),
    filename,
    stats,
    actionItems: listed.map(({ item, key, decided }) => ({
      key,
      text: item.text,
      owner: item.owner ?? null,
      decision: decided?.decision ?? null,
      decidedBy: decided?.decidedBy ?? null,
    })),
  };
}

interface ReadResult {
  thread: ThreadContents | undefined;
  related: RelatedMessages[];
  /** Why the thread, or part of what belongs to the incident, was not read. */
  problem: string | undefined;
  readMs: number;
}

/** The incident's thread and everything related to it; what cannot be read is named, the draft is made from the rest. */
async function readMessages(deps: PostmortemServiceDeps, incident: Incident, events: readonly TimelineEvent[]): Promise<ReadResult> {
  let thread: ThreadContents | undefined;
  let problem: string | undefined;
  const readStarted = performance.now();
  if (!incident.channelId || !incident.threadTs) problem = 'the incident has no Slack thread';
  else if (!deps.threadReader) problem = 'no Slack connection (drafted from the recorded timeline)';
  else {
    try {
      thread = await deps.threadReader.read(incident.channelId, incident.threadTs);
    } catch (err) {
      // Slack refusing or failing is reported in the draft's summary; the recorded timeline still makes a draft.
      problem = `the thread could not be read (${slackErrorText(err)})`;
      deps.logger.warn({ incidentId: incident.id, err: { message: (err as Error).message } }, 'post-mortem: reading the thread failed');
    }
  }
  const related =
    thread && deps.threadReader ? await readRelated(deps, incident, events, deps.threadReader) : { sources: [], problems: [] };
  if (related.problems.length) problem = [problem, ...related.problems].filter(Boolean).join('; ');
  return { thread, related: related.sources, problem, readMs: Math.round(performance.now() - readStarted) };
}

/** Names of the timeline's actors the thread does not name (people who only clicked or typed commands). */
async function actorNames(
  deps: PostmortemServiceDeps,
  incident: Incident,
  events: readonly TimelineEvent[],
  thread: ThreadContents | undefined,
): Promise<Map<string, string>> {
  const actorIds = [
    ...new Set(events.map((e) => e.actor).concat(incident.createdBy, incident.acknowledgedBy ?? '', incident.resolvedBy ?? '')),
  ].filter((a) => USER_ID.test(a) && !thread?.names.has(a));
  return deps.threadReader && actorIds.length
    ? deps.threadReader.userNames(actorIds).catch(() => new Map<string, string>())
    : new Map<string, string>();
}

/**
 * What people decided on earlier drafts: dropped items stay out of `facts.actionItems`, confirmed ones say who
 * confirmed them. Returns the items listed, with their keys and decisions.
 */
async function applyDecisions(
  deps: PostmortemServiceDeps,
  incidentId: string,
  facts: PostmortemFacts,
): Promise<Array<{ item: ActionCandidate; key: string; decided: PostmortemActionItem | undefined }>> {
  const decided = new Map((deps.actionItems ? await deps.actionItems.list(incidentId) : []).map((i) => [i.key, i]));
  const deciders = [...new Set([...decided.values()].flatMap((d) => (d.decidedBy ? [d.decidedBy] : [])))];
  const deciderNames =
    deps.threadReader && deciders.length
      ? await deps.threadReader.userNames(deciders).catch(() => new Map<string, string>())
      : new Map<string, string>();
  const listed = facts.actionItems
    .map((item) => ({ item, key: actionItemKey(item) }))
    .filter(({ key }) => decided.get(key)?.decision !== 'dropped')
    .map(({ item, key }) => ({ item, key, decided: decided.get(key) }));
  facts.actionItems = listed.map(({ item, decided: d }) =>
    d?.decision === 'confirmed' && d.decidedBy ? { ...item, confirmedBy: `@${deciderNames.get(d.decidedBy) ?? d.decidedBy}` } : item,
  );
  return listed;
}

function draftStats(facts: PostmortemFacts, read: ReadResult, timelineEvents: number): PostmortemStats {
  const count = (k: string) => facts.statements.filter((s) => s.kind === k).length;
  return {
    messages: (read.thread?.messages.length ?? 0) + read.related.reduce((n, r) => n + r.contents.messages.length, 0),
    pages: read.thread?.pages ?? 0,
    threadReadMs: read.readMs,
    ...(read.problem ? { threadProblem: read.problem } : {}),
    timelineEvents,
    actionItems: facts.actionItems.length,
    rootCauseStatements: count('root_cause'),
    impactStatements: count('impact'),
    decisions: count('decision'),
    peakValues: facts.peaks.length,
    participants: facts.participants.length,
  };
}

/** ✅ / ✖ on an action item: recorded; a confirmed one becomes a follow-up, owned by its owner when they are known. */
async function decideActionItem(
  deps: PostmortemServiceDeps,
  req: { incidentId: string; key: string; decision: ActionItemDecision; actor: string },
): Promise<DecidedActionItem> {
  const incident = await deps.incidents.get(req.incidentId);
  if (!/^[0-9a-f]{16}$/.test(req.key)) throw new BotError('BAD_INPUT', 'That is not an action item of a post-mortem draft.');
  const item = await deps.actionItems?.decide(incident.id, req.key, req.decision, req.actor, deps.clock.now());
  if (!item)
    throw new BotError(
      'NOT_FOUND',
      `${incident.id} has no such action item: make a new draft with \`/incident postmortem ${incident.id}\`.`,
    );
  if (req.decision !== 'confirmed' || !deps.followUps) return item;
  // An owner the thread could not tie to one person stays a name, kept in the text for a person to assign.
  const owner = item.owner && USER_ID.test(item.owner) ? item.owner : undefined;
  const text = item.owner && !owner ? `${item.text} (owner: ${item.owner})` : item.text;
  const f = await deps.followUps.createFollowUp({
    incidentId: incident.id,
    text,
    ...(owner ? { owner } : {}),
    createdBy: req.actor,
    source: 'postmortem',
    sourceKey: item.key,
  });
  return { ...item, followUp: { id: f.id, created: f.created } };
}

/** Channel messages read before the start of impact: the change that set it off is often posted just before. */
export const CHANNEL_LOOKBACK_MINUTES = 30;
/** Other threads of the channel read for one draft at most (the reporters' threads). */
export const MAX_RELATED_THREADS = 20;

/**
 * Everything else that belongs to the incident: its linked alerts' threads, the channel's messages from a little
 * before the start of impact to the resolution, and the threads of those messages (the first reporter's). A source
 * that cannot be read is named, and the draft is made from the rest.
 */
async function readRelated(
  deps: PostmortemServiceDeps,
  incident: Incident,
  events: readonly TimelineEvent[],
  reader: ThreadReader,
): Promise<{ sources: RelatedMessages[]; problems: string[] }> {
  const sources: RelatedMessages[] = [];
  const problems: string[] = [];
  const readThreads = new Set<string>([`${incident.channelId}:${incident.threadTs}`]);
  const attempt = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what} could not be read (${slackErrorText(err)})`);
      deps.logger.warn({ incidentId: incident.id, err: { message: (err as Error).message } }, `post-mortem: reading ${what} failed`);
    }
  };
  const alertIds = [...new Set(events.flatMap((e) => (e.kind === 'alert_linked' ? [e.data.alertId] : [])))];
  for (const id of alertIds) {
    const alert = await deps.alerts?.get(id);
    if (!alert?.channelId || !alert.messageTs || readThreads.has(`${alert.channelId}:${alert.messageTs}`)) continue;
    readThreads.add(`${alert.channelId}:${alert.messageTs}`);
    await attempt(`the thread of alert ${alert.name}`, async () => {
      sources.push({ place: 'alert', contents: await reader.read(alert.channelId!, alert.messageTs!) });
    });
  }
  if (reader.history && incident.channelId) {
    const channel = incident.channelId;
    const from = new Date(incident.startedAt.getTime() - CHANNEL_LOOKBACK_MINUTES * 60_000);
    const to = incident.resolvedAt ?? deps.clock.now();
    await attempt('the channel', async () => {
      const history = await reader.history!(channel, from, to);
      // This bot's posts are recorded events; alert posts are read through their threads above.
      const own = history.messages.filter((m) => !readThreads.has(`${channel}:${m.ts}`) && !m.isBot);
      sources.push({ place: 'channel', contents: { ...history, messages: own } });
      const threads = history.messages.filter((m) => m.replyCount && !readThreads.has(`${channel}:${m.ts}`)).slice(0, MAX_RELATED_THREADS);
      for (const m of threads) {
        readThreads.add(`${channel}:${m.ts}`);
        const contents = await reader.read(channel, m.ts);
        sources.push({
          place: m.isBot ? 'alert' : 'thread',
          contents: { ...contents, messages: contents.messages.filter((x) => x.ts !== m.ts || m.isBot) },
        });
      }
    });
  }
  return { sources, problems };
}

/**
 * The few lines posted in the thread with the file. Every value is escaped with `escape` (escapeMrkdwn), so no
 * text from the thread can become a mention, a broadcast or a link.
 */
export function postmortemSummary(
  facts: PostmortemFacts,
  meta: { version: number; filename: string; stats: PostmortemStats; escape: Escape },
): string {
  const e = meta.escape;
  const inc = facts.incident;
  const s = meta.stats;
  const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const ack = facts.timeToAcknowledgeMinutes === null ? 'not acknowledged' : formatDuration(facts.timeToAcknowledgeMinutes);
  const sla = facts.sla.met === null ? 'not due yet' : facts.sla.met ? 'met' : 'missed';
  const lines = [
    `:memo: *Post-mortem draft v${meta.version}: ${e(cut(inc.title, 150))}* (${inc.id})`,
    `*Duration:* ${formatDuration(facts.durationMinutes)}${facts.ongoing ? ' (ongoing)' : ''} · *Time to acknowledge:* ${ack} (${facts.sla.severity} SLA ${formatDuration(facts.sla.minutes)}${facts.sla.severity !== inc.severity ? ' at detection' : ''}: ${sla}) · *Time to resolve:* ${facts.timeToResolveMinutes === null ? 'not resolved yet' : formatDuration(facts.timeToResolveMinutes)}`,
    s.threadProblem
      ? `_${e(cap(s.threadProblem))}; the draft uses the ${plural(s.timelineEvents, 'recorded timeline event')}._`
      : `From ${plural(s.messages, 'message')} and ${plural(s.timelineEvents, 'timeline event')}: ${plural(s.actionItems, 'action item')}, ${plural(s.rootCauseStatements, 'root-cause statement')}, ${plural(s.impactStatements, 'impact statement')}, ${plural(s.decisions, 'decision')}${s.peakValues ? `, ${plural(s.peakValues, 'peak value')}` : ''}.`,
  ];
  const actions = facts.actionItems;
  if (actions.length) {
    lines.push('*Action items:*');
    for (const a of actions.slice(0, 5))
      lines.push(`• ${a.done ? '~' : ''}${e(cut(a.text, 150))}${a.done ? '~' : ''}${a.owner ? ` (${e(a.owner)})` : ''}`);
    if (actions.length > 5) lines.push(`… and ${actions.length - 5} more in the draft`);
  } else if (!s.threadProblem) {
    lines.push('No commitments ("I\'ll …", a request and its acceptance) were found in the messages: add the action items to the draft.');
  }
  lines.push(
    `The full draft is attached (${e(meta.filename)}); fill in every [FILL IN]. \`incident-bot postmortem ${inc.id}\` exports the latest version.`,
  );
  return lines.join('\n');
}

function slackErrorText(err: unknown): string {
  const data = (err as { data?: { error?: string } }).data;
  return data?.error ?? (err as Error).message ?? String(err);
}

function cut(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
