import { z } from 'zod';
import { httpGet, TargetUnreachable } from '../targets/http-connector';
import { redactUrl, renderPlain, renderUrl } from '../targets/params-template';
import { round } from './prometheus';
import { statusFor, thresholdString, worst } from './threshold';
import type { Figure, Probe, ProbeOutcome, ProbeStatus } from './types';

const seriesPick = z
  .object({
    /** Metric name as exposed (`active_tasks`, `task_failed_total`, `semantic_pool_utilization_ratio`). */
    name: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/),
    /** Only samples whose labels equal these values (`{{label}}` allowed, compared as exact text). */
    labels: z.record(z.string(), z.string()).optional(),
    /** Labels matched by regex (catalog text only, e.g. `status_code: '5..'`). */
    labelsMatch: z.record(z.string(), z.string()).optional(),
    aggregate: z.enum(['sum', 'max', 'min']).default('sum'),
    label: z.string().optional(),
    warn: thresholdString.optional(),
    crit: thresholdString.optional(),
    unit: z.string().optional(),
    /** Status when no sample matches. */
    whenMissing: z.enum(['ok', 'warn', 'crit', 'unknown']).default('unknown'),
  })
  .strict();

export const metricsScrapeParams = z
  .object({
    path: z.string().default('/metrics'),
    series: z.array(seriesPick).min(1).max(10),
    whenUnreachable: z.enum(['crit', 'unknown']).default('crit'),
  })
  .strict();

export type MetricsScrapeParams = z.output<typeof metricsScrapeParams>;

export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (comments skipped, labels unescaped). */
export function parseExposition(text: string): ExpositionSample[] {
  const out: ExpositionSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) {
      for (const lm of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g)) {
        labels[lm[1] as string] = (lm[2] as string).replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
      }
    }
    const v = m[4] as string;
    const value = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
    out.push({ name: m[1] as string, labels, value });
  }
  return out;
}

export const metricsScrapeProbe: Probe<MetricsScrapeParams> = {
  kind: 'metrics-scrape',
  targetKind: 'http',
  params: metricsScrapeParams,
  async run(params, ctx): Promise<ProbeOutcome> {
    const url = renderUrl(ctx.target?.values.url as string, params.path, undefined, ctx.labels);
    const shown = `GET ${redactUrl(url)}`;
    let answer;
    try {
      answer = await httpGet(url, { signal: ctx.signal, timeoutMs: ctx.timeoutMs, accept: 'text/plain;version=0.0.4' });
    } catch (err) {
      if (err instanceof TargetUnreachable) {
        return {
          kind: 'metrics-scrape',
          status: params.whenUnreachable,
          summary: `metrics endpoint: ${err.message}`,
          figures: [],
          evidence: { query: shown },
        };
      }
      throw err;
    }
    if (answer.status !== 200) {
      return {
        kind: 'metrics-scrape',
        status: params.whenUnreachable,
        summary: `metrics endpoint returned HTTP ${answer.status}`,
        figures: [],
        evidence: { query: shown },
      };
    }
    const samples = parseExposition(answer.body);
    const figures: Figure[] = [];
    const statuses: ProbeStatus[] = [];
    const notes: string[] = [];
    const lines: string[] = [];
    for (const s of params.series) {
      const want = Object.fromEntries(Object.entries(s.labels ?? {}).map(([k, v]) => [k, renderPlain(v, ctx.labels)]));
      const res = Object.entries(s.labelsMatch ?? {}).map(([k, v]) => [k, new RegExp(`^(?:${v})$`)] as const);
      const hit = samples.filter(
        (x) =>
          x.name === s.name &&
          Object.entries(want).every(([k, v]) => x.labels[k] === v) &&
          res.every(([k, re]) => re.test(x.labels[k] ?? '')),
      );
      const label = s.label ?? s.name;
      if (hit.length === 0) {
        statuses.push(s.whenMissing);
        if (s.whenMissing !== 'ok') notes.push(`${label} not exposed`);
        figures.push({ label, value: 'absent' });
        continue;
      }
      const values = hit.map((x) => x.value);
      const v =
        s.aggregate === 'sum' ? values.reduce((a, b) => a + b, 0) : s.aggregate === 'max' ? Math.max(...values) : Math.min(...values);
      const st = statusFor(v, s.warn, s.crit);
      statuses.push(st);
      if (st === 'warn' || st === 'crit') notes.push(`${label} ${round(v)}${s.unit ? ` ${s.unit}` : ''}`);
      figures.push({ label, value: round(v), ...(s.unit ? { unit: s.unit } : {}) });
      lines.push(...hit.slice(0, 5).map((x) => `${x.name}${JSON.stringify(x.labels)} ${x.value}`));
    }
    const status = worst(statuses);
    return {
      kind: 'metrics-scrape',
      status,
      summary: notes.length ? notes.join('; ') : figures.map((f) => `${f.label} ${f.value}${f.unit ? ` ${f.unit}` : ''}`).join(', '),
      figures,
      evidence: { query: shown, excerpt: lines.join('\n') },
    };
  },
};
