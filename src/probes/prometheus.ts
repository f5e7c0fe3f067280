import { z } from 'zod';
import { httpGet, TargetUnreachable } from '../targets/http-connector';
import { renderPromQL, renderUrl } from '../targets/params-template';
import { statusFor, thresholdString, worst } from './threshold';
import type { Figure, Probe, ProbeOutcome, ProbeStatus } from './types';

export const prometheusParams = z
  .object({
    /** PromQL instant query; `{{label}}` only as a matcher value: `stream_stuck{agent={{agent}}}`. */
    query: z.string().min(1),
    warn: thresholdString.optional(),
    crit: thresholdString.optional(),
    unit: z.string().optional(),
    /** Status when the query returns no series (e.g. `up{job=…}` absent means the job is not scraped). */
    whenEmpty: z.enum(['ok', 'warn', 'crit', 'unknown']).default('unknown'),
    /** How many series to show as figures. */
    maxSeries: z.number().int().min(1).max(10).default(5),
  })
  .strict();

export type PrometheusParams = z.output<typeof prometheusParams>;

interface Sample {
  metric: Record<string, string>;
  value: number;
}

export const prometheusProbe: Probe<PrometheusParams> = {
  kind: 'prometheus',
  targetKind: 'prometheus',
  params: prometheusParams,
  async run(params, ctx): Promise<ProbeOutcome> {
    const query = renderPromQL(params.query, ctx.labels);
    const base = ctx.target?.values.url as string;
    const url = renderUrl(base, '/api/v1/query', { query }, {});
    let answer;
    try {
      answer = await httpGet(url, { signal: ctx.signal, timeoutMs: ctx.timeoutMs });
    } catch (err) {
      if (err instanceof TargetUnreachable) return unknown(`Prometheus unreachable: ${err.message}`, query);
      throw err;
    }
    let body: { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
    try {
      body = JSON.parse(answer.body);
    } catch {
      return unknown(`Prometheus answered HTTP ${answer.status} with a non-JSON body`, query);
    }
    if (answer.status !== 200 || body.status !== 'success') {
      return unknown(`Prometheus rejected the query (HTTP ${answer.status}): ${body.error ?? 'no error message'}`, query);
    }
    const samples = toSamples(body.data?.resultType, body.data?.result);
    if (samples.length === 0) {
      return {
        kind: 'prometheus',
        status: params.whenEmpty,
        summary: `no series for ${query}`,
        figures: [{ label: 'series', value: 0 }],
        evidence: { query, raw: body.data },
      };
    }
    const statuses: ProbeStatus[] = samples.map((s) => statusFor(s.value, params.warn, params.crit));
    const status = worst(statuses);
    const order = samples
      .map((s, i) => ({ s, st: statuses[i] as ProbeStatus }))
      .sort((a, b) => rank(b.st) - rank(a.st) || b.s.value - a.s.value);
    const figures: Figure[] = order.slice(0, params.maxSeries).map(({ s }) => ({
      label: seriesLabel(s.metric),
      value: round(s.value),
      ...(params.unit ? { unit: params.unit } : {}),
    }));
    const top = order[0] as { s: Sample };
    const cond = status === 'crit' ? params.crit : status === 'warn' ? params.warn : undefined;
    const summary =
      samples.length === 1
        ? `${round(top.s.value)}${params.unit ? ` ${params.unit}` : ''}${cond ? ` (${cond})` : ''}`
        : `${samples.length} series, ${statuses.filter((x) => x === 'crit' || x === 'warn').length} beyond threshold; highest ${round(top.s.value)}${params.unit ? ` ${params.unit}` : ''}`;
    return { kind: 'prometheus', status, summary, figures, evidence: { query, raw: samples.slice(0, 20) } };
  },
};

function unknown(summary: string, query: string): ProbeOutcome {
  return { kind: 'prometheus', status: 'unknown', summary, figures: [], evidence: { query } };
}

function toSamples(type: string | undefined, result: unknown): Sample[] {
  if (type === 'scalar' && Array.isArray(result)) return [{ metric: {}, value: Number(result[1]) }];
  if (type === 'vector' && Array.isArray(result)) {
    return result.map((r: { metric?: Record<string, string>; value?: [number, string] }) => ({
      metric: r.metric ?? {},
      value: Number(r.value?.[1]),
    }));
  }
  if (type === 'matrix' && Array.isArray(result)) {
    return result.map((r: { metric?: Record<string, string>; values?: [number, string][] }) => ({
      metric: r.metric ?? {},
      value: Number(r.values?.[r.values.length - 1]?.[1]),
    }));
  }
  return [];
}

function seriesLabel(metric: Record<string, string>): string {
  const { __name__: name, ...rest } = metric;
  const pairs = Object.entries(rest)
    .filter(([k]) => k !== 'instance' || Object.keys(rest).length === 1)
    .map(([k, v]) => `${k}="${v}"`);
  const text = `${name ?? ''}${pairs.length ? `{${pairs.join(', ')}}` : ''}`;
  return text || 'value';
}

function rank(s: ProbeStatus): number {
  return { ok: 0, unknown: 1, warn: 2, crit: 3 }[s];
}

export function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 1 ? 2 : 4;
  return Number(v.toFixed(digits));
}
