import { placeholdersIn } from '../targets/params-template';
import type { AlertEntry, Runbook } from '../runbooks/loader';

/**
 * The label names an alert's diagnosis and actions can use: those the catalog lists for it and every `{{label}}`
 * its probes and offered actions refer to. A label outside this set would be ignored, so callers refuse it.
 *
 * @example
 * labelsOfAlert(runbook, alert)   // → ['agent']
 */
export function labelsOfAlert(runbook: Runbook, alert: AlertEntry): string[] {
  const names = new Set<string>(alert.labels ?? []);
  const wanted = alert.probes ? new Set(alert.probes) : undefined;
  for (const p of runbook.probes) {
    if (wanted && !wanted.has(p.id)) continue;
    placeholdersIn(p.params, names);
    if (p.targetByLabel) names.add(p.targetByLabel.label);
  }
  for (const r of runbook.remediations) if ((alert.remediations ?? []).includes(r.id)) placeholdersIn(r.params, names);
  return [...names].sort();
}
