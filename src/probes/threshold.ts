import { z } from 'zod';
import type { ProbeStatus } from './types';

/** A comparison such as `>= 0.8`, parsed without eval. */
export interface Threshold {
  op: '>' | '>=' | '<' | '<=' | '==' | '!=';
  value: number;
  source: string;
}

const THRESHOLD = /^\s*(>=|<=|==|!=|>|<)\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*$/i;

export function parseThreshold(text: string): Threshold {
  const m = THRESHOLD.exec(text);
  if (!m) throw new Error(`"${text}" is not a threshold: write an operator (> >= < <= == !=) and a number, e.g. '>= 0.8'`);
  return { op: m[1] as Threshold['op'], value: Number(m[2]), source: text.trim() };
}

export function matches(t: Threshold, v: number): boolean {
  switch (t.op) {
    case '>':
      return v > t.value;
    case '>=':
      return v >= t.value;
    case '<':
      return v < t.value;
    case '<=':
      return v <= t.value;
    case '==':
      return v === t.value;
    case '!=':
      return v !== t.value;
  }
}

/** A zod string that must parse as a threshold (kept a string so the JSON Schema stays simple). */
export const thresholdString = z.string().refine((s) => THRESHOLD.test(s), {
  error: (iss) => `"${String(iss.input)}" is not a threshold: write an operator (> >= < <= == !=) and a number, e.g. '>= 0.8'`,
});

/** crit if `crit` matches, else warn if `warn` matches, else ok. NaN → unknown. */
export function statusFor(value: number, warn?: string, crit?: string): ProbeStatus {
  if (Number.isNaN(value)) return 'unknown';
  if (crit !== undefined && matches(parseThreshold(crit), value)) return 'crit';
  if (warn !== undefined && matches(parseThreshold(warn), value)) return 'warn';
  return 'ok';
}

const RANK: Record<ProbeStatus, number> = { ok: 0, unknown: 1, warn: 2, crit: 3 };

export function worst(statuses: ProbeStatus[], empty: ProbeStatus = 'ok'): ProbeStatus {
  if (statuses.length === 0) return empty;
  return statuses.reduce((a, b) => (RANK[b] > RANK[a] ? b : a));
}
