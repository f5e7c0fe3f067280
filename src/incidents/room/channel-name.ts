/** Slack's rules for a channel name: at most 80 characters of lower-case letters, digits, `-` and `_`. */
export const CHANNEL_NAME_MAX = 80;
const VALID = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * `<prefix><yyyymmdd>-<slug of the title>`, cut to Slack's 80 characters; the date is the incident's opening day (UTC).
 *
 * @example incidentChannelName('inc-', 'Workers stuck on task #42', new Date('2026-11-26T07:00:00Z')) //
 * 'inc-20261126-workers-stuck-on-task-42'
 */
export function incidentChannelName(prefix: string, title: string, openedAt: Date): string {
  const day = openedAt.toISOString().slice(0, 10).replace(/-/g, '');
  const slug = slugOf(title);
  const base = `${prefix}${day}`;
  if (!slug) return base;
  return trimDashes(`${base}-${slug}`.slice(0, CHANNEL_NAME_MAX));
}

/** The n-th alternative when a name is taken: `…-2`, `…-3`, still within 80 characters. */
export function withSuffix(name: string, n: number): string {
  const suffix = `-${n}`;
  return `${trimDashes(name.slice(0, CHANNEL_NAME_MAX - suffix.length))}${suffix}`;
}

export function isValidChannelName(name: string): boolean {
  return name.length <= CHANNEL_NAME_MAX && VALID.test(name);
}

function slugOf(title: string): string {
  return trimDashes(
    title
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-'),
  ).slice(0, 60);
}

function trimDashes(s: string): string {
  return s.replace(/^-+|-+$/g, '').replace(/-{2,}/g, '-');
}
