/**
 * Escapes text for Slack mrkdwn so that no interpolated value can produce a link,
 * a user/channel mention or `<!channel>`: Slack only interprets `<…>` sequences, and
 * `&`, `<`, `>` are the three characters it asks senders to escape.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escapes, then cuts to `max` characters with a visible note, never leaving half an `&amp;` entity behind.
 * Use for any interpolated value that may be long (probe output, log excerpts, queries).
 */
export function escapeAndCut(text: string, max: number, note = '… (cut)'): string {
  const escaped = escapeMrkdwn(text);
  if (escaped.length <= max) return escaped;
  const room = Math.max(0, max - note.length);
  return escaped.slice(0, room).replace(/&[a-z]{0,3}$/, '') + note;
}

/** Cuts already-formatted mrkdwn (whose parts were escaped) to `max` characters with a note. */
export function cutFormatted(text: string, max: number, note = '\n… (cut: too long for one Slack block)'): string {
  if (text.length <= max) return text;
  return text.slice(0, Math.max(0, max - note.length)).replace(/&[a-z]{0,3}$/, '') + note;
}
