import type { App, RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Clock } from '../../clock';
import { BotError, forbidden, isConnectionError, storageUnavailable } from '../../errors';
import type { FollowUp } from '../../domain/follow-up';
import type { Incident } from '../../domain/incident';
import type { FollowUpExporter } from '../../followups/follow-up-export';
import type { FollowUpService } from '../../followups/follow-up-service';
import type { IncidentService } from '../../incidents/incident-service';
import type { Logger } from '../../logger';
import { USAGE } from '../command-grammar';
import {
  FOLLOW_UP_BUTTON_VALUE,
  FOLLOW_UP_DONE_ACTION_ID,
  FOLLOW_UP_EXPORT_ACTION_ID,
  followUpAddedText,
  followUpLine,
  followUpList,
  followUpOverdueText,
  type WithheldFollowUps,
} from '../blocks/follow-up-blocks';
import { escapeMrkdwn } from '../blocks/mrkdwn';
import { onButton } from '../button-router';
import { slackErrorCode } from '../channel-access';
import type { IncidentVisibility, Viewer } from '../incident-visibility';
import type { SlackPoster } from '../slack-poster';
import type { SubcommandHandlers } from './incident-command-dispatch';
import { incidentHere, type IncidentRoomCommandDeps } from './incident-room-commands';

export interface FollowUpSlackDeps {
  followUps: FollowUpService;
  exporter: FollowUpExporter;
  canExport: boolean;
  incidents: Pick<IncidentService, 'get' | 'listActive'>;
  room: IncidentRoomCommandDeps;
  /** Who may read a private incident's follow-ups; absent: everyone (no rooms, no privacy). */
  visibility?: IncidentVisibility;
  poster: SlackPoster;
  client: WebClient;
  clock: Clock;
  logger: Logger;
}

/** Posts in the incident's thread (or its channel); nothing when it has no channel. */
async function postToIncident(deps: FollowUpSlackDeps, incidentId: string, text: string): Promise<boolean> {
  const inc = await deps.incidents.get(incidentId);
  if (!inc.channelId) return false;
  await deps.poster.post({ channel: inc.channelId, ...(inc.threadTs ? { thread_ts: inc.threadTs } : {}), text, unfurl_links: false });
  return true;
}

/**
 * The room notice after a follow-up changed: the change has committed by then, so a notice Slack refuses is reported as
 * such (the change stands), never as a failure of the change.
 */
async function noticeToIncident(
  deps: FollowUpSlackDeps,
  incidentId: string,
  text: string,
  log: Logger,
): Promise<'posted' | 'no_channel' | string> {
  try {
    return (await postToIncident(deps, incidentId, text)) ? 'posted' : 'no_channel';
  } catch (err) {
    const why = slackErrorCode(err) ?? (isConnectionError(err) ? 'storage unavailable' : (err as Error).message);
    log.warn({ incidentId, why }, 'could not post the follow-up notice in the incident channel');
    return why;
  }
}

/** What the clicker is told after the change itself succeeded. */
function noticeOutcome(done: string, notice: string, incidentId: string): string | undefined {
  if (notice === 'posted') return undefined;
  if (notice === 'no_channel') return done;
  return `${done} The notice in ${incidentId}'s channel could not be posted (Slack: ${escapeMrkdwn(notice.slice(0, 100))}); tell the room yourself.`;
}

/**
 * Splits a listing into what the viewer may read and, per private incident they may not, its id, severity, status and
 * how many follow-ups were left out. `/incident followups mine` shows one's own follow-ups in full: someone in the room
 * named them owner, which is telling them.
 */
async function withholdPrivate(
  deps: FollowUpSlackDeps,
  list: readonly FollowUp[],
  viewer: Viewer,
  ownedByViewer: boolean,
): Promise<{ shown: FollowUp[]; withheld: WithheldFollowUps[] }> {
  if (!deps.visibility || ownedByViewer) return { shown: [...list], withheld: [] };
  const canRead = deps.visibility.reader(viewer);
  const verdicts = new Map<string, WithheldFollowUps | null>();
  const shown: FollowUp[] = [];
  for (const f of list) {
    if (!verdicts.has(f.incidentId)) {
      const inc = await deps.incidents.get(f.incidentId);
      verdicts.set(f.incidentId, (await canRead(inc)) ? null : { incident: inc, count: 0 });
    }
    const hidden = verdicts.get(f.incidentId);
    if (hidden) hidden.count++;
    else shown.push(f);
  }
  return { shown, withheld: [...verdicts.values()].filter((w): w is WithheldFollowUps => w !== null) };
}

/** `/incident followup <text> [@owner]` and `/incident followups [INC-ID|mine]`. */
export function followUpCommandHandlers(deps: FollowUpSlackDeps): SubcommandHandlers {
  return {
    followup: async (inv) => {
      const incidentId = await incidentHere(deps.room, inv.channelId, undefined, USAGE.followup);
      const f = await deps.followUps.createFollowUp({
        incidentId,
        text: inv.command.text,
        ...(inv.command.owner ? { owner: inv.command.owner } : {}),
        createdBy: inv.userId,
        source: 'command',
      });
      if (!(await postToIncident(deps, incidentId, followUpAddedText(f))))
        await inv.respond({ response_type: 'ephemeral', text: followUpAddedText(f) });
    },
    followups: async (inv) => {
      const now = deps.clock.now();
      const { incidentId, mine } = inv.command;
      let title: string;
      let list;
      if (mine) {
        title = 'Your open follow-ups';
        list = await deps.followUps.listOwnedBy(inv.userId);
      } else {
        const id = incidentId ?? (await deps.room.rooms.incidentOfChannel(inv.channelId));
        if (id) {
          title = `Open follow-ups of ${escapeMrkdwn(id)}`;
          list = await deps.followUps.listForIncident(id);
        } else {
          title = 'Open follow-ups';
          list = await deps.followUps.listOpen();
        }
      }
      const { shown, withheld } = await withholdPrivate(deps, list, { userId: inv.userId, channelId: inv.channelId }, mine === true);
      const { text, blocks } = followUpList(title, shown, now, { canExport: deps.canExport, withheld });
      await inv.respond({ response_type: 'ephemeral', text, blocks: blocks as never });
    },
  };
}

/**
 * A private incident's follow-up is closed or exported only by someone who can read the incident; the refusal names
 * nobody (the usual one names the owner and the commander). Returns the incident.
 */
async function refuseOutsider(deps: FollowUpSlackDeps, f: FollowUp, viewer: Viewer, what: 'close' | 'export'): Promise<Incident> {
  const inc = await deps.incidents.get(f.incidentId);
  if (!deps.visibility || (await deps.visibility.reader(viewer)(inc))) return inc;
  throw forbidden(
    `Follow-up #${f.id} belongs to a private incident you are not in, so you cannot ${what} it. Nothing was changed; ask someone working on it.`,
  );
}

/** Done / Export to GitHub on a listed follow-up. The value is a follow-up id, looked up. */
export function registerFollowUpActions(app: App, deps: FollowUpSlackDeps): void {
  const on = (actionId: string, what: string, run: (id: number, viewer: Viewer, respond: RespondFn, log: Logger) => Promise<void>) =>
    onButton(app, actionId, async ({ ack, action, body, respond, context }) => {
      await ack();
      const log = (context.log as Logger | undefined) ?? deps.logger;
      const tell = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);
      const value = action.value ?? '';
      if (!FOLLOW_UP_BUTTON_VALUE.test(value)) {
        await tell('That button does not belong to a follow-up this bot knows.');
        return;
      }
      try {
        await run(Number(value), { userId: body.user.id, channelId: body.channel?.id ?? '' }, respond, log);
      } catch (err) {
        if (err instanceof BotError) await tell(err.userMessage);
        else if (isConnectionError(err)) await tell(storageUnavailable(err).userMessage);
        else {
          log.error({ err, followUp: value, what }, 'follow-up button failed');
          await tell(`Sorry, ${what} failed on our side. It has been logged; try again.`);
        }
      }
    });

  const tellAfter = (respond: RespondFn, text: string | undefined) =>
    text ? respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined) : undefined;

  on(FOLLOW_UP_DONE_ACTION_ID, 'closing the follow-up', async (id, viewer, respond, log) => {
    const userId = viewer.userId;
    await refuseOutsider(deps, await deps.followUps.get(id), viewer, 'close');
    const f = await deps.followUps.markDone(id, userId);
    const notice = await noticeToIncident(
      deps,
      f.incidentId,
      `:white_check_mark: Follow-up *#${f.id}* done (by <@${userId}>): ${followUpLine(f, deps.clock.now())}`,
      log,
    );
    await tellAfter(respond, noticeOutcome(`:white_check_mark: Follow-up #${f.id} is done.`, notice, f.incidentId));
  });

  on(FOLLOW_UP_EXPORT_ACTION_ID, 'the export to GitHub', async (id, viewer, respond, log) => {
    const userId = viewer.userId;
    const f = await deps.followUps.get(id);
    // The issue would carry a private incident's follow-up out of Slack: only someone who can read it may send it.
    const inc = await refuseOutsider(deps, f, viewer, 'export');
    const slackLink =
      inc.channelId && inc.threadTs
        ? await deps.client.chat
            .getPermalink({ channel: inc.channelId, message_ts: inc.threadTs })
            .then((r) => r.permalink)
            .catch(() => undefined)
        : undefined;
    const r = await deps.exporter.exportToGithub(id, slackLink ? { slackLink } : {});
    if (!r.created) {
      await respond({ response_type: 'ephemeral', replace_original: false, text: `Follow-up #${id} already has its issue: <${r.url}>` });
      return;
    }
    const notice = await noticeToIncident(
      deps,
      f.incidentId,
      `:link: Follow-up *#${f.id}* exported to GitHub by <@${userId}>: <${r.url}>`,
      log,
    );
    await tellAfter(respond, noticeOutcome(`:link: Follow-up #${f.id} is exported to GitHub: <${r.url}>`, notice, f.incidentId));
  });
}

/** One run of the overdue reminder: each overdue follow-up is reminded in its incident's channel at most once a day. */
export async function remindOverdueFollowUps(
  deps: Pick<FollowUpSlackDeps, 'followUps' | 'incidents' | 'poster' | 'logger'>,
): Promise<void> {
  const due = await deps.followUps.claimOverdue();
  for (const f of due) {
    try {
      const inc = await deps.incidents.get(f.incidentId);
      if (!inc.channelId) {
        deps.logger.warn({ followUp: f.id, incidentId: f.incidentId }, 'follow-up overdue, but its incident has no channel to remind');
        continue;
      }
      await deps.poster.post({
        channel: inc.channelId,
        ...(inc.threadTs ? { thread_ts: inc.threadTs } : {}),
        text: followUpOverdueText(f),
        unfurl_links: false,
      });
    } catch (err) {
      deps.logger.warn(
        { followUp: f.id, err: { message: (err as Error).message } },
        'could not remind an overdue follow-up; it is reminded again tomorrow',
      );
    }
  }
}
