import { z } from 'zod';
import { redactUrl, renderPlain, renderUrl } from '../targets/params-template';
import { httpSend } from './http-json';
import { RemediationRefused, type Remediation, type RemediationContext } from './types';

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `30m`, `2h`, `1d`, `90s`. */
export const durationString = z
  .string()
  .regex(/^\d+(s|m|h|d)$/, 'a duration such as 30m, 2h or 1d')
  .transform((s) => Number(s.slice(0, -1)) * ({ s: 1, m: 60, h: 3600, d: 86_400 } as const)[s.slice(-1) as 's' | 'm' | 'h' | 'd'])
  .refine((sec) => sec >= 60 && sec <= 7 * 86_400, 'between 1 minute and 7 days');

export const alertmanagerSilenceParams = z
  .object({
    /** Equality matchers: label name → value (`{{label}}` allowed: the value comes from the alert's labels). */
    matchers: z.record(z.string().regex(LABEL_NAME, 'a label name'), z.string().min(1)).default({}),
    /** Alert labels copied as equality matchers when present (e.g. [alertname, job, agent]). */
    fromLabels: z.array(z.string().regex(LABEL_NAME)).default([]),
    duration: durationString,
    /** Shown in Alertmanager; `{{label}}` allowed. */
    comment: z.string().min(1).max(500).default('silenced from Slack by incident-bot'),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (Object.keys(p.matchers).length + p.fromLabels.length === 0)
      ctx.addIssue({ code: 'custom', message: 'a silence needs at least one matcher (matchers or fromLabels)' });
  });

export type AlertmanagerSilenceParams = z.output<typeof alertmanagerSilenceParams>;

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: false;
  isEqual: true;
}

export interface SilencePreviewData {
  matchers: SilenceMatcher[];
  durationSeconds: number;
  comment: string;
}

const SILENCE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function baseUrl(ctx: RemediationContext): string {
  const url = ctx.target?.values.url;
  if (!url) throw new RemediationRefused('the alertmanager target has no url configured');
  return url;
}

function matchersFor(params: AlertmanagerSilenceParams, ctx: RemediationContext): SilenceMatcher[] {
  const out = new Map<string, string>();
  for (const name of params.fromLabels) {
    const v = ctx.labels[name];
    if (v !== undefined) out.set(name, v);
  }
  for (const [name, template] of Object.entries(params.matchers)) out.set(name, renderPlain(template, ctx.labels));
  if (out.size === 0)
    throw new RemediationRefused(
      `none of the labels ${params.fromLabels.join(', ')} is known: a silence without matchers would silence everything, refused`,
    );
  // Never regex: a label value is matched literally.
  return [...out].map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
}

const showMatchers = (m: SilenceMatcher[]) => `{${m.map((x) => `${x.name}="${x.value}"`).join(', ')}}`;

/** An Alertmanager silence through API v2 (seed 000 "Creating Silences"), verified active by reading it back. */
export const alertmanagerSilence: Remediation<AlertmanagerSilenceParams, SilencePreviewData> = {
  action: 'alertmanager.silence',
  targetKind: 'alertmanager',
  params: alertmanagerSilenceParams,
  async preview(params, ctx) {
    const matchers = matchersFor(params, ctx);
    // What it would silence right now; an Alertmanager that does not answer could not take the silence either.
    const url = renderUrl(baseUrl(ctx), '/api/v2/alerts', undefined, {});
    for (const m of matchers) url.searchParams.append('filter', `${m.name}=${JSON.stringify(m.value)}`);
    const items = matchers.map((m) => `matcher ${m.name}="${m.value}"`);
    try {
      const res = await httpSend('GET', url, { signal: ctx.signal });
      if (res.status === 200) {
        const alerts = JSON.parse(res.body) as { labels: Record<string, string> }[];
        items.push(
          `${alerts.length} alert${alerts.length === 1 ? '' : 's'} currently match${alerts.length === 1 ? 'es' : ''}${
            alerts.length
              ? `: ${alerts
                  .slice(0, 5)
                  .map((a) => a.labels.alertname ?? '?')
                  .join(', ')}`
              : ''
          }`,
        );
      }
    } catch (err) {
      if (!(err instanceof RemediationRefused)) throw err;
      throw new RemediationRefused(`Alertmanager ${redactUrl(baseUrl(ctx))} is not answering: ${err.message}`);
    }
    const hours = params.duration / 3600;
    return {
      summary: `silence ${showMatchers(matchers)} for ${hours >= 1 ? `${+hours.toFixed(1)} h` : `${params.duration / 60} min`}`,
      items,
      subject: `silence ${showMatchers(matchers)}`,
      empty: false,
      data: { matchers, durationSeconds: params.duration, comment: renderPlain(params.comment, ctx.labels) },
    };
  },
  async execute(_params, preview, ctx) {
    const startsAt = ctx.now();
    const endsAt = new Date(startsAt.getTime() + preview.data.durationSeconds * 1000);
    const a = ctx.actors;
    const createdBy = `incident-bot (requested by ${a.requestedBy}${a.approvedBy ? `, approved by ${a.approvedBy}` : ''})`;
    const comment = `${preview.data.comment}${a.incidentId ? ` [${a.incidentId}]` : ''}${a.requestId ? ` (request ${a.requestId})` : ''}`;
    const res = await httpSend('POST', renderUrl(baseUrl(ctx), '/api/v2/silences', undefined, {}), {
      signal: ctx.signal,
      json: { matchers: preview.data.matchers, startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), createdBy, comment },
    });
    if (res.status !== 200) throw new RemediationRefused(`Alertmanager refused the silence: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    const silenceID = (JSON.parse(res.body) as { silenceID?: string }).silenceID;
    if (!silenceID || !SILENCE_ID.test(silenceID))
      throw new RemediationRefused(`Alertmanager answered without a silence id: ${res.body.slice(0, 200)}`);
    return {
      summary: `silence ${silenceID} until ${endsAt.toISOString()}`,
      items: [showMatchers(preview.data.matchers)],
      data: { silenceID, endsAt: endsAt.toISOString() },
    };
  },
  async verify(_params, _preview, result, ctx) {
    const id = (result.data as { silenceID?: string } | undefined)?.silenceID;
    if (!id || !SILENCE_ID.test(id)) return { status: 'failed', summary: 'no silence id to check' };
    const res = await httpSend('GET', renderUrl(baseUrl(ctx), `/api/v2/silence/${id}`, undefined, {}), { signal: ctx.signal });
    if (res.status !== 200) return { status: 'failed', summary: `reading silence ${id} back: HTTP ${res.status}` };
    const s = JSON.parse(res.body) as { status?: { state?: string }; endsAt?: string };
    return s.status?.state === 'active'
      ? { status: 'passed', summary: `silence ${id} is active until ${s.endsAt}`, data: { silenceID: id } }
      : { status: 'failed', summary: `silence ${id} is ${s.status?.state ?? 'unknown'}`, data: { silenceID: id } };
  },
};
