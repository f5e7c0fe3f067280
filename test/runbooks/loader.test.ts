import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  assumedProbes,
  CatalogError,
  closestAlertNames,
  findAlert,
  knownAlert,
  loadCatalog,
  parseRunbook,
  type CatalogProblem,
} from '../../src/runbooks';

const GOOD = `id: demo
title: Demo
link: https://wiki.corp.internal/runbooks/demo
targets:
  prom:
    kind: prometheus
    url: \${PROMETHEUS_URL}
  db:
    kind: postgres
    connection: \${DEMO_DB_URL}
probes:
  - id: up
    title: Up
    kind: prometheus
    target: prom
    params: { query: 'up{job="demo"}', crit: '< 1' }
  - id: db
    title: DB
    kind: postgres
    target: db
    params: { checks: [connectivity] }
alerts:
  - name: DemoDown
    severity: critical
manualSteps:
  - 'Literal \${NOT_AN_ENV} stays as written outside targets'
`;

function problemsOf(text: string, file = 'demo.yaml'): CatalogProblem[] {
  const r = parseRunbook(file, text, {});
  if (!('problems' in r)) throw new Error('expected problems');
  return r.problems;
}

describe('parseRunbook', () => {
  it('resolves ${ENV} in targets only, from the injected env, and normalises severity aliases', () => {
    const r = parseRunbook('demo.yaml', GOOD, { PROMETHEUS_URL: 'http://prom:9090', DEMO_DB_URL: '' });
    if ('problems' in r) throw new Error(JSON.stringify(r.problems));
    expect(r.runbook.targets.prom).toEqual({ name: 'prom', kind: 'prometheus', values: { url: 'http://prom:9090' }, missing: [] });
    expect(r.runbook.targets.db).toEqual({ name: 'db', kind: 'postgres', values: {}, missing: ['DEMO_DB_URL'] });
    expect(r.runbook.manualSteps).toEqual(['Literal ${NOT_AN_ENV} stays as written outside targets']);
    expect(r.runbook.alerts[0]?.severity).toBe('P0');
  });

  it('resolves contacts from the environment: Slack ids paged, unset ones empty ("not configured"), anything else refused with its line', () => {
    const withContacts = `${GOOD.replace('    severity: critical\n', '    severity: critical\n    area: database\n')}contacts:
  - { role: Primary On-Call, level: L1, when: P0 alerts, page: '\${CONTACT_ONCALL}' }
  - { role: Database Admin, area: database, level: L2, page: '\${CONTACT_DBA}' }
`;
    const r = parseRunbook('demo.yaml', withContacts, { CONTACT_ONCALL: 'S0ONCALL, U0PRIMARY' });
    if ('problems' in r) throw new Error(JSON.stringify(r.problems));
    expect(r.runbook.alerts[0]?.area).toBe('database');
    expect(r.runbook.contacts).toEqual([
      { role: 'Primary On-Call', level: 'L1', when: 'P0 alerts', variable: 'CONTACT_ONCALL', ids: ['S0ONCALL', 'U0PRIMARY'] },
      { role: 'Database Admin', area: 'database', level: 'L2', variable: 'CONTACT_DBA', ids: [] },
    ]);
    const bad = parseRunbook('demo.yaml', withContacts, { CONTACT_DBA: '@dba' });
    expect('problems' in bad && bad.problems).toEqual([
      {
        file: 'demo.yaml',
        path: 'contacts[1].page',
        line: 30,
        message: expect.stringMatching(/CONTACT_DBA must list Slack user .* not ids: "@dba"/),
      },
    ]);
    expect(problemsOf(withContacts.replace("page: '${CONTACT_ONCALL}'", "page: 'U0LITERAL'"))).toEqual([
      expect.objectContaining({ path: 'contacts[0].page', message: expect.stringMatching(/single \$\{ENV_NAME\} reference/) }),
    ]);
    expect(problemsOf(withContacts.replace('level: L2', 'level: L4'))).toEqual([expect.objectContaining({ path: 'contacts[1].level' })]);
  });

  it('names file, YAML path, line and problem for a bad threshold', () => {
    const bad = GOOD.replace("crit: '< 1'", "crit: 'less than one'");
    expect(problemsOf(bad)).toEqual([
      { file: 'demo.yaml', path: 'probes[0].params.crit', line: 16, message: expect.stringMatching(/"less than one" is not a threshold/) },
    ]);
  });

  it('refuses a literal address or secret in a target', () => {
    const bad = GOOD.replace('connection: ${DEMO_DB_URL}', 'connection: postgres://app:pw@db/x');
    expect(problemsOf(bad)).toEqual([
      {
        file: 'demo.yaml',
        path: 'targets.db.connection',
        line: 10,
        message: expect.stringMatching(/must be a single \$\{ENV_NAME\} reference/),
      },
    ]);
  });

  it('checks cross-references: unknown target, wrong target kind, unknown probe in an alert or a cause', () => {
    const bad = GOOD.replace('target: db', 'target: prom')
      .replace('severity: critical', 'severity: critical\n    probes: [up, nope]')
      .concat('causes:\n  - when: { probe: ghost, status: crit }\n    cause: x\n    fix: y\n');
    const problems = problemsOf(bad);
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'probes[1].target: target prom is a prometheus target; a postgres probe needs a postgres target',
      'alerts[0].probes[1]: unknown probe nope',
      'causes[0].when.probe: unknown probe ghost',
    ]);
    expect(problems[0]?.line).toBe(20);
  });

  it('reports unknown fields, unknown probe kinds and missing fields with the nearest line', () => {
    const problems = problemsOf(
      GOOD.replace('    kind: prometheus\n    target: prom', '    kind: prometheus\n    target: prom\n    treshold: 3').replace(
        'severity: critical',
        'severity: urgent',
      ),
    );
    expect(problems.map((p) => [p.path, p.line, p.message]).sort()).toEqual([
      ['alerts[0].severity', 25, expect.stringMatching(/P0.*critical/)],
      ['probes[0]', 12, 'unknown field treshold'],
    ]);
    const kind = problemsOf(GOOD.replace('kind: postgres\n    target: db', 'kind: postgress\n    target: db'));
    expect(kind[0]).toMatchObject({
      path: 'probes[1].kind',
      line: 19,
      message: expect.stringMatching(/^unknown kind "postgress": did you mean postgres\? \(known: prometheus, http, /),
    });
  });

  it('reports YAML syntax errors with their line', () => {
    const problems = problemsOf('id: x\ntitle: [unclosed\nlink: y\n');
    expect(problems[0]).toMatchObject({ file: 'demo.yaml', path: '', message: expect.stringMatching(/^YAML syntax/) });
    expect(problems[0]?.line).toBeGreaterThanOrEqual(2);
  });
});

describe('loadCatalog', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ib-catalog-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('collects the problems of every file and alert names claimed twice', async () => {
    await writeFile(path.join(dir, 'a.yaml'), GOOD);
    await writeFile(path.join(dir, 'b.yaml'), GOOD.replace('id: demo', 'id: demo-two').replace('DemoDown', 'demodown'));
    await writeFile(
      path.join(dir, 'c.yml'),
      GOOD.replace('id: demo', 'id: demo-three').replace('DemoDown', 'Other').replace("query: 'up", "querry: 'up"),
    );
    await writeFile(path.join(dir, 'notes.txt'), 'ignored');
    const err = await loadCatalog(dir, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CatalogError);
    const problems = (err as CatalogError).problems;
    expect(problems.map((p) => `${p.file}:${p.line ?? ''} ${p.path}`)).toEqual([
      'c.yml:16 probes[0].params.query',
      'c.yml:16 probes[0].params',
      'b.yaml: alerts[0].name',
    ]);
    expect(problems.map((p) => p.message).slice(0, 2)).toEqual([
      expect.stringMatching(/expected string, received undefined/i),
      'unknown field querry',
    ]);
    expect(problems[2]?.message).toBe('alert demodown is already covered by a.yaml');
    expect((err as Error).message).toContain('c.yml:16 at probes[0].params: unknown field querry');
  });

  it('an empty or missing directory is a clear error', async () => {
    await expect(loadCatalog(dir, {})).rejects.toThrow(/no runbooks \(\*\.yaml\)/);
    await expect(loadCatalog(path.join(dir, 'nope'), {})).rejects.toThrow(/cannot read the catalog directory.*set COMMANDS_DIR/);
  });

  it('finds alerts case-insensitively and suggests close names for unknown ones', async () => {
    await writeFile(
      path.join(dir, 'a.yaml'),
      GOOD.replace(
        '  - name: DemoDown\n    severity: critical',
        '  - name: DemoDown\n    severity: critical\n  - name: DemoSlow\n    severity: P2',
      ),
    );
    const catalog = await loadCatalog(dir, {});
    const hit = findAlert(catalog, 'demodown');
    expect(hit.found && hit.alert.name).toBe('DemoDown');
    expect(findAlert(catalog, 'DemoDwn')).toEqual({ found: false, name: 'DemoDwn', suggestions: ['DemoDown'] });
    expect(findAlert(catalog, 'demo')).toMatchObject({ found: false, suggestions: ['DemoDown', 'DemoSlow'] });
    expect(closestAlertNames(catalog, 'completely-unrelated-name')).toEqual([]);
    // The lookup alert intake makes for every alert: the same entry, nothing for an unknown name.
    expect(knownAlert(catalog, ' DEMOSLOW ')?.alert).toMatchObject({ name: 'DemoSlow', severity: 'P2' });
    expect(knownAlert(catalog, 'DemoDwn')).toBeUndefined();
  });
});

describe('a catalog that cannot lie', () => {
  const withRemediation = (entry: string) =>
    GOOD.replace('manualSteps:', `remediations:\n${entry}\nmanualSteps:`).replace(
      '  db:\n    kind: postgres',
      '  home:\n    kind: files\n    root: ${DEMO_HOME}\n  db:\n    kind: postgres',
    );

  it('refuses an unknown remediation kind at load time, with the closest known kind', () => {
    const problems = problemsOf(
      withRemediation('  - { id: restart, kind: docker.restrat, title: Restart, risk: medium, target: prom, params: { container: demo } }'),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'remediations[0].kind',
        message: expect.stringMatching(/^unknown remediation kind "docker.restrat": did you mean docker.restart\?/),
      }),
    ]);
  });

  it('refuses bad remediation params and a target of the wrong kind at load time', () => {
    const problems = problemsOf(
      withRemediation(
        '  - { id: stale, kind: locks.remove-stale, title: Remove, risk: low, target: prom, params: { olderThanMinutes: -3 } }',
      ),
    );
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['remediations[0].params.olderThanMinutes', 'remediations[0].target']),
    );
    expect(problems.find((p) => p.path === 'remediations[0].target')?.message).toBe(
      'target prom is a prometheus target; locks.remove-stale needs a files target',
    );
  });

  it('refuses placeholder link domains; a relative link needs RUNBOOKS_BASE_URL, else no link is shown', () => {
    expect(problemsOf(GOOD.replace('https://wiki.corp.internal/runbooks/demo', 'https://runbooks.example.com/demo'))).toEqual([
      expect.objectContaining({ path: 'link', line: 3, message: expect.stringMatching(/placeholder domain/) }),
    ]);
    const relative = GOOD.replace('https://wiki.corp.internal/runbooks/demo', 'team/demo');
    const without = parseRunbook('demo.yaml', relative, {});
    const withBase = parseRunbook('demo.yaml', relative, {}, { runbooksBaseUrl: 'https://wiki.corp.internal/rb/' });
    expect('runbook' in without && without.runbook.link).toBeUndefined();
    expect('runbook' in withBase && withBase.runbook.link).toBe('https://wiki.corp.internal/rb/team/demo');
  });

  it('dashboards become links only when their base variable is set', () => {
    const text = GOOD.replace('targets:', "dashboards:\n  - { title: Overview, base: '${GRAFANA_URL}', path: /d/overview }\ntargets:");
    const off = parseRunbook('demo.yaml', text, {});
    const on = parseRunbook('demo.yaml', text, { GRAFANA_URL: 'https://grafana.corp.internal/' });
    expect('runbook' in off && off.runbook.dashboards).toEqual([]);
    expect('runbook' in on && on.runbook.dashboards).toEqual([{ title: 'Overview', url: 'https://grafana.corp.internal/d/overview' }]);
  });

  describe('deployment overlays', () => {
    let dir: string;
    let overlay: string;
    beforeEach(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'ib-catalog-'));
      overlay = await mkdtemp(path.join(tmpdir(), 'ib-overlay-'));
      await writeFile(
        path.join(dir, 'demo.yaml'),
        GOOD.replace(
          "    params: { query: 'up{job=\"demo\"}', crit: '< 1' }",
          "    assumed: true\n    params: { query: 'up{job=\"demo\"}', crit: '< 1' }",
        ),
      );
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
      await rm(overlay, { recursive: true, force: true });
    });

    it('replace a query without editing the shipped file; the replaced probe is no longer assumed', async () => {
      const before = await loadCatalog(dir, {});
      expect(assumedProbes(before)).toEqual([{ runbook: 'demo', probe: 'up', query: 'up{job="demo"}' }]);
      await writeFile(
        path.join(overlay, 'demo.yaml'),
        'runbook: demo\nlink: https://wiki.corp.internal/ours\nprobes:\n  up: { params: { query: \'up{job="demo-prod"}\' } }\n',
      );
      const after = await loadCatalog(dir, {}, { overlayDir: overlay });
      const probe = after.runbooks[0]?.probes[0];
      expect(probe?.params).toEqual({ query: 'up{job="demo-prod"}', crit: '< 1', whenEmpty: 'unknown', maxSeries: 5 });
      expect(assumedProbes(after)).toEqual([]);
      expect(after.runbooks[0]?.link).toBe('https://wiki.corp.internal/ours');
    });

    it('an overlay naming an unknown runbook or probe, or with bad params, stops loading', async () => {
      await writeFile(path.join(overlay, 'a.yaml'), 'runbook: demo\nprobes:\n  upp: { params: { crit: "< 1" } }\n');
      await writeFile(path.join(overlay, 'b.yaml'), 'runbook: nope\n');
      const err = (await loadCatalog(dir, {}, { overlayDir: overlay }).catch((e: unknown) => e)) as CatalogError;
      expect(err).toBeInstanceOf(CatalogError);
      expect(err.problems.map((p) => `${p.file} ${p.path}: ${p.message}`)).toEqual([
        expect.stringMatching(/a\.yaml probes\.upp: no probe upp in runbook demo: did you mean up\?/),
        expect.stringMatching(/b\.yaml runbook: no runbook nope in the catalog/),
      ]);
      await rm(path.join(overlay, 'b.yaml'));
      await writeFile(path.join(overlay, 'a.yaml'), 'runbook: demo\nprobes:\n  up: { params: { crit: "about one" } }\n');
      const bad = (await loadCatalog(dir, {}, { overlayDir: overlay }).catch((e: unknown) => e)) as CatalogError;
      expect(bad.problems.map((p) => p.path)).toEqual(['probes[0].params.crit']);
    });
  });
});

describe('process.start in the catalog', () => {
  const rb = (health: string) =>
    GOOD.replace('  db:\n    kind: postgres', '  home:\n    kind: files\n    root: ${DEMO_HOME}\n  db:\n    kind: postgres').replace(
      'manualSteps:',
      `remediations:\n  - { id: start, kind: process.start, title: Start, risk: medium, target: home, params: { argv: [demo, start], pidfile: demo.pid, health: { target: ${health} } } }\nmanualSteps:`,
    );
  it('the health endpoint must be an http target of the runbook', () => {
    expect(problemsOf(rb('prom')).map((p) => p.message)).toEqual([
      'target prom is a prometheus target; process.start needs a http target there',
    ]);
    expect(problemsOf(rb('nowhere')).map((p) => p.message)).toEqual(['unknown target nowhere: declare it under targets']);
  });
});

describe('an overlay for other worker names', () => {
  it("maps this deployment's label values to declared targets and fans out over them; a target it names must exist", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ib-catalog-'));
    const overlay = await mkdtemp(path.join(tmpdir(), 'ib-overlay-'));
    try {
      const text = GOOD.replace(
        '    target: prom\n    params:',
        '    targetByLabel: { label: worker, targets: { marie: prom } }\n    params:',
      ).replace('    severity: critical', '    severity: critical\n    eachLabel: { worker: [marie] }');
      await writeFile(path.join(dir, 'demo.yaml'), text);
      await writeFile(
        path.join(overlay, 'demo.yaml'),
        'runbook: demo\nprobes:\n  up: { targetByLabel: { label: worker, targets: { w1: prom, w2: prom } } }\nalerts:\n  DemoDown: { eachLabel: { worker: [w1, w2] } }\n',
      );
      const catalog = await loadCatalog(dir, {}, { overlayDir: overlay });
      expect(catalog.runbooks[0]?.probes[0]?.targetByLabel).toEqual({ label: 'worker', targets: { w1: 'prom', w2: 'prom' } });
      expect(catalog.runbooks[0]?.alerts[0]?.eachLabel).toEqual({ worker: ['w1', 'w2'] });
      await writeFile(
        path.join(overlay, 'demo.yaml'),
        'runbook: demo\nprobes:\n  up: { targetByLabel: { label: worker, targets: { w1: nowhere } } }\n',
      );
      const err = (await loadCatalog(dir, {}, { overlayDir: overlay }).catch((e: unknown) => e)) as CatalogError;
      expect(err.problems.map((p) => p.message)).toEqual(['unknown target nowhere']);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(overlay, { recursive: true, force: true });
    }
  });
});
