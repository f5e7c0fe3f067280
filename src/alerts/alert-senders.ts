/** Who posted a channel message, as far as deciding whether it may be an alert goes (no @slack types in the core). */
export interface MessageSender {
  bot_id?: string;
  app_id?: string;
  username?: string;
  user?: string;
}

/**
 * A channel message is an alert only when an integration posted it (it carries a `bot_id`, which a person's message
 * never does) and that integration is one of the configured senders: its bot id (B…), its app id (A…) or the
 * username it posts under (Alertmanager's and Grafana's default `username`, compared case-insensitively).
 *
 * @example
 *   isAlertSender({ bot_id: 'B0ALERTMGR', username: 'Alertmanager' }, ['Alertmanager', 'Grafana']) // → true
 *   isAlertSender({ user: 'U0ONCALL01' }, ['Alertmanager', 'Grafana'])                               // → false
 */
export function isAlertSender(message: MessageSender, senders: readonly string[]): boolean {
  if (!message.bot_id) return false;
  const username = message.username?.toLowerCase();
  return senders.some(
    (s) =>
      s === message.bot_id ||
      (message.app_id !== undefined && s === message.app_id) ||
      (username !== undefined && s.toLowerCase() === username),
  );
}
