/**
 * Slack mrkdwn → Markdown for the post-mortem draft. Every Slack control sequence (`<@U…>`, `<#C…|…>`, `<!here>`,
 * `<!subteam^…>`, `<url|label>`) becomes plain text or a Markdown link, so nothing in the draft can ping anyone
 * when it is posted or pasted back to Slack; code keeps its text.
 *
 * @example
 *   mrkdwnToMarkdown('<!here> <@U1> see <https://x.io|the graph> &amp; *this*', new Map([['U1', 'alice']]))
 *   // '@here @alice see [the graph](https://x.io) & **this**'
 */
export function mrkdwnToMarkdown(text: string, names: ReadonlyMap<string, string> = new Map()): string {
  const out: string[] = [];
  // Code blocks first (they may span lines), then inline code; everything else is prose.
  const CODE = /```([\s\S]*?)```|`([^`\n]+)`/g;
  let last = 0;
  let afterBlock = false;
  // Prose after a fenced block starts on a fresh line, without the spaces that followed the closing backticks.
  const prose = (s: string): string => convertProse(afterBlock ? s.replace(/^[ \t]+/, '') : s, names);
  for (const m of text.matchAll(CODE)) {
    out.push(prose(text.slice(last, m.index)));
    afterBlock = m[1] !== undefined;
    if (m[1] !== undefined) {
      const body = decodeEntities(m[1]).replace(/^\n+|\n+$/g, '');
      const before = out.join('');
      out.push(`${before === '' || before.endsWith('\n') ? '' : '\n'}\`\`\`\n${defuseMentions(body)}\n\`\`\`\n`);
    } else {
      out.push('`' + defuseMentions(decodeEntities(m[2]!)) + '`');
    }
    last = m.index + m[0].length;
  }
  out.push(prose(text.slice(last)));
  return out
    .join('')
    .replace(/\n```\n\n/g, '\n```\n')
    .replace(/[ \t]+$/gm, '')
    .trim();
}

/** Breaks `<@`, `<!` and `<#` so that no text can become a Slack mention or broadcast (a zero-width space after `<`). */
export function defuseMentions(text: string): string {
  return text.replace(/<(?=[@!#])/g, '<\u200b');
}

/** The user-visible text of one Slack control sequence `<…>` (without the brackets). */
export function slackControlToMarkdown(inner: string, names: ReadonlyMap<string, string>): string {
  const [target = '', label] = splitLabel(inner);
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return `@${names.get(id) ?? (label || id)}`;
  }
  if (target.startsWith('#')) return `#${label || target.slice(1)}`;
  if (target.startsWith('!')) {
    const special = target.slice(1);
    if (special.startsWith('subteam^'))
      return label ? (label.startsWith('@') ? label : `@${label}`) : `@${special.slice('subteam^'.length)}`;
    if (special === 'here' || special === 'channel' || special === 'everyone') return `@${special}`;
    if (special.startsWith('date^'))
      return label ?? (special.split('^')[1] ? new Date(Number(special.split('^')[1]) * 1000).toISOString() : '');
    return label ?? special;
  }
  const url = decodeEntities(target);
  if (!/^(https?|mailto|ftp|tel|slack):/i.test(url)) return decodeEntities(label ?? target);
  if (!label) return url.startsWith('mailto:') ? url.slice('mailto:'.length) : url;
  return `[${escapeLinkLabel(decodeEntities(label))}](${url.replace(/[()\s]/g, (c) => encodeURIComponent(c))})`;
}

function splitLabel(inner: string): [string, string | undefined] {
  const bar = inner.indexOf('|');
  return bar < 0 ? [inner, undefined] : [inner.slice(0, bar), inner.slice(bar + 1)];
}

function convertProse(text: string, names: ReadonlyMap<string, string>): string {
  if (!text) return '';
  // Twice: a label holding a control sequence (`<https://x|<@U1>>`, which Slack itself would have escaped) still converts.
  const controls = (t: string) => t.replace(/<([^<>\n]+)>/g, (_m, inner: string) => slackControlToMarkdown(inner, names));
  const withControls = controls(controls(text));
  const decoded = decodeEntities(withControls);
  return defuseMentions(
    decoded
      // *bold* → **bold**, ~strike~ → ~~strike~~ (Slack's emphasis needs a boundary on both sides).
      .replace(/(^|[\s([{"'])\*(?!\s)([^*\n]+?)\*(?=$|[\s.,;:!?)\]}"'])/gm, '$1**$2**')
      .replace(/(^|[\s([{"'])~(?!\s)([^~\n]+?)~(?=$|[\s.,;:!?)\]}"'])/gm, '$1~~$2~~')
      // Slack's bullet character as a Markdown list item.
      .replace(/^(\s*)[•◦▪]\s+/gm, '$1- '),
  );
}

function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function escapeLinkLabel(label: string): string {
  return label.replace(/([[\]])/g, '\\$1');
}
