import { readFile, readdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
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
link: https://runbooks.example.com/files
targets:
  home:
    kind: files
    root: \${DEMO_HOME}
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
  });

  it('validate rejects a broken catalog with file, line, path and problem; exit 1', async () => {
    const broken = await mkdtemp(path.join(tmpdir(), 'ib-cli-broken-'));
    try {
      await writeFile(path.join(broken, 'demo.yaml'), FILES_RUNBOOK.replace("params: { path: '{{name}}.pid' }", "params: { path: '{{name}}.pid', signal: 9 }"));
      const { code, stderr } = await run(['validate'], { COMMANDS_DIR: broken });
      expect(code).toBe(1);
      expect(stderr).toBe('catalog: 1 problem\n  demo.yaml:13 at probes[0].params: unknown field signal\n');
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });

  it('validate runs every registered check (the extension point for templates)', async () => {
    const templates: ValidateCheck = { name: 'templates', run: async () => ({ problems: ['incident-opened.md:3: unknown variable {{sevrity}}'], notes: [] }) };
    const { code, stdout, stderr } = await run(['validate'], {}, [{ name: 'catalog', run: async () => ({ problems: [], notes: ['catalog ok'] }) }, templates]);
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
      expect(stderr).toMatch(/^templates: 1 problem\n {2}.*incident-opened\.txt:\d+: unknown variable \{\{sevrity\}\} \(did you mean \{\{severity\}\}\?\)/);
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

  it('diagnose of an unknown alert suggests the closest names; exit 1', async () => {
    const { code, stderr } = await run(['diagnose', 'stuckdetect']);
    expect(code).toBe(1);
    expect(stderr).toBe('unknown alert "stuckdetect"; did you mean StuckDetected?\n');
  });

  it('diagnose prints readable text; exit 2 when critical', async () => {
    const { code, stdout } = await run(['diagnose', 'demoprocessdown', 'name=gone'], { COMMANDS_DIR: dir, DEMO_HOME: home });
    expect(code).toBe(2);
    expect(stdout).toContain('DemoProcessDown (P1) — Files demo  [name=gone]');
    expect(stdout).toContain('Overall: CRIT');
    expect(stdout).toMatch(/CRIT {2}PID file \[pidfile, \d+ ms\]: PID file missing \(gone.pid\)/);
    expect(stdout).toContain('Likely causes:\n  - Process gone (pid is crit): Start it again');
    expect(stdout).toContain('Runbook: https://runbooks.example.com/files');
  });

  it('diagnose --json prints the result; exit 0 when ok', async () => {
    const { code, stdout } = await run(['diagnose', 'DemoProcessDown', 'name=alive', '--json'], { COMMANDS_DIR: dir, DEMO_HOME: home });
    expect(code).toBe(0);
    const r = JSON.parse(stdout);
    expect(r).toMatchObject({ status: 'ok', complete: true, alert: { name: 'DemoProcessDown' }, labels: { name: 'alive' } });
    expect(r.probes[0]).toMatchObject({ id: 'pid', status: 'ok', summary: `process ${process.pid} is running` });
  });

  it('diagnose without the target variable says which one to set', async () => {
    const { code, stdout } = await run(['diagnose', 'DemoProcessDown', 'name=alive'], { COMMANDS_DIR: dir });
    expect(code).toBe(0);
    expect(stdout).toContain('not configured: set DEMO_HOME');
  });

  it('bad arguments exit 1 with usage', async () => {
    expect((await run(['diagnose'])).code).toBe(1);
    expect((await run(['diagnose', 'StuckDetected', 'agent'])).stderr).toMatch(/expected label=value/);
    expect((await run(['frobnicate'])).stderr).toMatch(/unknown command "frobnicate"/);
  });
});
