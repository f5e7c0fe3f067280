import { z } from 'zod';
import { httpGet, TargetUnreachable } from '../targets/http-connector';
import { renderPlain, renderUrl } from '../targets/params-template';
import { statusFor, thresholdString, worst } from './threshold';
import type { Probe, ProbeOutcome } from './types';

export const alertmanagerParams = z
  .object({
    /** Equality matchers (`alertname: '{{alertname}}'`, `job: memory-daemon`), sent as encoded filter values. */
    matchers: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string()).default({}),
    /** Thresholds on the number of firing (not silenced) alerts. */
    warn: thresholdString.optional(),
    crit: thresholdString.optional(),
  })
  .strict();

export type AlertmanagerParams = z.output<typeof alertmanagerParams>;

interface AmAlert {
  labels?: Record<string, string>;
  status?: { state?: string; silencedBy?: string[] };
  startsAt?: string;
}
interface AmSilence {
  id?: string;
  status?: { state?: string };
  matchers?: { name: string; value: string; isEqual?: boolean; isRegex?: boolean }[];
  endsAt?: string;
  createdBy?: string;
  comment?: string;
}

export const alertmanagerProbe: Probe<AlertmanagerParams> = {
  kind: 'alertmanager',
  targetKind: 'alertmanager',
  params: alertmanagerParams,
  async run(params, ctx): Promise<ProbeOutcome> {
    const base = ctx.target?.values.url as string;
    const alertsUrl = renderUrl(base, '/api/v2/alerts', {}, {});
    const matchers = Object.entries(params.matchers).map(([k, v]) => [k, renderPlain(v, ctx.labels)] as const);
    for (const [k, v] of matchers) alertsUrl.searchParams.append('filter', `${k}="${v.replace(/["\\]/g, '\\$&')}"`);
    const silencesUrl = renderUrl(base, '/api/v2/silences', {}, {});
    let alerts: AmAlert[];
    let silences: AmSilence[];
    try {
      const [a, s] = await Promise.all([
        httpGet(alertsUrl, { signal: ctx.signal, timeoutMs: ctx.timeoutMs }),
        httpGet(silencesUrl, { signal: ctx.signal, timeoutMs: ctx.timeoutMs }),
      ]);
      if (a.status !== 200 || s.status !== 200) {
        return unknown(`Alertmanager answered HTTP ${a.status === 200 ? s.status : a.status}`, alertsUrl);
      }
      alerts = JSON.parse(a.body) as AmAlert[];
      silences = JSON.parse(s.body) as AmSilence[];
    } catch (err) {
      if (err instanceof TargetUnreachable) return unknown(`Alertmanager unreachable: ${err.message}`, alertsUrl);
      if (err instanceof SyntaxError) return unknown('Alertmanager answered with a non-JSON body', alertsUrl);
      throw err;
    }
    const firing = alerts.filter((a) => a.status?.state === 'active');
    const silenced = alerts.filter((a) => a.status?.state === 'suppressed' && (a.status.silencedBy?.length ?? 0) > 0);
    const activeSilences = silences.filter(
      (s) =>
        s.status?.state === 'active' &&
        matchers.every(([k, v]) => (s.matchers ?? []).some((m) => m.name === k && (m.isRegex || m.value === v))),
    );
    const status = worst([statusFor(firing.length, params.warn, params.crit)]);
    const names = [...new Set(firing.map((a) => a.labels?.alertname ?? '?'))];
    return {
      kind: 'alertmanager',
      status,
      summary: `${firing.length} firing${names.length ? ` (${names.slice(0, 5).join(', ')})` : ''}, ${silenced.length} silenced, ${activeSilences.length} active silence${activeSilences.length === 1 ? '' : 's'}`,
      figures: [
        { label: 'firing', value: firing.length },
        { label: 'silenced', value: silenced.length },
        { label: 'active silences', value: activeSilences.length },
      ],
      evidence: {
        query: `GET ${alertsUrl.pathname}${alertsUrl.search}`,
        raw: {
          firing: firing.slice(0, 10).map((a) => ({ labels: a.labels, startsAt: a.startsAt })),
          silences: activeSilences.slice(0, 10).map((s) => ({ id: s.id, endsAt: s.endsAt, createdBy: s.createdBy, comment: s.comment })),
        },
      },
    };
  },
};

function unknown(summary: string, url: URL): ProbeOutcome {
  return { kind: 'alertmanager', status: 'unknown', summary, figures: [], evidence: { query: `GET ${url.pathname}${url.search}` } };
}
