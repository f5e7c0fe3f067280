import { editDistance } from '../closest-match';
import type { AlertEntry, Catalog, Runbook } from './loader';

export { editDistance };

export type AlertLookup = { found: true; runbook: Runbook; alert: AlertEntry } | { found: false; name: string; suggestions: string[] };

/**
 * Finds an alert by name, case-insensitively; an unknown name comes back with the closest known names.
 *
 * @example
 * const hit = findAlert(catalog, 'stuckdetected');
 * if (!hit.found) return `Unknown alert. Did you mean ${hit.suggestions.join(', ')}?`;
 */
export function findAlert(catalog: Catalog, name: string): AlertLookup {
  const hit = knownAlert(catalog, name);
  return hit ? { found: true, ...hit } : { found: false, name, suggestions: closestAlertNames(catalog, name) };
}

// Alert intake looks every alert of every post up (severity, labels, auto-diagnosis): a map, built once per catalog.
const indexes = new WeakMap<Catalog, { runbooks: Runbook[]; size: number; byName: Map<string, { runbook: Runbook; alert: AlertEntry }> }>();

/**
 * The catalog's entry for an alert name (case-insensitive), or undefined; no suggestions, so cheap enough for every
 * alert of a storm.
 */
export function knownAlert(catalog: Catalog, name: string): { runbook: Runbook; alert: AlertEntry } | undefined {
  const size = catalog.runbooks.reduce((n, r) => n + r.alerts.length, 0);
  let index = indexes.get(catalog);
  if (!index || index.runbooks !== catalog.runbooks || index.size !== size) {
    const byName = new Map<string, { runbook: Runbook; alert: AlertEntry }>();
    for (const runbook of catalog.runbooks)
      for (const alert of runbook.alerts) {
        const key = alert.name.toLowerCase();
        // The first runbook naming an alert wins, as a scan in catalog order would find it.
        if (!byName.has(key)) byName.set(key, { runbook, alert });
      }
    index = { runbooks: catalog.runbooks, size, byName };
    indexes.set(catalog, index);
  }
  return index.byName.get(name.trim().toLowerCase());
}

export function allAlertNames(catalog: Catalog): string[] {
  return catalog.runbooks.flatMap((r) => r.alerts.map((a) => a.name));
}

export function closestAlertNames(catalog: Catalog, name: string, max = 3): string[] {
  const wanted = name.trim().toLowerCase();
  const limit = Math.max(3, Math.ceil(wanted.length / 3));
  return allAlertNames(catalog)
    .map((n) => {
      const lower = n.toLowerCase();
      const d = editDistance(wanted, lower);
      // a fragment of the name ("stuck") counts as close
      const score = wanted.length >= 4 && lower.includes(wanted) ? Math.min(d, 1) : d;
      return { n, score };
    })
    .filter((x) => x.score <= limit)
    .sort((a, b) => a.score - b.score || a.n.localeCompare(b.n))
    .slice(0, max)
    .map((x) => x.n);
}
