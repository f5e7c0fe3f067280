import type { App } from '@slack/bolt';
import { BotError } from '../../errors';
import type { IncidentResolveResult } from '../../incidents/incident-service';
import type { Logger } from '../../logger';
import type { Incident } from '../../domain/incident';
import { onButton } from '../button-router';
import type { IncidentCommand } from '../command-grammar';
import { incidentForViewer } from '../incident-visibility';
import { onViewSubmission } from '../keyed-router';
import { renderNotification } from '../blocks/incident-blocks';
import {
  chooseIncidentToResolveText,
  INCIDENT_ACTION_IDS,
  mitigatedText,
  parseResolveSubmission,
  RESOLVE_INCIDENT_CALLBACK_ID,
  resolveModal,
} from '../blocks/lifecycle-blocks';
import { announce, refreshOpeningNotification, type IncidentCommandDeps } from './incident-announcements';
import type { CommandInvocation } from './incident-command-dispatch';

type ResolveCommand = Extract<IncidentCommand, { name: 'resolve' }>;
type MitigateCommand = Extract<IncidentCommand, { name: 'mitigate' }>;

/**
 * Resolves and posts the resolution notification (seed 002) in the incident's thread, shown in the channel too, and
 * copied to its tier's channel. The post-mortem line names the latest draft when there is one.
 */
export async function resolveAndAnnounce(
  deps: IncidentCommandDeps,
  input: { incidentId: string; actor: string; rootCause: string; resolution: string; summary?: string; channelId: string; log: Logger },
): Promise<IncidentResolveResult> {
  const r = await deps.incidents.resolve(input.incidentId, {
    actor: input.actor,
    rootCause: input.rootCause,
    resolution: input.resolution,
    ...(input.summary ? { summary: input.summary } : {}),
  });
  const postmortemLink = await draftLink(deps, r.incident, input.log);
  const text = deps.notifications.incidentResolved(r.incident, {
    ...r,
    offerPostmortem: r.offerPostmortem || postmortemLink !== undefined,
    ...(postmortemLink ? { postmortemLink } : {}),
  });
  const message = renderNotification(text, r.offerPostmortem ? { postmortemFor: r.incident.id } : {});
  await announce(deps, r.incident, message, input.channelId, { broadcast: true, log: input.log });
  await refreshOpeningNotification(deps, r.incident, input.log);
  return r;
}

/** "draft v2 in the incident thread: <permalink>" when a draft exists; a failed lookup only loses the line. */
async function draftLink(deps: IncidentCommandDeps, inc: Incident, log: Logger): Promise<string | undefined> {
  if (!deps.latestPostmortem) return undefined;
  try {
    const draft = await deps.latestPostmortem(inc.id);
    if (!draft) return undefined;
    let where = 'in the incident thread';
    if (inc.channelId && inc.threadTs) {
      const r = await deps.client.chat.getPermalink({ channel: inc.channelId, message_ts: inc.threadTs });
      if (typeof r.permalink === 'string' && /^https?:\/\//.test(r.permalink)) where = `in the incident thread: ${r.permalink}`;
    }
    return `draft v${draft.version} ${where}`;
  } catch (err) {
    log.warn({ err: { message: (err as Error).message }, incidentId: inc.id }, 'could not find the post-mortem draft for the resolution');
    return undefined;
  }
}

/**
 * `/incident resolve [INC-ID] [root_cause="…"] [resolution="…"] [summary]`. With both fields it resolves at once;
 * otherwise a modal asks for them. Without an ID it never picks the channel's incident by itself: it lists the active
 * incidents and the modal asks which.
 */
export function resolveCommandHandler(deps: IncidentCommandDeps) {
  return async (inv: CommandInvocation<ResolveCommand>): Promise<void> => {
    const { incidentId, summary, rootCause } = inv.command;
    const resolution = inv.command.resolution ?? summary;
    if (!incidentId) {
      // The form and the answer name each incident by its title: only those the user may read are offered.
      const canRead = deps.visibility?.reader({ userId: inv.userId, channelId: inv.channelId });
      const active: Incident[] = [];
      for (const i of await deps.incidents.listActive()) if (!canRead || (await canRead(i))) active.push(i);
      if (active.length === 0) {
        await inv.respond({ response_type: 'ephemeral', text: chooseIncidentToResolveText(active) });
        return;
      }
      // This channel's incidents first.
      const choices = [...active.filter((i) => i.channelId === inv.channelId), ...active.filter((i) => i.channelId !== inv.channelId)];
      await deps.client.views.open({
        trigger_id: inv.triggerId,
        view: resolveModal({
          choices,
          channelId: inv.channelId,
          ...(rootCause ? { rootCause } : {}),
          ...(resolution ? { resolution } : {}),
        }),
      });
      await inv.respond({ response_type: 'ephemeral', text: chooseIncidentToResolveText(choices) });
      return;
    }
    const inc = await deps.incidents.get(incidentId);
    if (inc.status === 'resolved') throw new BotError('CONFLICT', `${inc.id} is already resolved: resolve is not possible.`);
    if (!rootCause || !resolution) {
      await deps.client.views.open({
        trigger_id: inv.triggerId,
        view: resolveModal({
          incidentId: inc.id,
          channelId: inv.channelId,
          ...(rootCause ? { rootCause } : {}),
          ...(resolution ? { resolution } : {}),
        }),
      });
      return;
    }
    await resolveAndAnnounce(deps, {
      incidentId: inc.id,
      actor: inv.userId,
      rootCause,
      resolution,
      ...(summary && inv.command.resolution ? { summary } : {}),
      channelId: inv.channelId,
      log: inv.log,
    });
  };
}

/** `/incident mitigate [INC-ID] [note]`: impact stopped, fix not yet confirmed (the incident keeps its thread). */
export function mitigateCommandHandler(
  deps: IncidentCommandDeps,
  targetIncident: (inv: CommandInvocation<MitigateCommand>, id: string | undefined) => Promise<Incident>,
) {
  return async (inv: CommandInvocation<MitigateCommand>): Promise<void> => {
    const target = await targetIncident(inv, inv.command.incidentId);
    await mitigateAndAnnounce(deps, target.id, inv.userId, inv.command.note, inv.channelId, inv.log);
  };
}

async function mitigateAndAnnounce(
  deps: IncidentCommandDeps,
  incidentId: string,
  actor: string,
  note: string | undefined,
  channelId: string,
  log: Logger,
): Promise<void> {
  const inc = await deps.incidents.mitigate(incidentId, actor, note);
  await announce(deps, inc, { text: mitigatedText(inc, note?.trim() || undefined) }, channelId, { log });
  await refreshOpeningNotification(deps, inc, log);
}

/** What someone outside a private incident is told when they click its buttons or submit its resolve form. */
const LIFECYCLE_INSIDE_ONLY = 'it is mitigated and resolved from inside it';

/**
 * The Mitigated and Resolve buttons of an incident's notification, and the resolve modal's submission. The buttons
 * live in the incident's own thread, but their value is only an id and a click can come from anywhere (a crafted
 * payload, a copied message): the clicker and the channel of the click decide, as for a command.
 */
export function registerIncidentResolution(app: App, deps: IncidentCommandDeps): void {
  const tell = async (channelId: string | undefined, userId: string, text: string, log: Logger) => {
    if (!channelId) return;
    await deps.client.chat
      .postEphemeral({ channel: channelId, user: userId, text })
      .catch((err: Error) => log.warn({ err: { message: err.message } }, 'ephemeral reply failed'));
  };
  const failed = async (err: unknown, what: string, channelId: string | undefined, userId: string, log: Logger) => {
    if (err instanceof BotError) {
      log.warn({ code: err.code, what }, err.userMessage);
      await tell(channelId, userId, err.userMessage, log);
      return;
    }
    log.error({ err, what }, 'incident action failed');
    await tell(channelId, userId, `Sorry, ${what} failed on our side. It has been logged; try again.`, log);
  };

  // A thrown BotError is answered to the clicker in the thread by the button router.
  onButton(app, INCIDENT_ACTION_IDS.mitigated, async ({ ack, body, action, context }) => {
    await ack();
    const log = (context.log as Logger | undefined) ?? deps.logger;
    const channelId = body.channel?.id ?? body.container?.channel_id ?? '';
    const inc = await incidentForViewer(deps, { userId: body.user.id, channelId }, action.value ?? '', LIFECYCLE_INSIDE_ONLY);
    await mitigateAndAnnounce(deps, inc.id, body.user.id, undefined, channelId, log);
  });

  onButton(app, INCIDENT_ACTION_IDS.resolve, async ({ ack, body, action }) => {
    await ack();
    const channelId = body.channel?.id ?? body.container?.channel_id;
    const viewer = { userId: body.user.id, channelId: channelId ?? '' };
    const inc = await incidentForViewer(deps, viewer, action.value ?? '', LIFECYCLE_INSIDE_ONLY);
    if (inc.status === 'resolved') throw new BotError('CONFLICT', `${inc.id} is already resolved.`);
    await deps.client.views.open({
      trigger_id: body.trigger_id,
      view: resolveModal({ incidentId: inc.id, channelId: channelId ?? inc.channelId ?? '' }),
    });
  });

  onViewSubmission(app, RESOLVE_INCIDENT_CALLBACK_ID, async ({ ack, view, body, context }) => {
    const log = (context.log as Logger | undefined) ?? deps.logger;
    const parsed = parseResolveSubmission(view);
    if (!parsed.ok) {
      await ack({ response_action: 'errors', errors: parsed.errors });
      return;
    }
    await ack();
    const userId = body.user.id;
    try {
      const viewer = { userId, channelId: parsed.channelId ?? '' };
      const inc = await incidentForViewer(deps, viewer, parsed.incidentId, LIFECYCLE_INSIDE_ONLY);
      await resolveAndAnnounce(deps, {
        incidentId: inc.id,
        actor: userId,
        rootCause: parsed.rootCause,
        resolution: parsed.resolution,
        channelId: parsed.channelId ?? inc.channelId ?? '',
        log,
      });
    } catch (err) {
      await failed(err, 'resolving the incident', parsed.channelId, userId, log);
    }
  });
}
