import type { App } from '@slack/bolt';
import type { AlertIntake } from '../../alerts/alert-intake';
import { isAlertSender } from '../../alerts/alert-senders';
import { parseSlackAlert, slackTsToDate, type CompiledAlertPattern, type SlackAlertMessage } from '../../alerts/slack-alert-parser';
import type { Logger } from '../../logger';
import { onEvent } from '../keyed-router';

export interface AlertIntakeListenerDeps {
  intake: AlertIntake;
  logger: Logger;
  patterns?: readonly CompiledAlertPattern[];
  /** ALERT_SENDERS: only posts by these integrations (bot id, app id or username) are read as alerts. */
  senders: readonly string[];
}

interface MessageEvent extends SlackAlertMessage {
  channel?: string;
  ts?: string;
  thread_ts?: string;
  user?: string;
  app_id?: string;
}

/**
 * Alerts posted in a channel by a configured sender (Alertmanager and Grafana post `bot_message`s with empty text
 * and the content in attachments, which `app.message` would not see): parsed and handed to the alert intake,
 * which replies in the post's thread. A failed alert fails the delivery, so the inbox runs it again.
 */
export function registerAlertIntake(app: App, deps: AlertIntakeListenerDeps): void {
  onEvent(app, 'message', async ({ event, context }) => {
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
      log.info(
        { channel: e.channel, ts: e.ts, botId: e.bot_id, username: e.username, user: e.user },
        'alert-looking message ignored: its sender is not in ALERT_SENDERS',
      );
      return;
    }
    const place = { kind: 'reply' as const, channel: e.channel, threadTs: e.ts };
    const outcomes = await deps.intake.intake(
      events.map((event) => ({ event, deliveryKey: `${e.channel}:${e.ts}:${event.fingerprint}`, place })),
      log,
    );
    // The first failure as it was (Slack unavailable, storage down): the inbox decides from it how to retry.
    const failed = outcomes.find((o) => o.kind === 'failed');
    if (failed?.kind === 'failed') throw failed.error;
  });
}
