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
  const wanted = name.trim().toLowerCase();
  for (const runbook of catalog.runbooks) {
    const alert = runbook.alerts.find((a) => a.name.toLowerCase() === wanted);
    if (alert) return { found: true, runbook, alert };
  }
  return { found: false, name, suggestions: closestAlertNames(catalog, name) };
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
