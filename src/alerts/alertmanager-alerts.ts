import { z } from 'zod';
import { cleanAlertName, cleanText, sanitizeLabels, type AlertEvent } from './alert-event';

/** One alert as Alertmanager's API v2 (`GET /api/v2/alerts`) lists it, after sanitising. */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: Date;
  fingerprint: string;
  generatorURL?: string;
}

export type AlertmanagerAnswer = { ok: true; alerts: AlertmanagerAlert[] } | { ok: false; reason: string };

/** Reads alerts from Alertmanager (ALERTMANAGER_URL). */
export interface AlertmanagerAlerts {
  /** The active, unsilenced, uninhibited alerts named `alertName`. */
  byName(alertName: string): Promise<AlertmanagerAnswer>;
}

const gettableAlert = z.object({
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).optional().default({}),
  startsAt: z.string().refine((s) => !Number.isNaN(Date.parse(s))),
  fingerprint: z.string().regex(/^[0-9a-f]{1,64}$/),
  generatorURL: z.string().optional(),
});

/**
 * A matcher for Alertmanager's `filter` parameter: the value double-quoted with `\`, `"` and line breaks escaped,
 * so nothing from a Slack post can add a matcher or change the operator.
 *
 * @example
 *   equalityMatcher('alertname', 'Disk "full"') // → alertname="Disk \"full\""
 */
export function equalityMatcher(name: string, value: string): string {
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) throw new Error(`not a label name: ${JSON.stringify(name.slice(0, 64))}`);
  const escaped = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `${name}="${escaped}"`;
}

export interface AlertmanagerAlertsOptions {
  /** ALERTMANAGER_URL (a path prefix is kept; user:password becomes Basic auth and is never shown). */
  url: string;
  timeoutMs?: number;
  /** Answers are reused this long, so a storm of posts about one alert name asks Alertmanager once. */
  cacheMs?: number;
  now?: () => number;
}

export function createAlertmanagerAlerts(opts: AlertmanagerAlertsOptions): AlertmanagerAlerts {
  const base = new URL(opts.url.endsWith('/') ? opts.url : `${opts.url}/`);
  const auth =
    base.username || base.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`
      : undefined;
  base.username = '';
  base.password = '';
  const now = opts.now ?? Date.now;
  const cacheMs = opts.cacheMs ?? 2_000;
  const cache = new Map<string, { at: number; answer: Promise<AlertmanagerAnswer> }>();

  const ask = async (alertName: string): Promise<AlertmanagerAnswer> => {
    const url = new URL('api/v2/alerts', base);
    url.searchParams.set('active', 'true');
    url.searchParams.set('silenced', 'false');
    url.searchParams.set('inhibited', 'false');
    url.searchParams.append('filter', equalityMatcher('alertname', alertName));
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { accept: 'application/json', ...(auth ? { authorization: auth } : {}) },
        signal: AbortSignal.timeout(opts.timeoutMs ?? 3_000),
      });
    } catch (err) {
      return {
        ok: false,
        reason: `Alertmanager did not answer (${(err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message})`,
      };
    }
    const text = await res.text().catch(() => '');
    if (res.status !== 200) return { ok: false, reason: `Alertmanager answered HTTP ${res.status}` };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, reason: 'Alertmanager answered something that is not JSON' };
    }
    if (!Array.isArray(body)) return { ok: false, reason: 'Alertmanager answered something that is not a list of alerts' };
    const alerts: AlertmanagerAlert[] = [];
    for (const raw of body) {
      const a = gettableAlert.safeParse(raw);
      if (!a.success || typeof a.data.labels.alertname !== 'string') continue;
      const labels = sanitizeLabels(a.data.labels);
      labels.alertname = cleanAlertName(a.data.labels.alertname);
      alerts.push({
        labels,
        annotations: sanitizeLabels(a.data.annotations, 'annotations'),
        startsAt: new Date(a.data.startsAt),
        fingerprint: a.data.fingerprint,
        ...(a.data.generatorURL ? { generatorURL: cleanText(a.data.generatorURL, 2048) } : {}),
      });
    }
    return { ok: true, alerts };
  };

  return {
    byName: (alertName) => {
      const hit = cache.get(alertName);
      if (hit && now() - hit.at < cacheMs) return hit.answer;
      const answer = ask(alertName);
      cache.set(alertName, { at: now(), answer });
      if (cache.size > 1000) for (const [k, v] of cache) if (now() - v.at >= cacheMs) cache.delete(k);
      return answer;
    },
  };
}

/**
 * The Alertmanager alerts a Slack post speaks of. A post that lists labels names exactly one alert each (same
 * fingerprint); a post whose title carries only label values (the default template: `[FIRING:2] Name v1 (v2 v3)`)
 * names every alert of that name whose labels render to that title.
 */
export function alertsOfPost(event: AlertEvent, titleShows: string | undefined, alerts: readonly AlertmanagerAlert[]): AlertmanagerAlert[] {
  if (titleShows === undefined) return alerts.filter((a) => a.fingerprint === event.fingerprint);
  return alerts
    .filter((a) => rendersTitle(a.labels, titleShows))
    .sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
}

const spaced = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * Whether Alertmanager's default title could have been rendered from these labels: `{{ .GroupLabels.SortedPairs.Values
 * | join " " }}` then, when the common labels are more than the group labels, the values of the others in parentheses,
 * each list in the order of SortedPairs (alertname first, then by name). Which labels were the group's and which the
 * notification's common ones is unknown, so every way of taking each label (group, common, or not shown: the
 * notification's other alerts differed in it) is tried against the title as it is, values with spaces included.
 *
 * @example
 *   rendersTitle({ alertname: 'DiskFull', mount: 'Data volume', host: 'db 1' }, 'DiskFull (db 1 Data volume)') // true
 */
export function rendersTitle(labels: Record<string, string>, titleShows: string, maxSteps = TITLE_MATCH_MAX_STEPS): boolean {
  const shown = spaced(titleShows);
  const names = Object.keys(labels)
    .filter((k) => k !== 'alertname')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (labels.alertname !== undefined) names.unshift('alertname');
  const values = names.map((k) => spaced(labels[k]!)).filter((v) => v !== '');
  const splits: [string, string | undefined][] = [[shown, undefined]];
  if (shown.endsWith(')'))
    for (let i = shown.indexOf('('); i >= 0; i = shown.indexOf('(', i + 1)) {
      const group = shown.slice(0, i).trimEnd();
      if (i === 0 || shown[i - 1] === ' ') splits.push([group, shown.slice(i + 1, -1)]);
    }
  const budget = { steps: maxSteps };
  return splits.some(([group, common]) => takes(values, group, common, budget));
}

/**
 * How many steps matching one alert against a title may take. A real title takes a few hundred; a crafted one (many
 * parentheses, labels sharing one value) could take seconds of the event loop per alert, and then matches none.
 */
export const TITLE_MATCH_MAX_STEPS = 20_000;

/** Whether `values`, in order, each skipped or appended to one of the two lists, can spell `group` and `common`. */
function takes(values: readonly string[], group: string, common: string | undefined, budget: { steps: number }): boolean {
  const seen = new Set<string>();
  const step = (i: number, g: number, c: number): boolean => {
    if (g === group.length && (common === undefined ? true : c === common.length && c > 0)) return true;
    if (i === values.length) return false;
    const key = `${i}:${g}:${c}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (--budget.steps < 0) return false;
    const v = values[i]!;
    const next = (text: string, at: number) => {
      const piece = at === 0 ? v : ` ${v}`;
      return text.startsWith(piece, at) && (at + piece.length === text.length || text[at + piece.length] === ' ') ? at + piece.length : -1;
    };
    const ng = next(group, g);
    if (ng >= 0 && step(i + 1, ng, c)) return true;
    if (common !== undefined) {
      const nc = next(common, c);
      if (nc >= 0 && step(i + 1, g, nc)) return true;
    }
    return step(i + 1, g, c);
  };
  return step(0, 0, 0);
}
