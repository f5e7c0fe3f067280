import type { AlertEntry, Catalog, Runbook } from './loader';

export type AlertLookup =
  | { found: true; runbook: Runbook; alert: AlertEntry }
  | { found: false; name: string; suggestions: string[] };

/** Finds an alert by name, case-insensitively; an unknown name comes back with the closest known names. */
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

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}
