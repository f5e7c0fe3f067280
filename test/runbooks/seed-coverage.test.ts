import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadCatalog, type Catalog } from '../../src/runbooks';

// docs/seed-coverage.md must stay true: every catalog entry, file and test it names exists, every row that is not
// run by the bot says why, and its totals are the rows' own.
const ROOT = path.join(__dirname, '..', '..');
const DOC = readFileSync(path.join(ROOT, 'docs', 'seed-coverage.md'), 'utf8');

interface Row {
  line: string;
  item: string;
  refs: string[];
  tests: string[];
  status: string;
  note: string;
}

function cells(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}
const ticks = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);

const rows: Row[] = DOC.split('\n')
  .filter((l) => /^\| \d{3}:/.test(l))
  .map((l) => {
    const [line, item, refs, tests, status, note] = cells(l) as [string, string, string, string, string, string];
    return { line, item, refs: ticks(refs), tests: ticks(tests), status, note };
  });

let catalog: Catalog;
beforeAll(async () => {
  // every base variable set, so every dashboard resolves
  const url = 'http://127.0.0.1:9';
  catalog = await loadCatalog(path.join(ROOT, 'commands'), {
    GRAFANA_URL: url,
    PROMETHEUS_URL: url,
    ALERTMANAGER_URL: url,
    JAEGER_URL: url,
  });
});

function refProblem(ref: string): string | undefined {
  const m = /^([a-z0-9-]+)#(alert|probe|remediation|cause|manual|dashboard)(?::(.+))?$/.exec(ref);
  if (!m) return existsSync(path.join(ROOT, ref)) ? undefined : `no file ${ref}`;
  const [, rbId, kind, name] = m as unknown as [string, string, string, string | undefined];
  const rb = catalog.runbooks.find((r) => r.id === rbId);
  if (!rb) return `no runbook ${rbId}`;
  switch (kind) {
    case 'alert':
      return rb.alerts.some((a) => a.name === name) ? undefined : `no alert ${name} in ${rbId}`;
    case 'probe':
      return rb.probes.some((p) => p.id === name) ? undefined : `no probe ${name} in ${rbId}`;
    case 'remediation':
      return rb.remediations.some((r) => r.id === name) ? undefined : `no remediation ${name} in ${rbId}`;
    case 'cause':
      return rb.causes.some((c) => c.when.probe === name) ? undefined : `no cause keyed to probe ${name} in ${rbId}`;
    case 'dashboard':
      return rb.dashboards.some((d) => d.title === name) ? undefined : `no dashboard "${name}" in ${rbId}`;
    case 'manual':
      if (name === undefined) return rb.manualSteps.length ? undefined : `${rbId} has no manual steps`;
      return rb.alerts.find((a) => a.name === name)?.manualSteps?.length ? undefined : `alert ${name} of ${rbId} has no manual steps`;
  }
  return `unknown reference ${ref}`;
}

describe('docs/seed-coverage.md', () => {
  it('lists every item of the five runbooks', () => {
    expect(rows.length).toBe(210);
    expect(new Set(rows.map((r) => r.line.slice(0, 3)))).toEqual(new Set(['000', '001', '002', '003', '004']));
  });

  it('names only catalog entries, files and tests that exist', () => {
    const problems = rows.flatMap((r) =>
      [...r.refs, ...r.tests]
        .map((ref) => refProblem(ref))
        .filter((p) => p !== undefined)
        .map((p) => `${r.line} ${r.item}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it('every row has a known status; what the bot does not run says why; what it runs names its entry and test', () => {
    const bad = rows.filter((r) => {
      if (!['F', 'Fm', 'W', 'M'].includes(r.status)) return true;
      if (r.status !== 'F' && r.note.length < 10) return true;
      if (r.status === 'F' && (r.refs.length === 0 || r.tests.length === 0)) return true;
      return false;
    });
    expect(bad.map((r) => `${r.line} ${r.item} [${r.status}]`)).toEqual([]);
  });

  it("its totals are the rows' own, and at least 190 of 210 items are faithful", () => {
    const count = (s: string) => rows.filter((r) => r.status === s).length;
    const totals = /Totals: (\d+) items — F (\d+), Fm (\d+), W (\d+), M (\d+) \(faithful: (\d+)\)/.exec(DOC);
    expect(totals?.slice(1).map(Number)).toEqual([rows.length, count('F'), count('Fm'), count('W'), count('M'), count('F') + count('Fm')]);
    expect(count('F') + count('Fm')).toBeGreaterThanOrEqual(190);
  });
});
