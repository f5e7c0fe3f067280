import { z } from 'zod';
import { httpGet, TargetUnreachable } from '../targets/http-connector';
import { redactUrl, renderUrl } from '../targets/params-template';
import { round } from './prometheus';
import { statusFor, thresholdString, worst } from './threshold';
import type { Figure, Probe, ProbeOutcome, ProbeStatus } from './types';

const jsonField = z
  .object({
    /** Dot path into the JSON body: `pool_utilization`, `checks.database.status`. */
    path: z.string().min(1),
    label: z.string().optional(),
    warn: thresholdString.optional(),
    crit: thresholdString.optional(),
    /** For text fields: anything else is critical (e.g. `ready`). */
    expect: z.string().optional(),
    unit: z.string().optional(),
  })
  .strict();

export const httpParams = z
  .object({
    /** Path on the target's base URL (no placeholders). */
    path: z.string().default('/'),
    /** Query values; `{{label}}` allowed here, URL-encoded. */
    query: z.record(z.string(), z.string()).optional(),
    /** Accepted status codes; default any 2xx. */
    expectStatus: z.array(z.number().int().min(100).max(599)).optional(),
    latencyWarnMs: thresholdString.optional(),
    latencyCritMs: thresholdString.optional(),
    fields: z.array(jsonField).max(10).optional(),
    /** Count the entries of an array in the JSON body (Jaeger `data`, Loki `data.result`). */
    count: z
      .object({
        path: z.string().min(1),
        label: z.string().default('entries'),
        warn: thresholdString.optional(),
        crit: thresholdString.optional(),
      })
      .strict()
      .optional(),
    /** Status when the endpoint does not answer at all. */
    whenUnreachable: z.enum(['crit', 'unknown']).default('crit'),
  })
  .strict();

export type HttpParams = z.output<typeof httpParams>;

export const httpProbe: Probe<HttpParams> = {
  kind: 'http',
  targetKind: 'http',
  params: httpParams,
  async run(params, ctx): Promise<ProbeOutcome> {
    const url = renderUrl(ctx.target?.values.url as string, params.path, params.query, ctx.labels);
    const shown = redactUrl(url);
    let answer;
    try {
      answer = await httpGet(url, { signal: ctx.signal, timeoutMs: ctx.timeoutMs });
    } catch (err) {
      if (err instanceof TargetUnreachable) {
        return { kind: 'http', status: params.whenUnreachable, summary: err.message, figures: [], evidence: { query: `GET ${shown}` } };
      }
      throw err;
    }
    const figures: Figure[] = [
      { label: 'status', value: answer.status },
      { label: 'latency', value: answer.durationMs, unit: 'ms' },
    ];
    const statuses: ProbeStatus[] = [];
    const notes: string[] = [];
    const okStatus = params.expectStatus ? params.expectStatus.includes(answer.status) : answer.status >= 200 && answer.status < 300;
    statuses.push(okStatus ? 'ok' : 'crit');
    if (!okStatus) notes.push(`HTTP ${answer.status}`);
    const latency = statusFor(answer.durationMs, params.latencyWarnMs, params.latencyCritMs);
    statuses.push(latency);
    if (latency !== 'ok') notes.push(`slow: ${answer.durationMs} ms`);

    if (params.fields?.length || params.count) {
      let body: unknown;
      try {
        body = JSON.parse(answer.body);
      } catch {
        body = undefined;
      }
      if (body === undefined) {
        statuses.push('unknown');
        notes.push('body is not JSON');
      } else {
        for (const f of params.fields ?? []) {
          const v = pick(body, f.path);
          const label = f.label ?? f.path;
          if (v === undefined) {
            statuses.push('unknown');
            notes.push(`${label} missing`);
            continue;
          }
          if (f.expect !== undefined) {
            const st: ProbeStatus = String(v) === f.expect ? 'ok' : 'crit';
            statuses.push(st);
            if (st !== 'ok') notes.push(`${label} is ${String(v)}`);
            figures.push({ label, value: String(v) });
          } else {
            const n = typeof v === 'number' ? v : Number(v);
            const st = statusFor(n, f.warn, f.crit);
            statuses.push(st);
            if (st === 'warn' || st === 'crit') notes.push(`${label} ${round(n)}${f.unit ? ` ${f.unit}` : ''}`);
            figures.push({ label, value: Number.isNaN(n) ? String(v) : round(n), ...(f.unit ? { unit: f.unit } : {}) });
          }
        }
        if (params.count) {
          const arr = pick(body, params.count.path);
          const n = Array.isArray(arr) ? arr.length : NaN;
          const st = Number.isNaN(n) ? 'unknown' : statusFor(n, params.count.warn, params.count.crit);
          statuses.push(st);
          if (st !== 'ok') notes.push(Number.isNaN(n) ? `${params.count.path} is not a list` : `${n} ${params.count.label}`);
          figures.push({ label: params.count.label, value: Number.isNaN(n) ? 'n/a' : n });
        }
      }
    }
    const status = worst(statuses);
    const summary = notes.length ? notes.join('; ') : `HTTP ${answer.status} in ${answer.durationMs} ms`;
    return {
      kind: 'http',
      status,
      summary,
      figures,
      evidence: { query: `GET ${shown}`, excerpt: answer.body.slice(0, 500) },
    };
  },
};

export function pick(body: unknown, dotted: string): unknown {
  let cur: unknown = body;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) && /^\d+$/.test(part) ? cur[Number(part)] : (cur as Record<string, unknown>)[part];
  }
  return cur;
}
