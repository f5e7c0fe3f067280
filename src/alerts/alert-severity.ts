import { parseSeverity, type Severity } from '../domain/severity';

/**
 * The `severity` label as Prometheus rules write it, mapped to the runbooks' tiers. It decides only for alerts the
 * catalog does not know: a catalog alert keeps its catalog tier whatever its label says (docs/severity.md).
 *
 * | label value                          | tier |
 * | ------------------------------------ | ---- |
 * | critical, page, emergency, fatal     | P0   |
 * | high, error, major                   | P1   |
 * | warning, warn, medium, minor         | P2   |
 * | info, low, none, informational       | P3   |
 * | P0..P3 (any case)                    | same |
 *
 * Anything else (or no label) falls back to P2.
 */
const LABEL_SEVERITY: Record<string, Severity> = {
  critical: 'P0',
  page: 'P0',
  emergency: 'P0',
  fatal: 'P0',
  high: 'P1',
  error: 'P1',
  major: 'P1',
  warning: 'P2',
  warn: 'P2',
  medium: 'P2',
  minor: 'P2',
  info: 'P3',
  informational: 'P3',
  low: 'P3',
  none: 'P3',
};

export const FALLBACK_SEVERITY: Severity = 'P2';

export function severityFromLabelValue(value: string | undefined): Severity | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  return LABEL_SEVERITY[v] ?? parseSeverity(v);
}

/** Severity of an alert: its `severity` (or `priority`) label when recognised, else `fallback`. */
export function alertSeverity(labels: Record<string, string>, fallback: Severity = FALLBACK_SEVERITY): Severity {
  return severityFromLabelValue(labels.severity) ?? severityFromLabelValue(labels.priority) ?? fallback;
}
