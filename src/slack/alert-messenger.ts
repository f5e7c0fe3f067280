import type { AlertPublisher, AlertThread, PublishPlace } from '../alerts/alert-intake';
import type { AlertService } from '../alerts/alert-service';
import type { Logger } from '../logger';
import type { AlertGroup, AlertRecord } from '../domain/alert';
import { renderAlertMessage, type AlertMessage } from './blocks/alert-blocks';
import { renderAlertGroup } from './blocks/alert-group-blocks';
import { isSlackUnavailable, type SlackPoster } from './slack-poster';

/**
 * The bot's own message about an alert: its reply in the thread of an Alertmanager/Grafana post, or, for alerts
 * from the webhook, the post it made itself. Both are edited in place as the alert changes.
 */
export interface AlertMessenger extends AlertPublisher {
  /**
   * Posts once per alert (the claim makes it once across retries and replicas); the reply goes in `threadTs`. True for the one that
   * posted.
   */
  replyOnce(alert: AlertRecord, where: { channel: string; threadTs: string }): Promise<boolean>;
  /** Posts the alert itself in `channel` (webhook alerts), once per alert; where it posted, for the one that did. */
  postOnce(alert: AlertRecord, channel: string): Promise<{ channel: string; ts: string } | undefined>;
  /**
   * Re-renders the bot's message from the current record. A `state` change (ack, resolution, incident link)
   * shows at once; a `counter` change (a re-fire) at most once per window, so a storm stays within Slack's limits.
   */
  refresh(alert: AlertRecord, change?: 'state' | 'counter'): Promise<void>;
  /** AlertPublisher: one message for a notification group, listing its alerts. */
  publishGroup(group: AlertGroup): Promise<AlertThread | undefined>;
  refreshGroup(groupId: number, change: 'state' | 'counter'): Promise<void>;
  /** AlertPublisher: a reply for alerts read from a channel, the bot's own post for webhook alerts. */
  publish(alert: AlertRecord, place: PublishPlace): Promise<AlertThread | undefined>;
}

export interface AlertMessengerDeps {
  alerts: AlertService;
  poster: SlackPoster;
  replicaId: string;
  logger: Logger;
  refreshWindowMs?: number;
  /** The label names the catalog's diagnosis of an alert uses (named in the message when they are unknown). */
  labelsNeeded?: (alertName: string) => readonly string[];
  alertmanagerConfigured?: boolean;
  /** False when ALERTMANAGER_URL is unset: no Silence action is offered. */
  silence?: boolean;
  /** The time cards are drawn at (SLA missed past the deadline). */
  now?: () => Date;
}

export function createAlertMessenger(deps: AlertMessengerDeps): AlertMessenger {
  const { alerts } = deps;
  const options = (a: AlertRecord, kind: 'post' | 'reply') => ({
    kind,
    slaDeadline: alerts.slaDeadline(a),
    ...(deps.labelsNeeded ? { labelsNeeded: deps.labelsNeeded(a.name) } : {}),
    alertmanagerConfigured: deps.alertmanagerConfigured ?? false,
    ...(deps.silence !== undefined ? { silence: deps.silence } : {}),
    now: (deps.now ?? (() => new Date()))(),
  });
  /** Alerts the bot posted itself: the post carries the alert text and the buttons. */
  const ownPost = (a: AlertRecord): boolean => a.source === 'alertmanager-webhook';
  const ctx: MessengerContext = {
    deps,
    render: (a) => renderAlertMessage(a, options(a, ownPost(a) ? 'post' : 'reply')),
    renderPost: (a) => renderAlertMessage(a, options(a, 'post')),
    renderGroup: async (group) => {
      const members = await alerts.groupMembers(group.id);
      return renderAlertGroup(group, members, { kind: group.threadTs ? 'reply' : 'post', silence: deps.silence ?? true });
    },
    windowed: createRefreshWindows(deps.logger, deps.refreshWindowMs ?? REFRESH_WINDOW_MS),
  };

  const messenger: AlertMessenger = {
    replyOnce: (alert, where) => replyOnce(ctx, alert, where),
    postOnce: (alert, channel) => postOnce(ctx, alert, channel),
    publish: async (alert, place) => {
      if (place.kind === 'reply') {
        const thread = { channel: place.channel, threadTs: place.threadTs };
        return (await messenger.replyOnce(alert, thread)) ? thread : undefined;
      }
      const posted = await messenger.postOnce(alert, place.channel);
      return posted ? { channel: posted.channel, threadTs: posted.ts } : undefined;
    },
    publishGroup: (group) => publishGroup(ctx, group),
    refreshGroup: (groupId, change) => ctx.windowed(`group:${groupId}`, change, () => updateGroup(ctx, groupId)),
    refresh: async (alert, change = 'state') => {
      if (alert.groupId !== null) {
        await messenger.refreshGroup(alert.groupId, change);
        // An alert that had a message of its own before it joined a group keeps that one up to date too.
        const group = await alerts.getGroup(alert.groupId);
        if (!group || alert.replyTs === group.messageTs) return;
      }
      if (!alert.channelId || !alert.replyTs) {
        deps.logger.debug({ alertId: alert.id }, 'alert has no bot message yet: nothing to update');
        return;
      }
      await ctx.windowed(`alert:${alert.id}`, change, async (latest) => {
        const current = latest ? alert : await alerts.get(alert.id);
        if (!current) return;
        const { text, blocks } = ctx.render(current);
        await deps.poster.update({ channel: current.channelId!, ts: current.replyTs!, text, blocks });
      });
    },
  };
  return messenger;
}

type Windowed = (key: string, change: 'state' | 'counter', send: (fresh: boolean) => Promise<void>) => Promise<void>;

interface MessengerContext {
  deps: AlertMessengerDeps;
  /** The alert's message: its own post (webhook alerts) or the reply in its sender's thread. */
  render: (a: AlertRecord) => AlertMessage;
  renderPost: (a: AlertRecord) => AlertMessage;
  renderGroup: (group: AlertGroup) => Promise<AlertMessage>;
  windowed: Windowed;
}

/**
 * A `counter` change (a storm of re-fires) edits the message once, then at most once per window with whatever
 * the database holds by then: chat.update allows about 50 calls a minute per workspace. A `state` change shows
 * at once, and carries the latest count too. `send(true)` sends what the caller holds, `send(false)` reloads.
 */
function createRefreshWindows(logger: Logger, windowMs: number): Windowed {
  const windows = new Map<string, { dirty: boolean }>();
  return async (key, change, send) => {
    const window = windows.get(key);
    if (change === 'counter') {
      if (window) {
        window.dirty = true;
        return;
      }
      const entry = { dirty: false };
      windows.set(key, entry);
      setTimeout(() => {
        windows.delete(key);
        if (!entry.dirty) return;
        send(false).catch((err: Error) => logger.warn({ err: { message: err.message }, message: key }, 'alert message refresh failed'));
      }, windowMs).unref();
    } else if (window) {
      window.dirty = false;
    }
    await send(true);
  };
}

/**
 * A click or a resolution that lands while a message is on its way finds no message to edit yet (its ts is
 * recorded only once Slack answers): once it is recorded, the message is drawn again from the record and edited
 * when it no longer shows what the record holds.
 */
async function catchUp(
  poster: SlackPoster,
  posted: AlertMessage,
  channel: string,
  ts: string,
  latest: () => Promise<AlertMessage | undefined>,
): Promise<void> {
  const now = await latest();
  if (!now || (now.text === posted.text && JSON.stringify(now.blocks) === JSON.stringify(posted.blocks))) return;
  await poster.update({ channel, ts, text: now.text, blocks: now.blocks });
}

/**
 * Posts a claimed message. When Slack stays down past the poster's retries the claim is given up, so the repair
 * sweep retries it from the store within its period, whether or not the sender delivers the alert again.
 */
async function postClaimed<T>(logger: Logger, post: () => Promise<T>, giveUp: () => Promise<void>): Promise<T> {
  try {
    return await post();
  } catch (err) {
    if (isSlackUnavailable(err))
      await giveUp().catch((e: Error) =>
        logger.warn({ err: { message: e.message } }, 'could not hand a message claim to the repair sweep'),
      );
    throw err;
  }
}

async function replyOnce(ctx: MessengerContext, alert: AlertRecord, where: { channel: string; threadTs: string }): Promise<boolean> {
  const { alerts, poster, replicaId, logger } = ctx.deps;
  if (alert.replyTs || !(await alerts.claimReply(alert.id, replicaId))) return false;
  const { text, blocks } = ctx.render(alert);
  // Claimed before (a replica that died, or an earlier try of this one): the reply may be in the thread already.
  const posted = await postClaimed(
    logger,
    () =>
      poster.post(
        { channel: where.channel, thread_ts: where.threadTs, text, blocks, unfurl_links: false },
        { idempotencyKey: `alert-reply:${alert.id}`, mayExist: Boolean(alert.replyClaimedBy) },
      ),
    () => alerts.giveUpReplyClaim(alert.id, replicaId),
  );
  await alerts.setReplyTs(alert.id, posted.ts);
  await catchUp(poster, { text, blocks }, where.channel, posted.ts, async () => {
    const current = await alerts.get(alert.id);
    return current ? ctx.render(current) : undefined;
  });
  return true;
}

async function postOnce(ctx: MessengerContext, alert: AlertRecord, channel: string): Promise<{ channel: string; ts: string } | undefined> {
  const { alerts, poster, replicaId, logger } = ctx.deps;
  if (alert.replyTs || !(await alerts.claimReply(alert.id, replicaId))) return undefined;
  const { text, blocks } = ctx.renderPost(alert);
  const posted = await postClaimed(
    logger,
    () =>
      poster.post(
        { channel, text, blocks, unfurl_links: false },
        { idempotencyKey: `alert-post:${alert.id}`, mayExist: Boolean(alert.replyClaimedBy) },
      ),
    () => alerts.giveUpReplyClaim(alert.id, replicaId),
  );
  await alerts.setPost(alert.id, posted.channel, posted.ts);
  // The post is also the "reply": completing the claim, and where buttons point.
  await alerts.setReplyTs(alert.id, posted.ts);
  await catchUp(poster, { text, blocks }, posted.channel, posted.ts, async () => {
    const current = await alerts.get(alert.id);
    return current ? ctx.renderPost(current) : undefined;
  });
  return posted;
}

async function publishGroup(ctx: MessengerContext, group: AlertGroup): Promise<AlertThread | undefined> {
  const { alerts, poster, replicaId, logger } = ctx.deps;
  if (group.messageTs || !(await alerts.claimGroupMessage(group.id, replicaId))) return undefined;
  const { text, blocks } = await ctx.renderGroup(group);
  const posted = await postClaimed(
    logger,
    () =>
      poster.post(
        { channel: group.channelId, ...(group.threadTs ? { thread_ts: group.threadTs } : {}), text, blocks, unfurl_links: false },
        { idempotencyKey: `alert-group:${group.id}`, mayExist: Boolean(group.messageClaimedBy) },
      ),
    () => alerts.giveUpGroupClaim(group.id, replicaId),
  );
  await alerts.setGroupMessage(group.id, posted.ts);
  await catchUp(poster, { text, blocks }, group.channelId, posted.ts, async () => {
    const current = await alerts.getGroup(group.id);
    return current ? ctx.renderGroup(current) : undefined;
  });
  return { channel: group.channelId, threadTs: group.threadTs ?? posted.ts };
}

async function updateGroup(ctx: MessengerContext, groupId: number): Promise<void> {
  const group = await ctx.deps.alerts.getGroup(groupId);
  if (!group?.messageTs) return;
  const { text, blocks } = await ctx.renderGroup(group);
  await ctx.deps.poster.update({ channel: group.channelId, ts: group.messageTs, text, blocks });
}

const REFRESH_WINDOW_MS = 30_000;
