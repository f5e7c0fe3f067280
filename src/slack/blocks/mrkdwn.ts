/**
 * Escapes text for Slack mrkdwn so that no interpolated value can produce a link,
 * a user/channel mention or `<!channel>`: Slack only interprets `<…>` sequences, and
 * `&`, `<`, `>` are the three characters it asks senders to escape.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
