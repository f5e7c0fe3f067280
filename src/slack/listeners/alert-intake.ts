import type { App } from '@slack/bolt';
import type { AlertEvent } from '../../alerts/alert-event';
import { isAlertSender } from '../../alerts/alert-senders';
import type { AlertService } from '../../alerts/alert-service';
import { parseSlackAlert, slackTsToDate, type CompiledAlertPattern, type SlackAlertMessage } from '../../alerts/slack-alert-parser';
import type { Severity } from '../../incidents/severity';
import type { Logger } from '../../logger';
import type { AlertRecord, RecordOutcome } from '../../domain/alert';
import { renderAlertMessage } from '../blocks/alert-blocks';
import type { SlackPoster } from '../slack-poster';

/**
 * The bot's own message about an alert: its reply in the thread of an Alertmanager/Grafana post, or, for alerts
 * from the webhook, the post it made itself. Both are edited in place as the alert changes.
 */
export interface AlertMessenger {
  /** Posts once per alert (the claim makes it once across retries and replicas); the reply goes in `threadTs`. True for the one that posted. */
  replyOnce(alert: AlertRecord, where: { channel: string; threadTs: string }): Promise<boolean>;
  /** Posts the alert itself in `channel` (webhook alerts), once per alert. */
  postOnce(alert: AlertRecord, channel: string): Promise<void>;
  /**
   * Re-renders the bot's message from the current record. A `state` change (ack, resolution, incident link)
   * shows at once; a `counter` change (a re-fire) at most once per window, so a storm stays within Slack's limits.
   */
  refresh(alert: AlertRecord, change?: 'state' | 'counter'): Promise<void>;
}

export function createAlertMessenger(deps: { alerts: AlertService; poster: SlackPoster; replicaId: string; logger: Logger; refreshWindowMs?: number; silence?: boolean; now?: () => Date }): AlertMessenger {
  const { alerts, poster } = deps;
  /** Alerts the bot posted itself: the post carries the alert text and the buttons. */
  const ownPost = (a: AlertRecord): boolean => a.source === 'alertmanager-webhook';
  const render = (a: AlertRecord) => renderAlertMessage(a, { kind: ownPost(a) ? 'post' : 'reply', slaDeadline: alerts.slaDeadline(a), silence: deps.silence, now: (deps.now ?? (() => new Date()))() });
  const update = async (a: AlertRecord) => {
    const { text, blocks } = render(a);
    await poster.update({ channel: a.channelId!, ts: a.replyTs!, text, blocks });
  };
  const windows = new Map<AlertRecord['id'], { dirty: boolean }>();

  const messenger: AlertMessenger = {
    replyOnce: async (alert, where) => {
      if (alert.replyTs || !(await alerts.claimReply(alert.id, deps.replicaId))) return false;
      const { text, blocks } = render(alert);
      // Claimed before (a replica that died, or an earlier try of this one): the reply may be in the thread already.
      const posted = await poster.post(
        { channel: where.channel, thread_ts: where.threadTs, text, blocks, unfurl_links: false },
        { idempotencyKey: `alert-reply:${alert.id}`, mayExist: Boolean(alert.replyClaimedBy) },
      );
      await alerts.setReplyTs(alert.id, posted.ts);
      return true;
    },
    postOnce: async (alert, channel) => {
      if (alert.replyTs || !(await alerts.claimReply(alert.id, deps.replicaId))) return;
      const { text, blocks } = renderAlertMessage(alert, { kind: 'post', slaDeadline: alerts.slaDeadline(alert), silence: deps.silence, now: (deps.now ?? (() => new Date()))() });
      const posted = await poster.post({ channel, text, blocks, unfurl_links: false }, { idempotencyKey: `alert-post:${alert.id}`, mayExist: Boolean(alert.replyClaimedBy) });
      await alerts.setPost(alert.id, posted.channel, posted.ts);
      // The post is also the "reply": completing the claim, and where buttons point.
      await alerts.setReplyTs(alert.id, posted.ts);
    },
    refresh: async (alert, change = 'state') => {
      if (!alert.channelId || !alert.replyTs) {
        deps.logger.debug({ alertId: alert.id }, 'alert has no bot message yet: nothing to update');
        return;
      }
      const window = windows.get(alert.id);
      if (change === 'counter') {
        // A storm of re-fires edits the message once, then at most once per window with whatever
        // the database holds by then: chat.update allows about 50 calls a minute per workspace.
        if (window) {
          window.dirty = true;
          return;
        }
        const entry = { dirty: false };
        windows.set(alert.id, entry);
        setTimeout(() => {
          windows.delete(alert.id);
          if (!entry.dirty) return;
          void alerts
            .get(alert.id)
            .then((current) => (current ? update(current) : undefined))
            .catch((err: Error) => deps.logger.warn({ err: { message: err.message }, alertId: alert.id }, 'alert message refresh failed'));
        }, deps.refreshWindowMs ?? REFRESH_WINDOW_MS).unref();
      } else if (window) {
        // Acknowledged, resolved, linked: shown at once, and this rendering carries the latest count too.
        window.dirty = false;
      }
      await update(alert);
    },
  };
  return messenger;
}

const REFRESH_WINDOW_MS = 30_000;

export interface AlertIntakeDeps {
  alerts: AlertService;
  messenger: AlertMessenger;
  logger: Logger;
  /** The catalog's severity for an alert name (used when the alert has no recognised severity label). */
  catalogSeverity: (alertName: string) => Severity | undefined;
  patterns?: readonly CompiledAlertPattern[];
  /** ALERT_SENDERS: only posts by these integrations (bot id, app id or username) are read as alerts. */
  senders: readonly string[];
  /** Called once per new alert by the replica that replied (the catalog may ask for a diagnosis at once). */
  onReplied?: (alert: AlertRecord, where: { channel: string; threadTs: string }) => Promise<void>;
}

/** A post names at most this many alerts that get their own reply; the rest are recorded and logged. */
const MAX_REPLIES_PER_POST = 5;

interface MessageEvent extends SlackAlertMessage {
  channel?: string;
  ts?: string;
  thread_ts?: string;
  user?: string;
  app_id?: string;
}

/**
 * Alerts posted in a channel by a configured sender (Alertmanager and Grafana post `bot_message`s with empty text
 * and the content in attachments, which `app.message` would not see): parse, record, reply once in the post's thread, and keep that
 * reply up to date on re-fires and resolution.
 */
export function registerAlertIntake(app: App, deps: AlertIntakeDeps): void {
  app.event('message', async ({ event, context }) => {
    const log = (context.log as Logger | undefined) ?? deps.logger;
    const e = event as MessageEvent;
    if (e.subtype !== undefined && e.subtype !== 'bot_message') return; // edits, deletes, joins, …
    if (!e.channel || !e.ts) return;
    if (e.thread_ts && e.thread_ts !== e.ts) return; // a thread reply, not an alert post
    if ((context.botId && e.bot_id === context.botId) || (context.botUserId && e.user === context.botUserId)) return;
    const events = parseSlackAlert(e, { receivedAt: slackTsToDate(e.ts), ...(deps.patterns ? { patterns: deps.patterns } : {}) });
    if (events.length === 0) return;
    // A person pasting an alert's text must not open SLA timers or diagnoses: only configured senders post alerts.
    if (!isAlertSender(e, deps.senders)) {
      log.info({ channel: e.channel, ts: e.ts, botId: e.bot_id, username: e.username, user: e.user }, 'alert-looking message ignored: its sender is not in ALERT_SENDERS');
      return;
    }
    const where = { channel: e.channel, threadTs: e.ts };
    let replies = 0;
    for (const alertEvent of events) {
      const outcome = await recordFromPost(deps, alertEvent, where);
      log.info({ alert: alertEvent.name, fingerprint: alertEvent.fingerprint, outcome: outcome.kind }, 'alert post recorded');
      if (outcome.kind === 'ignored') continue;
      const alert = outcome.alert;
      // A reply that never got posted (a replica died after claiming) is retried by a later delivery.
      if (outcome.kind === 'new' || (outcome.kind === 'duplicate' && !alert.replyTs)) {
        if (replies >= MAX_REPLIES_PER_POST) {
          log.warn({ alertId: alert.id, max: MAX_REPLIES_PER_POST }, 'post names more alerts than get their own reply; recorded without one');
          continue;
        }
        replies++;
        const thread = { channel: alert.channelId ?? where.channel, threadTs: alert.messageTs ?? where.threadTs };
        if ((await deps.messenger.replyOnce(alert, thread)) && deps.onReplied) {
          // Not awaited: a diagnosis may take seconds and must not hold up the next alerts.
          deps.onReplied(alert, thread).catch((err: Error) => log.warn({ err: { message: err.message }, alertId: alert.id }, 'automatic diagnosis failed'));
        }
      } else if (outcome.kind === 'refire' || outcome.kind === 'resolved') {
        await deps.messenger.refresh(alert, outcome.kind === 'refire' ? 'counter' : 'state');
      }
    }
  });
}

function recordFromPost(deps: AlertIntakeDeps, event: AlertEvent, where: { channel: string; threadTs: string }): Promise<RecordOutcome> {
  const catalogSeverity = deps.catalogSeverity(event.name);
  return deps.alerts.record(event, {
    ...(catalogSeverity ? { catalogSeverity } : {}),
    deliveryKey: `${where.channel}:${where.threadTs}`,
    post: { channelId: where.channel, ts: where.threadTs },
  });
}
