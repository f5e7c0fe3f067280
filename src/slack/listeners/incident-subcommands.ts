import type { App, RespondFn } from '@slack/bolt';
import type { ChatPostMessageArguments } from '@slack/web-api';
import type { Clock } from '../../clock';
import { climbsLadder } from '../../domain/escalation';
import { BotError } from '../../errors';
import type { OpenIncidentInput } from '../../incidents/incident-service';
import type { ReminderCallbacks } from '../../incidents/reminders-and-escalations';
import type { Logger } from '../../logger';
import type { AlertRecord } from '../../domain/alert';
import type { Incident } from '../../domain/incident';
import type { IncidentRoom } from '../../domain/incident-room';
import type { OpenRoomContext } from '../incident-room';
import { USAGE } from '../command-grammar';
import {
  chooseIncidentText,
  escalationText,
  incidentAckText,
  isEscalationTarget,
  OPEN_INCIDENT_CALLBACK_ID,
  openIncidentModal,
  parseOpenIncidentSubmission,
  renderIncidentList,
  renderIncidentStatus,
  renderPrivateIncidentStatus,
  renderNotification,
  severityChangedText,
  statusReminderText,
} from '../blocks/incident-blocks';
import { incidentEscalationText, promotedText, whoToCallBlock } from '../blocks/lifecycle-blocks';
import type { IncidentReader } from '../incident-visibility';
import type { SlackPoster } from '../slack-poster';
import { onViewSubmission } from '../keyed-router';
import {
  announce,
  copyToSeverityChannel,
  openingMessage,
  postInThread,
  refreshOpeningNotification,
  type IncidentCommandDeps,
} from './incident-announcements';
import type { CommandInvocation, SubcommandHandlers } from './incident-command-dispatch';
import { mitigateCommandHandler, resolveCommandHandler } from './incident-resolution';

export type { IncidentCommandDeps } from './incident-announcements';

/** Severity of `/incident open <title>` without one: medium, to be raised with `/incident sev`. */
export const DEFAULT_OPEN_SEVERITY = 'P2';

/**
 * Opens an incident and posts its notification (from templates/): in its own channel when rooms are on, else in the
 * channel it was opened from; the notification's thread becomes the incident's thread. Used by `/incident open`,
 * the modal and the alert's "Open incident" button (which passes the alert: its thread gets the room's link).
 */
export async function openAndAnnounce(
  deps: IncidentCommandDeps,
  input: OpenIncidentInput & { channelId: string; alert?: AlertRecord },
): Promise<Incident> {
  const { alert, ...openInput } = input;
  const incident = await deps.incidents.open(openInput);
  const announceIn = openingAnnouncer(deps, incident);
  if (!deps.rooms) return announceIn(input.channelId);
  const origin = {
    channelId: input.channelId,
    ...(alert?.messageTs && alert.channelId === input.channelId ? { threadTs: alert.messageTs } : {}),
  };
  return deps.rooms.open(incident, { opener: input.actor, origin, ...(alert ? { alert } : {}), announce: announceIn });
}

/** Posts the opening notification in a channel and makes it the incident's thread. */
function openingAnnouncer(deps: IncidentCommandDeps, incident: Incident): (channelId: string) => Promise<Incident> {
  return async (channelId) => {
    const message = openingMessage(deps, incident);
    const posted = await deps.poster.post({ channel: channelId, text: message.text, blocks: message.blocks, unfurl_links: false });
    const placed = await deps.incidents.setThread(incident.id, posted.channel, posted.ts);
    await copyToSeverityChannel(deps, placed, message);
    return placed;
  };
}

/**
 * What resuming an unfinished room opening needs, rebuilt from the record: the opener, where it was opened and the
 * alert posted there (the origin thread is the alert's message), and the same opening notification.
 */
export async function resumedOpeningContext(
  deps: IncidentCommandDeps,
  alertAt: (channelId: string, ts: string) => Promise<AlertRecord | null>,
  incident: Incident,
  room: IncidentRoom,
): Promise<OpenRoomContext> {
  const channelId = room.originChannelId ?? incident.channelId;
  if (!channelId) throw new Error(`${incident.id} has no record of where it was opened`);
  const alert = room.originThreadTs ? await alertAt(channelId, room.originThreadTs) : null;
  return {
    opener: incident.createdBy,
    origin: { channelId, ...(room.originThreadTs ? { threadTs: room.originThreadTs } : {}) },
    ...(alert ? { alert } : {}),
    announce: openingAnnouncer(deps, incident),
  };
}

/**
 * The incident the command is about: the given ID, else the incident whose channel this is, else the one active incident of this channel
 * (slash commands carry no thread, so "inside an incident thread" means "in its channel").
 */
async function targetIncident(deps: IncidentCommandDeps, inv: CommandInvocation, id: string | undefined, usage: string): Promise<Incident> {
  if (id) return deps.incidents.get(id);
  // In an incident's own channel the command is about that incident, from the moment the channel exists.
  const inRoom = await deps.rooms?.incidentOfChannel(inv.channelId);
  if (inRoom) return deps.incidents.get(inRoom);
  const here = (await deps.incidents.listActive()).filter((i) => i.channelId === inv.channelId);
  if (here.length === 1) return here[0]!;
  throw new BotError('BAD_INPUT', chooseIncidentText(here, usage));
}

/** Without rooms nothing records privacy: every incident is shown, as in the thread it lives in. */
const readerOf = (deps: IncidentCommandDeps, inv: CommandInvocation): IncidentReader =>
  deps.visibility?.reader({ userId: inv.userId, channelId: inv.channelId }) ?? (async () => true);

const ephemeral = (respond: RespondFn, text: string, blocks?: unknown[]) =>
  respond({ response_type: 'ephemeral', text, ...(blocks ? { blocks: blocks as never } : {}) });

/** Handlers for `/incident open|ack|status|update|sev|mitigate|resolve|list`, for registerIncidentCommand. */
export function incidentCommandHandlers(deps: IncidentCommandDeps): SubcommandHandlers {
  return {
    open: async (inv) => {
      const { title, severity, started } = inv.command;
      if (!title) {
        await deps.client.views.open({ trigger_id: inv.triggerId, view: openIncidentModal(inv.channelId) });
        return;
      }
      await openAndAnnounce(deps, {
        title,
        severity: severity ?? DEFAULT_OPEN_SEVERITY,
        actor: inv.userId,
        channelId: inv.channelId,
        ...(started ? { startedAt: started } : {}),
      });
    },

    ack: async (inv) => {
      const target = await targetIncident(deps, inv, inv.command.incidentId, USAGE.ack);
      const r = await deps.incidents.acknowledge(target.id, inv.userId);
      await postInThread(deps, r.incident, { text: incidentAckText(r.incident, r) }, inv.channelId);
      await refreshOpeningNotification(deps, r.incident, inv.log);
    },

    status: async (inv) => {
      const target = await targetIncident(deps, inv, inv.command.incidentId, USAGE.status);
      if (!(await readerOf(deps, inv)(target))) {
        const { text, blocks } = renderPrivateIncidentStatus(target);
        await ephemeral(inv.respond, text, blocks);
        return;
      }
      const { text, blocks } = renderIncidentStatus(target, await deps.incidents.timeline(target.id));
      const whoToCall = whoToCallBlock((await deps.contactsOf?.(target.id)) ?? []);
      await ephemeral(inv.respond, text, whoToCall ? [...blocks, whoToCall] : blocks);
    },

    update: async (inv) => {
      const target = await targetIncident(deps, inv, undefined, USAGE.update);
      const { incident, event } = await deps.incidents.postStatusUpdate(
        target.id,
        inv.command.text,
        inv.userId,
        inv.command.started ? { startedAt: inv.command.started } : {},
      );
      const { text, blocks } = renderNotification(
        deps.notifications.statusUpdate(incident, { text: event.text, actor: inv.userId, at: event.at }),
      );
      await announce(deps, incident, { text, blocks }, inv.channelId, { log: inv.log });
      await refreshOpeningNotification(deps, incident, inv.log);
    },

    sev: async (inv) => {
      const target = await targetIncident(deps, inv, inv.command.incidentId, USAGE.sev);
      const { incident, from } = await deps.incidents.changeSeverity(target.id, inv.command.severity, inv.userId);
      await announce(deps, incident, { text: severityChangedText(incident, from, inv.userId) }, inv.channelId, { log: inv.log });
      await refreshOpeningNotification(deps, incident, inv.log);
    },

    resolve: resolveCommandHandler(deps),

    mitigate: mitigateCommandHandler(deps, (inv, id) => targetIncident(deps, inv, id, USAGE.mitigate)),

    list: async (inv) => {
      const active = await deps.incidents.listActive();
      const canRead = readerOf(deps, inv);
      const withheld = new Set<string>();
      for (const i of active) if (!(await canRead(i))) withheld.add(i.id);
      const { text, blocks } = renderIncidentList(active, withheld);
      await ephemeral(inv.respond, text, blocks);
    },
  };
}

/** The modal's submission: field errors go back to the modal; anything else is told to the user ephemerally. */
export function registerIncidentViews(app: App, deps: IncidentCommandDeps): void {
  onViewSubmission(app, OPEN_INCIDENT_CALLBACK_ID, async ({ ack, view, body, context }) => {
    const log = (context.log as Logger | undefined) ?? deps.logger;
    const parsed = parseOpenIncidentSubmission(view);
    if (!parsed.ok) {
      await ack({ response_action: 'errors', errors: parsed.errors });
      return;
    }
    await ack();
    const userId = body.user.id;
    const channelId = parsed.channelId;
    if (!channelId) {
      log.warn('incident modal submitted without a channel in private_metadata');
      return;
    }
    try {
      await openAndAnnounce(deps, {
        title: parsed.title,
        severity: parsed.severity,
        actor: userId,
        channelId,
        ...(parsed.impact ? { impact: parsed.impact } : {}),
        ...(parsed.started ? { startedAt: parsed.started } : {}),
      });
    } catch (err) {
      const text =
        err instanceof BotError ? err.userMessage : 'Sorry, opening the incident failed on our side. It has been logged; try again.';
      if (!(err instanceof BotError)) log.error({ err }, 'opening an incident from the modal failed');
      await deps.client.chat.postEphemeral({ channel: channelId, user: userId, text }).catch(() => undefined);
    }
  });
}

/**
 * What the reminder loop posts: the overdue-update reminder in the incident thread (P0/P1 shown in the channel too and
 * naming the lead), escalation pages in the alert's or incident's thread, and the P1 → P0 promotion. Targets that
 * are not Slack user or user-group ids are refused (logged), never posted.
 */
export function createReminderCallbacks(deps: {
  poster: SlackPoster;
  logger: Logger;
  clock: Clock;
  incidents?: IncidentCommandDeps;
}): ReminderCallbacks {
  return {
    remind: async (inc) => {
      if (!inc.channelId) {
        deps.logger.warn({ incidentId: inc.id }, 'status update overdue, but the incident has no channel to remind');
        return;
      }
      const urgent = climbsLadder(inc.severity);
      const inThread = inc.threadTs ? { thread_ts: inc.threadTs, ...(urgent ? { reply_broadcast: true } : {}) } : {};
      await deps.poster.post({ channel: inc.channelId, ...inThread, text: statusReminderText(inc, urgent) } as ChatPostMessageArguments);
    },
    escalate: async (alert, level, target) => {
      if (!isEscalationTarget(target)) {
        deps.logger.error({ alertId: alert.id, level: level.level }, 'escalation target is not a Slack user or user-group id; not paged');
        return;
      }
      if (!alert.channelId) {
        deps.logger.warn({ alertId: alert.id, level: level.level }, 'alert has no channel: escalation not posted');
        return;
      }
      const inThread = alert.messageTs ? { thread_ts: alert.messageTs, reply_broadcast: true } : {};
      await deps.poster.post({
        channel: alert.channelId,
        ...inThread,
        text: escalationText(alert, level, target, deps.clock.now()),
      } as ChatPostMessageArguments);
    },
    escalateIncident: async (inc, level, targets) => {
      const valid = targets.filter(isEscalationTarget);
      if (valid.length < targets.length)
        deps.logger.error({ incidentId: inc.id, level: level.level }, 'escalation target is not a Slack user or user-group id; not paged');
      if (valid.length === 0) return;
      if (!inc.channelId) {
        deps.logger.warn({ incidentId: inc.id, level: level.level }, 'incident has no channel: escalation not posted');
        return;
      }
      const inThread = inc.threadTs ? { thread_ts: inc.threadTs, reply_broadcast: true } : {};
      await deps.poster.post({
        channel: inc.channelId,
        ...inThread,
        text: incidentEscalationText(inc, level, valid, deps.clock.now()),
      } as ChatPostMessageArguments);
    },
    promoted: async (inc, from) => {
      const text = promotedText(inc, from, deps.clock.now());
      if (!deps.incidents) {
        if (inc.channelId)
          await deps.poster.post({
            channel: inc.channelId,
            ...(inc.threadTs ? { thread_ts: inc.threadTs, reply_broadcast: true } : {}),
            text,
          } as ChatPostMessageArguments);
        return;
      }
      if (!inc.channelId) {
        deps.logger.warn({ incidentId: inc.id }, 'incident promoted to P0, but it has no channel to say so');
        await copyToSeverityChannel(deps.incidents, inc, { text });
        return;
      }
      await announce(deps.incidents, inc, { text }, inc.channelId, { broadcast: true });
      await refreshOpeningNotification(deps.incidents, inc, deps.logger);
    },
  };
}
