import type { App, RespondFn } from '@slack/bolt';
import type { ChatPostMessageArguments, WebClient } from '@slack/web-api';
import type { Clock } from '../../clock';
import { BotError } from '../../errors';
import type { IncidentService, OpenIncidentInput } from '../../incidents/incident-service';
import type { ReminderCallbacks } from '../../incidents/reminders-and-escalations';
import type { IncidentNotifications } from '../../incidents/templates';
import type { Logger } from '../../logger';
import type { Incident } from '../../domain/incident';
import { USAGE } from '../command-grammar';
import { escapeMrkdwn } from '../blocks/mrkdwn';
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
  renderNotification,
  severityChangedText,
  statusReminderText,
} from '../blocks/incident-blocks';
import type { SlackPoster } from '../slack-poster';
import type { CommandInvocation, SubcommandHandlers } from './incident-command-dispatch';

export interface IncidentCommandDeps {
  incidents: IncidentService;
  notifications: IncidentNotifications;
  poster: SlackPoster;
  client: WebClient;
  logger: Logger;
}

/** Severity of `/incident open <title>` without one: medium, to be raised with `/incident sev`. */
export const DEFAULT_OPEN_SEVERITY = 'P2';

/**
 * Opens an incident and posts its notification (from templates/) in the channel; the notification's thread
 * becomes the incident's thread. Used by `/incident open`, the modal and the alert's "Open incident" button.
 */
export async function openAndAnnounce(deps: IncidentCommandDeps, input: OpenIncidentInput & { channelId: string }): Promise<Incident> {
  const incident = await deps.incidents.open(input);
  const { text, blocks } = renderNotification(deps.notifications.incidentOpened(incident));
  const posted = await deps.poster.post({ channel: input.channelId, text, blocks, unfurl_links: false });
  return deps.incidents.setThread(incident.id, posted.channel, posted.ts);
}

/** Posts in the incident's thread (or its channel when it has no thread yet); nothing when it has no channel. */
async function postInThread(deps: IncidentCommandDeps, inc: Incident, msg: { text: string; blocks?: ReturnType<typeof renderNotification>['blocks'] }, fallbackChannel: string, broadcast = false): Promise<void> {
  const channel = inc.channelId ?? fallbackChannel;
  const inThread = inc.threadTs && inc.channelId ? { thread_ts: inc.threadTs, ...(broadcast ? { reply_broadcast: true } : {}) } : {};
  await deps.poster.post({ channel, ...inThread, text: msg.text, ...(msg.blocks ? { blocks: msg.blocks } : {}), unfurl_links: false } as ChatPostMessageArguments);
}

/** Keeps the opening notification current (status, severity, next update); a failure is only logged. */
async function refreshOpeningNotification(deps: IncidentCommandDeps, inc: Incident, log: Logger): Promise<void> {
  if (!inc.channelId || !inc.threadTs) return;
  const { text, blocks } = renderNotification(deps.notifications.incidentOpened(inc));
  await deps.poster.update({ channel: inc.channelId, ts: inc.threadTs, text, blocks }).catch((err: Error) => {
    log.warn({ err: { message: err.message }, incidentId: inc.id }, 'could not update the incident notification');
  });
}

/**
 * The incident the command is about: the given ID, else the one active incident of this channel
 * (slash commands carry no thread, so "inside an incident thread" means "in its channel").
 */
async function targetIncident(deps: IncidentCommandDeps, inv: CommandInvocation, id: string | undefined, usage: string): Promise<Incident> {
  if (id) return deps.incidents.get(id);
  const here = (await deps.incidents.listActive()).filter((i) => i.channelId === inv.channelId);
  if (here.length === 1) return here[0]!;
  throw new BotError('BAD_INPUT', chooseIncidentText(here, usage));
}

const ephemeral = (respond: RespondFn, text: string, blocks?: unknown[]) =>
  respond({ response_type: 'ephemeral', text, ...(blocks ? { blocks: blocks as never } : {}) });

/** Handlers for `/incident open|ack|status|update|sev|resolve|list`, for registerIncidentCommand. */
export function incidentCommandHandlers(deps: IncidentCommandDeps): SubcommandHandlers {
  return {
    open: async (inv) => {
      const { title, severity, started } = inv.command;
      if (!title) {
        await deps.client.views.open({ trigger_id: inv.triggerId, view: openIncidentModal(inv.channelId) });
        return;
      }
      await openAndAnnounce(deps, { title, severity: severity ?? DEFAULT_OPEN_SEVERITY, actor: inv.userId, channelId: inv.channelId, ...(started ? { startedAt: started } : {}) });
    },

    ack: async (inv) => {
      const target = await targetIncident(deps, inv, inv.command.incidentId, USAGE.ack);
      const r = await deps.incidents.acknowledge(target.id, inv.userId);
      await postInThread(deps, r.incident, { text: incidentAckText(r.incident, r) }, inv.channelId);
      await refreshOpeningNotification(deps, r.incident, inv.log);
    },

    status: async (inv) => {
      const target = await targetIncident(deps, inv, inv.command.incidentId, USAGE.status);
      const { text, blocks } = renderIncidentStatus(target, await deps.incidents.timeline(target.id));
      await ephemeral(inv.respond, text, blocks);
    },

    update: async (inv) => {
      const target = await targetIncident(deps, inv, undefined, USAGE.update);
      const { incident, event } = await deps.incidents.postStatusUpdate(target.id, inv.command.text, inv.userId, inv.command.started ? { startedAt: inv.command.started } : {});
      const { text, blocks } = renderNotification(deps.notifications.statusUpdate(incident, { text: event.text, actor: inv.userId, at: event.at }));
      await postInThread(deps, incident, { text, blocks }, inv.channelId);
      await refreshOpeningNotification(deps, incident, inv.log);
    },

    sev: async (inv) => {
      const target = await targetIncident(deps, inv, inv.command.incidentId, USAGE.sev);
      const { incident, from } = await deps.incidents.changeSeverity(target.id, inv.command.severity, inv.userId);
      await postInThread(deps, incident, { text: severityChangedText(incident, from, inv.userId) }, inv.channelId);
      await refreshOpeningNotification(deps, incident, inv.log);
    },

    resolve: async (inv) => {
      const target = await targetIncident(deps, inv, inv.command.incidentId, USAGE.resolve);
      const r = await deps.incidents.resolve(target.id, { actor: inv.userId, ...(inv.command.summary ? { summary: inv.command.summary } : {}) });
      const message = renderNotification(deps.notifications.incidentResolved(r.incident, r), r.offerPostmortem ? { postmortemFor: r.incident.id } : {});
      await postInThread(deps, r.incident, message, inv.channelId, true);
      await refreshOpeningNotification(deps, r.incident, inv.log);
    },

    mitigate: async (inv) => {
      const target = await targetIncident(deps, inv, inv.command.incidentId, USAGE.mitigate);
      const incident = await deps.incidents.mitigate(target.id, inv.userId, inv.command.note);
      await postInThread(deps, incident, { text: `:large_yellow_circle: <@${inv.userId}> marked ${incident.id} mitigated${inv.command.note ? `: ${escapeMrkdwn(inv.command.note)}` : ''}.` }, inv.channelId);
      await refreshOpeningNotification(deps, incident, inv.log);
    },

    list: async (inv) => {
      const { text, blocks } = renderIncidentList(await deps.incidents.listActive());
      await ephemeral(inv.respond, text, blocks);
    },
  };
}

/** The modal's submission: field errors go back to the modal; anything else is told to the user ephemerally. */
export function registerIncidentViews(app: App, deps: IncidentCommandDeps): void {
  app.view(OPEN_INCIDENT_CALLBACK_ID, async ({ ack, view, body, context }) => {
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
      await openAndAnnounce(deps, { title: parsed.title, severity: parsed.severity, actor: userId, channelId, ...(parsed.impact ? { impact: parsed.impact } : {}) });
    } catch (err) {
      const text = err instanceof BotError ? err.userMessage : 'Sorry, opening the incident failed on our side. It has been logged; try again.';
      if (!(err instanceof BotError)) log.error({ err }, 'opening an incident from the modal failed');
      await deps.client.chat.postEphemeral({ channel: channelId, user: userId, text }).catch(() => undefined);
    }
  });
}

/**
 * What the reminder loop posts: the overdue-update reminder in the incident thread, and escalation pages in the
 * alert's thread. Targets that are not Slack user or user-group ids are refused (logged), never posted.
 */
export function createReminderCallbacks(deps: { poster: SlackPoster; logger: Logger; clock: Clock }): ReminderCallbacks {
  return {
    remind: async (inc) => {
      if (!inc.channelId) {
        deps.logger.warn({ incidentId: inc.id }, 'status update overdue, but the incident has no channel to remind');
        return;
      }
      await deps.poster.post({ channel: inc.channelId, ...(inc.threadTs ? { thread_ts: inc.threadTs } : {}), text: statusReminderText(inc) });
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
      await deps.poster.post({ channel: alert.channelId, ...inThread, text: escalationText(alert, level, target, deps.clock.now()) } as ChatPostMessageArguments);
    },
  };
}
