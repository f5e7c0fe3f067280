import { mkdir, readFile, readdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main, type ValidateCheck } from '../../src/cli';

const COMMANDS_DIR = path.join(__dirname, '..', '..', 'commands');

async function run(argv: string[], env: NodeJS.ProcessEnv = {}, checks?: ValidateCheck[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { COMMANDS_DIR, ...env }, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, checks);
  return { code, stdout, stderr };
}

const FILES_RUNBOOK = `id: files-demo
title: Files demo
link: https://wiki.corp.internal/runbooks/files
targets:
  home:
    kind: files
    root: \${DEMO_HOME}
    allow:
      labels: { name: [alive, gone] }
probes:
  - id: pid
    title: PID file
    kind: pidfile
    target: home
    params: { path: '{{name}}.pid' }
causes:
  - when: { probe: pid, status: crit }
    cause: Process gone
    fix: Start it again
alerts:
  - name: DemoProcessDown
    severity: P1
    labels: [name]
`;

let dir: string;
let home: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ib-cli-commands-'));
  home = await mkdtemp(path.join(tmpdir(), 'ib-cli-home-'));
  await writeFile(path.join(dir, 'files-demo.yaml'), FILES_RUNBOOK);
  await writeFile(path.join(home, 'alive.pid'), String(process.pid));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
});

describe('incident-bot CLI', () => {
  it('schema prints the committed JSON Schema', async () => {
    const { code, stdout } = await run(['schema']);
    expect(code).toBe(0);
    expect(stdout).toBe(await readFile(path.join(COMMANDS_DIR, 'catalog.schema.json'), 'utf8'));
    expect(JSON.parse(stdout).title).toBe('incident-bot runbook');
  });

  it('validate accepts the shipped catalog and names the variables still to set', async () => {
    const { code, stdout, stderr } = await run(['validate'], { PROMETHEUS_URL: 'http://prom:9090' });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^catalog ok: 5 runbooks, 33 alerts, \d+ probes/);
    expect(stdout).toMatch(/not configured .*MEMORY_DB_URL/);
    expect(stdout).not.toMatch(/not configured .*PROMETHEUS_URL/);
    expect(stdout).toMatch(/contacts not configured \(escalation pages only ESCALATION_Ln for them\): .*CONTACT_DBA/);
    expect((await run(['validate'], { CONTACT_DBA: 'S0DBA' })).stdout).not.toMatch(/contacts not configured.*CONTACT_DBA/);
    const bad = await run(['validate'], { CONTACT_DBA: '@dba' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/memory-daemon\.yaml:\d+ at contacts\[2\]\.page: CONTACT_DBA must list Slack user/);
  });

  it('validate names the risk levels whose approvers are not configured, and the actions nobody can approve', async () => {
    const open = await run(['validate'], {});
    expect(open.code).toBe(0);
    expect(open.stdout).toMatch(
      /approvers for medium risk are not configured: anyone but the requester may approve \d+ remediations \(set REMEDIATION_APPROVERS_MEDIUM/,
    );
    expect(open.stdout).toMatch(
      /warning: approvers for high risk are not configured: nobody can approve .*memory-daemon\/terminate-long-transactions/,
    );
    const configured = await run(['validate'], {
      REMEDIATION_APPROVERS_LOW: 'S0ONCALL',
      REMEDIATION_APPROVERS_MEDIUM: 'S0ONCALL',
      REMEDIATION_APPROVERS_HIGH: 'S0RESPONDERS,U0LEAD01',
    });
    expect(configured.code).toBe(0);
    expect(configured.stdout).not.toMatch(/approvers for/);
    expect(configured.stdout).not.toMatch(/nobody can approve/);
  });

  it('validate rejects a broken catalog with file, line, path and problem; exit 1', async () => {
    const broken = await mkdtemp(path.join(tmpdir(), 'ib-cli-broken-'));
    try {
      await writeFile(
        path.join(broken, 'demo.yaml'),
        FILES_RUNBOOK.replace("params: { path: '{{name}}.pid' }", "params: { path: '{{name}}.pid', signal: 9 }"),
      );
      const { code, stderr } = await run(['validate'], { COMMANDS_DIR: broken });
      expect(code).toBe(1);
      expect(stderr).toBe('catalog: 1 problem\n  demo.yaml:15 at probes[0].params: unknown field signal\n');
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });

  it('validate runs every registered check (the extension point for templates)', async () => {
    const templates: ValidateCheck = {
      name: 'templates',
      run: async () => ({ problems: ['incident-opened.md:3: unknown variable {{sevrity}}'], notes: [] }),
    };
    const { code, stdout, stderr } = await run(['validate'], {}, [
      { name: 'catalog', run: async () => ({ problems: [], notes: ['catalog ok'] }) },
      templates,
    ]);
    expect(code).toBe(1);
    expect(stdout).toBe('catalog ok\n');
    expect(stderr).toBe('templates: 1 problem\n  incident-opened.md:3: unknown variable {{sevrity}}\n');
  });

  it('validate checks the real templates: the shipped ones pass, a misspelt variable is named with file and line', async () => {
    const ok = await run(['validate']);
    expect(ok.stdout).toMatch(/templates ok/);
    const broken = await mkdtemp(path.join(tmpdir(), 'ib-cli-templates-'));
    try {
      const shipped = path.join(__dirname, '..', '..', 'templates');
      for (const f of await readdir(shipped)) {
        await writeFile(path.join(broken, f), await readFile(path.join(shipped, f), 'utf8'));
      }
      const opened = await readFile(path.join(broken, 'incident-opened.txt'), 'utf8');
      await writeFile(path.join(broken, 'incident-opened.txt'), opened.replace('{{severity}}', '{{sevrity}}'));
      const { code, stderr } = await run(['validate'], { TEMPLATES_DIR: broken });
      expect(code).toBe(1);
      expect(stderr).toMatch(
        /^templates: 1 problem\n {2}.*incident-opened\.txt:\d+: unknown variable \{\{sevrity\}\} \(did you mean \{\{severity\}\}\?\)/,
      );
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });

  it('an invalid environment is a readable error; exit 1', async () => {
    const { code, stderr } = await run(['runbooks'], { LOG_LEVEL: 'loud' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/LOG_LEVEL must be one of/);
  });

  it('runbooks lists title, alerts and probe count', async () => {
    const { code, stdout } = await run(['runbooks']);
    expect(code).toBe(0);
    expect(stdout).toContain('Worker crashes (containers, heartbeats, stuck tasks) (worker-crashes, 8 probes)');
    expect(stdout).toContain('WorkerDown [P1], WatcherHeartbeatMissing [P1]');
  });

  it('diagnose of an unknown alert suggests the closest names; exit 2 (usage)', async () => {
    const { code, stderr } = await run(['diagnose', 'stuckdetect']);
    expect(code).toBe(2);
    expect(stderr).toBe('unknown alert "stuckdetect"; did you mean StuckDetected?\n');
  });

  it('diagnose prints readable text; exit 1 when something is WARN or CRIT', async () => {
    const { code, stdout } = await run(['diagnose', 'demoprocessdown', 'name=gone'], { COMMANDS_DIR: dir, DEMO_HOME: home });
    expect(code).toBe(1);
    expect(stdout).toContain('DemoProcessDown (P1) — Files demo  [name=gone]');
    expect(stdout).toContain('Overall: CRIT');
    expect(stdout).toMatch(/CRIT {2}PID file \[pidfile, \d+ ms\]: PID file missing \(gone.pid\)/);
    expect(stdout).toContain('Likely causes:\n  - Process gone (pid is crit): Start it again');
    expect(stdout).toContain('Runbook: https://wiki.corp.internal/runbooks/files');
  });

  it('diagnose --json prints the result; exit 0 when ok', async () => {
    const { code, stdout } = await run(['diagnose', 'DemoProcessDown', 'name=alive', '--json'], { COMMANDS_DIR: dir, DEMO_HOME: home });
    expect(code).toBe(0);
    const r = JSON.parse(stdout);
    expect(r).toMatchObject({ status: 'ok', complete: true, alert: { name: 'DemoProcessDown' }, labels: { name: 'alive' } });
    expect(r.probes[0]).toMatchObject({ id: 'pid', status: 'ok', summary: `process ${process.pid} is running` });
  });

  it('diagnose without the target variable says which one to set; exit 3 when nothing could run', async () => {
    const { code, stdout } = await run(['diagnose', 'DemoProcessDown', 'name=alive'], { COMMANDS_DIR: dir });
    expect(code).toBe(3);
    expect(stdout).toContain('not configured: set DEMO_HOME');
  });

  it('bad arguments exit 2 with usage', async () => {
    expect((await run(['diagnose'])).code).toBe(2);
    const pair = await run(['diagnose', 'StuckDetected', 'agent']);
    expect([pair.code, pair.stderr]).toEqual([2, 'expected label=value, got "agent"\n']);
    expect(await run(['frobnicate'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command "frobnicate"/) });
    expect((await run(['diagnose', 'StuckDetected', '--frob'])).code).toBe(2);
  });

  it('diagnose <Alert> --help lists the labels the alert needs', async () => {
    const { code, stdout } = await run(['diagnose', 'StuckDetected', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: incident-bot diagnose StuckDetected \[agent=<value>\] \[--json\]/);
    expect(stdout).toContain('labels: agent');
  });

  it('an unknown label name is refused with the closest one (exit 2), never ignored', async () => {
    const { code, stderr, stdout } = await run(['diagnose', 'StuckDetected', 'agnet=agent-7']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('StuckDetected uses no label "agnet": did you mean agent? (its labels: agent)\n');
  });

  it('--json reports errors as JSON on stdout', async () => {
    const unknownLabel = await run(['diagnose', 'StuckDetected', 'agnet=agent-7', '--json']);
    expect(unknownLabel.code).toBe(2);
    expect(unknownLabel.stderr).toBe('');
    expect(JSON.parse(unknownLabel.stdout)).toEqual({
      error: { kind: 'unknown_label', message: expect.any(String), label: 'agnet', suggestions: ['agent'], labels: ['agent'] },
    });
    const unknownAlert = await run(['diagnose', 'stuckdetect', '--json']);
    expect(JSON.parse(unknownAlert.stdout)).toMatchObject({ error: { kind: 'unknown_alert', suggestions: ['StuckDetected'] } });
    const badEnv = await run(['diagnose', 'StuckDetected', '--json'], { LOG_LEVEL: 'loud' });
    expect(badEnv.code).toBe(3);
    expect(JSON.parse(badEnv.stdout)).toMatchObject({ error: { kind: 'config', problems: [expect.stringMatching(/LOG_LEVEL/)] } });
  });

  it('validate lists every assumed metric by name; --strict fails on them and on unset targets', async () => {
    const plain = await run(['validate']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/assumed metrics \(\d+;/);
    expect(plain.stdout).toContain(
      '  memory-daemon/query-latency-p95: histogram_quantile(0.95, sum by (le) (rate(memory_query_duration_seconds_bucket[5m])))',
    );
    expect(plain.stdout).toContain('  cli-orchestrator/error-rate: ');
    const strict = await run(['validate', '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/targets not configured: .*PROMETHEUS_URL/);
    expect(strict.stderr).toContain('assumed metric memory-daemon/query-latency-p95');
    const clean = await run(['validate', '--strict'], {
      COMMANDS_DIR: dir,
      DEMO_HOME: home,
      RUNBOOKS_BASE_URL: 'https://wiki.corp.internal',
    });
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
  });

  it('validate fails on a placeholder runbook link; no link is shown rather than a fake one', async () => {
    const broken = await mkdtemp(path.join(tmpdir(), 'ib-cli-link-'));
    try {
      await writeFile(
        path.join(broken, 'demo.yaml'),
        FILES_RUNBOOK.replace('https://wiki.corp.internal/runbooks/files', 'https://runbooks.example.com/files'),
      );
      const { code, stderr } = await run(['validate'], { COMMANDS_DIR: broken });
      expect(code).toBe(1);
      expect(stderr).toMatch(/demo\.yaml:3 at link: https:\/\/runbooks\.example\.com\/files is a placeholder domain/);
      expect((await run(['runbooks'])).stdout).toContain('(no runbook link configured)');
      expect((await run(['runbooks'], { RUNBOOKS_BASE_URL: 'https://wiki.corp.internal/rb' })).stdout).toContain(
        'https://wiki.corp.internal/rb/continuous-claude/monitoring-runbooks',
      );
      expect((await run(['runbooks'], { RUNBOOKS_BASE_URL: 'https://docs.example.com' })).stderr).toMatch(
        /RUNBOOKS_BASE_URL is a placeholder domain/,
      );
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });

  it("postmortem with no database in DATA_DIR names the playground's, and does not open it while the playground runs", async () => {
    const data = await mkdtemp(path.join(tmpdir(), 'ib-cli-playground-'));
    try {
      // What a running `npm start` without Slack leaves in DATA_DIR: its database folder and its pid file.
      await mkdir(path.join(data, 'playground', 'db', 'pglite'), { recursive: true });
      await writeFile(path.join(data, 'playground', 'playground.pid'), `${process.pid}\n`);
      const { code, stdout, stderr } = await run(['postmortem', 'INC-20260111100200'], { DATA_DIR: data });
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toContain(
        `the playground's is ${path.join(data, 'playground', 'db')}, and the playground is running (pid ${process.pid})`,
      );
      expect(stderr).toContain('Download');
      await expect(readdir(path.join(data, 'playground', 'db', 'pglite'))).resolves.toEqual([]);
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });
});
