import type { App } from '@slack/bolt';
import { onButton } from '../button-router';
import { onMessageShortcut } from '../keyed-router';
import type { WebClient } from '@slack/web-api';
import { BotError } from '../../errors';
import type { IncidentService } from '../../incidents/incident-service';
import type { Logger } from '../../logger';
import type { PostmortemDraftResult, PostmortemService } from '../../postmortem/postmortem-service';
import type { ChannelIncident } from '../../domain/postmortem-draft';
import { ACTION_ITEM_CONFIRM_ID, ACTION_ITEM_DROP_ID } from '../blocks/incident-blocks';
import { escapeMrkdwn } from '../blocks/mrkdwn';
import { incidentForViewer, type IncidentVisibility } from '../incident-visibility';
import type { SlackPoster } from '../slack-poster';
import type { CommandInvocation } from './incident-command-dispatch';

/** The button on the resolution notification and the message shortcut share this id. */
export const POSTMORTEM_ACTION_ID = 'postmortem_draft';
export const POSTMORTEM_SHORTCUT_CALLBACK_ID = 'postmortem_draft';
const ITEM_VALUE = /^(INC-\d{14}):([0-9a-f]{16})$/;
/** Items offered with buttons in the summary (Block Kit allows 50 blocks a message). */
const MAX_BUTTON_ITEMS = 15;

export interface PostmortemDeps {
  postmortems: PostmortemService;
  incidents: Pick<IncidentService, 'get' | 'findByThread' | 'listActive'>;
  /** The channel's incidents, newest first (`postmortemStore.recentIncidentsInChannel`). */
  recentIncidentsInChannel: (channelId: string, limit: number) => Promise<ChannelIncident[]>;
  client: WebClient;
  /** Posts within the channel's budget; without it, chat.postMessage directly. */
  poster?: SlackPoster;
  /** Who may read a private incident: only they may draft its post-mortem or decide its action items by button. */
  visibility?: IncidentVisibility;
  logger: Logger;
}

/** What someone outside a private incident is told when they click its post-mortem buttons. */
const DRAFT_INSIDE_ONLY = 'its post-mortem is drafted from inside it';
const DECIDE_INSIDE_ONLY = 'its action items are confirmed and dropped from inside it';

/**
 * The "Draft post-mortem" button for the resolution notification (`blocks: [..., { type: 'actions', elements: [postmortemButton(id)] }]`).
 */
export function postmortemButton(incidentId: string): {
  type: 'button';
  action_id: string;
  text: { type: 'plain_text'; text: string };
  value: string;
} {
  return { type: 'button', action_id: POSTMORTEM_ACTION_ID, text: { type: 'plain_text', text: 'Draft post-mortem' }, value: incidentId };
}

/**
 * Drafts the post-mortem and delivers it where the incident lives: a short summary in the incident's thread, then
 * the full Markdown as a file in the same thread (files.getUploadURLExternal → upload → files.completeUploadExternal).
 */
export async function draftAndDeliver(
  deps: PostmortemDeps,
  req: { incidentId: string; userId: string; channelId: string; threadTs?: string; log?: Logger },
): Promise<PostmortemDraftResult> {
  const result = await deps.postmortems.draft(req.incidentId, { actor: req.userId });
  const inc = result.incident;
  // The incident's own thread wins; an incident without one gets the draft where it was asked for.
  const channel = inc.channelId && inc.threadTs ? inc.channelId : req.channelId;
  const threadTs = inc.channelId && inc.threadTs ? inc.threadTs : req.threadTs;
  const post = {
    channel,
    text: result.summary,
    blocks: summaryBlocks(result),
    ...(threadTs ? { thread_ts: threadTs } : {}),
    unfurl_links: false,
    unfurl_media: false,
  };
  if (deps.poster) await deps.poster.post(post);
  else await deps.client.chat.postMessage(post);
  const file = {
    content: result.markdown,
    filename: result.filename,
    title: `Post-mortem draft v${result.version}: ${inc.id}`,
    snippet_type: 'markdown',
  };
  await (threadTs
    ? deps.client.filesUploadV2({ ...file, channel_id: channel, thread_ts: threadTs })
    : deps.client.filesUploadV2({ ...file, channel_id: channel }));
  (req.log ?? deps.logger).info(
    { incidentId: inc.id, version: result.version, channel, messages: result.stats.messages },
    'post-mortem draft delivered',
  );
  return result;
}

/**
 * `/incident postmortem [INC-ID]`: without an ID, the channel's single active incident, else its latest; several active ones get a
 * list.
 */
export function postmortemCommandHandler(deps: PostmortemDeps) {
  return async (inv: CommandInvocation<{ name: 'postmortem'; incidentId?: string }>): Promise<void> => {
    let incidentId = inv.command.incidentId;
    if (!incidentId) {
      const chosen = await chooseIncident(deps, inv.channelId);
      if ('message' in chosen) {
        await inv.respond({ response_type: 'ephemeral', text: chosen.message });
        return;
      }
      incidentId = chosen.id;
    }
    // An unknown ID is answered before anything else (NOT_FOUND, through the command's error handler).
    const incident = await deps.incidents.get(incidentId);
    await inv.respond({ response_type: 'ephemeral', text: `Drafting the post-mortem of ${incident.id} from its thread and timeline…` });
    await draftAndDeliver(deps, { incidentId: incident.id, userId: inv.userId, channelId: inv.channelId, log: inv.log });
  };
}

async function chooseIncident(deps: PostmortemDeps, channelId: string): Promise<{ id: string } | { message: string }> {
  const active = (await deps.incidents.listActive()).filter((i) => i.channelId === channelId);
  if (active.length === 1) return { id: active[0]!.id };
  const list = (items: Array<{ id: string; title: string; severity: string; status: string }>) =>
    items.map((i) => `• \`/incident postmortem ${i.id}\` ${i.severity} ${escapeMrkdwn(i.title.slice(0, 80))} (${i.status})`).join('\n');
  if (active.length > 1) return { message: `${active.length} incidents are active in this channel; name one:\n${list(active)}` };
  const recent = await deps.recentIncidentsInChannel(channelId, 5);
  if (recent[0]) return { id: recent[0].id };
  return {
    message:
      'There is no incident in this channel. Give its ID: `/incident postmortem INC-20260111100200` (`/incident list` shows the active ones).',
  };
}

/** The button (value = incident id) and the message shortcut on any message of an incident thread. */
export function registerPostmortem(app: App, deps: PostmortemDeps): void {
  onButton(app, POSTMORTEM_ACTION_ID, async ({ ack, body, action, respond, context }) => {
    await ack();
    const log = (context.log as Logger | undefined) ?? deps.logger;
    const channelId = body.channel?.id ?? body.container?.channel_id;
    if (!channelId) return;
    try {
      // The button's value is only an id, and a click can come from anywhere (a crafted payload, a copied message).
      const incident = await incidentForViewer(deps, { userId: body.user.id, channelId }, action.value ?? '', DRAFT_INSIDE_ONLY);
      await draftAndDeliver(deps, {
        incidentId: incident.id,
        userId: body.user.id,
        channelId,
        threadTs: body.message?.thread_ts ?? body.message?.ts,
        log,
      });
    } catch (err) {
      await reportFailure(err, log, (text) => respond({ response_type: 'ephemeral', replace_original: false, text }));
    }
  });

  onMessageShortcut(app, POSTMORTEM_SHORTCUT_CALLBACK_ID, async ({ ack, shortcut, client, context }) => {
    await ack();
    const log = (context.log as Logger | undefined) ?? deps.logger;
    const channelId = shortcut.channel.id;
    const userId = shortcut.user.id;
    const ephemeral = async (text: string): Promise<void> => {
      await client.chat
        .postEphemeral({ channel: channelId, user: userId, text })
        .catch((err: Error) => log.warn({ err: { message: err.message } }, 'ephemeral reply failed'));
    };
    try {
      const threadTs = shortcut.message.thread_ts ?? shortcut.message.ts;
      const incident = await deps.incidents.findByThread(channelId, threadTs);
      if (!incident) {
        await ephemeral(
          "This message is not in an incident's thread. Use the shortcut on a message of the thread the incident was announced in, or `/incident postmortem INC-…`.",
        );
        return;
      }
      await draftAndDeliver(deps, { incidentId: incident.id, userId, channelId, threadTs, log });
    } catch (err) {
      await reportFailure(err, log, ephemeral);
    }
  });
}

type Block = Record<string, unknown>;

/** The summary, then each action item with ✅ Confirm / ✖ Drop, so people settle the list before the file is final. */
export function summaryBlocks(result: Pick<PostmortemDraftResult, 'summary' | 'incident' | 'actionItems'>): Block[] {
  const blocks: Block[] = [{ type: 'section', text: { type: 'mrkdwn', text: result.summary.slice(0, 3000) } }];
  const items = result.actionItems.slice(0, MAX_BUTTON_ITEMS);
  if (items.length)
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: 'Action items found in the messages: confirm the real ones, drop the others. Dropped items stay out of the next drafts.',
        },
      ],
    });
  for (const item of items) {
    blocks.push({ type: 'section', block_id: `pm_item_text:${item.key}`, text: { type: 'mrkdwn', text: itemLine(item) } });
    blocks.push(item.decision ? decidedContext(item.key, item.decision, item.decidedBy ?? '') : itemButtons(result.incident.id, item.key));
  }
  return blocks;
}

function itemLine(item: { text: string; owner: string | null }): string {
  return `• ${escapeMrkdwn(item.text.slice(0, 280))}${item.owner ? ` _(owner: ${escapeMrkdwn(item.owner)})_` : ''}`;
}

function itemButtons(incidentId: string, key: string): Block {
  const value = `${incidentId}:${key}`;
  return {
    type: 'actions',
    block_id: `pm_item:${key}`,
    elements: [
      {
        type: 'button',
        action_id: ACTION_ITEM_CONFIRM_ID,
        text: { type: 'plain_text', text: '✅ Confirm', emoji: true },
        style: 'primary',
        value,
      },
      { type: 'button', action_id: ACTION_ITEM_DROP_ID, text: { type: 'plain_text', text: '✖ Drop', emoji: true }, value },
    ],
  };
}

function decidedContext(key: string, decision: 'confirmed' | 'dropped', by: string, followUpId?: number): Block {
  const who = /^[UW][A-Z0-9]{2,}$/.test(by) ? `<@${by}>` : escapeMrkdwn(by);
  return {
    type: 'context',
    block_id: `pm_item:${key}`,
    elements: [
      {
        type: 'mrkdwn',
        text:
          decision === 'confirmed'
            ? `:white_check_mark: Confirmed by ${who}${followUpId !== undefined ? ` · follow-up #${followUpId}` : ''}`
            : `:heavy_multiplication_x: Dropped by ${who}`,
      },
    ],
  };
}

/** Records a ✅ / ✖ click and shows the decision in place of the buttons (a later click can change it). */
export function registerActionItemDecisions(
  app: App,
  deps: Pick<PostmortemDeps, 'postmortems' | 'incidents' | 'visibility' | 'logger'>,
): void {
  for (const [actionId, decision] of [
    [ACTION_ITEM_CONFIRM_ID, 'confirmed'],
    [ACTION_ITEM_DROP_ID, 'dropped'],
  ] as const) {
    onButton(app, actionId, async ({ ack, body, action, respond, context }) => {
      await ack();
      const log = (context.log as Logger | undefined) ?? deps.logger;
      const m = ITEM_VALUE.exec(action.value ?? '');
      if (!m) {
        await respond({
          response_type: 'ephemeral',
          replace_original: false,
          text: 'That button does not name an action item of a post-mortem draft.',
        }).catch(() => undefined);
        return;
      }
      try {
        // A confirmed item becomes a follow-up of the incident: only someone who may read a private incident decides.
        const viewer = { userId: body.user.id, channelId: body.channel?.id ?? body.container?.channel_id ?? '' };
        const incident = await incidentForViewer(deps, viewer, m[1]!, DECIDE_INSIDE_ONLY);
        const item = await deps.postmortems.decideActionItem(incident.id, m[2]!, decision, body.user.id);
        const blocks = ((body.message?.blocks ?? []) as Block[]).map((b) =>
          b.block_id === `pm_item:${item.key}` ? decidedContext(item.key, decision, body.user.id, item.followUp?.id) : b,
        );
        await respond({ replace_original: true, text: String(body.message?.text ?? ''), blocks: blocks as never });
        log.info({ incidentId: item.incidentId, item: item.key, decision, followUp: item.followUp?.id }, 'post-mortem action item decided');
      } catch (err) {
        await reportFailure(err, log, (text) => respond({ response_type: 'ephemeral', replace_original: false, text }));
      }
    });
  }
}

async function reportFailure(err: unknown, log: Logger, say: (text: string) => Promise<unknown>): Promise<void> {
  if (err instanceof BotError) {
    log.warn({ code: err.code }, err.userMessage);
    await say(err.userMessage).catch(() => undefined);
    return;
  }
  log.error({ err }, 'post-mortem draft failed');
  await say(
    'Sorry, drafting the post-mortem failed on our side. It has been logged; try again, or use `incident-bot postmortem INC-…` from a terminal.',
  ).catch(() => undefined);
}
