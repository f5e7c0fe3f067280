/** Levenshtein distance, for "did you mean …" answers. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j]!;
      prev[j] = a[i - 1] === b[j - 1] ? diag : 1 + Math.min(diag, above, prev[j - 1]!);
      diag = above;
    }
  }
  return prev[b.length]!;
}

/** The candidates closest to `input` (case-insensitive), best first; prefix matches count as close. */
export function closestMatches(input: string, candidates: readonly string[], max = 3): string[] {
  const needle = input.toLowerCase();
  return candidates
    .map((c) => {
      const hay = c.toLowerCase();
      const d = hay.startsWith(needle) || needle.startsWith(hay) ? Math.abs(hay.length - needle.length) / 10 : editDistance(needle, hay);
      return { c, d };
    })
    .filter(({ c, d }) => d <= Math.max(2, Math.ceil(c.length / 3)))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, max)
    .map(({ c }) => c);
}
