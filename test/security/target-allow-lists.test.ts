import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import pino from 'pino';
import { main } from '../../src/cli';
import { runDiagnosis } from '../../src/diagnosis';
import { findAlert, loadCatalog, parseRunbook, type Catalog, type Runbook } from '../../src/runbooks';
import type { Database } from '../../src/store/database';
import { makeRunningContainer, removeTestContainers, uniqueContainerName } from '../support/docker-containers';
import { createMigratedDatabase } from '../support/migrated-database';
import { DOCKER_SOCKET, requireDocker } from '../support/services';
import { makeService } from '../remediations/harness';

/**
 * A label value only selects what the catalog names: a hostile `worker=vault` must not inspect, read the logs of,
 * or restart the vault container, whatever the engine would let it reach.
 */
const COMMANDS_DIR = path.join(__dirname, '..', '..', 'commands');
const RUN = randomBytes(4).toString('hex');
const RUN_LABEL = { 'ibt-security-targets': RUN };
const logger = pino({ level: 'silent' });

let docker: Docker;
let db: Database;
let drop: () => Promise<void>;
const worker = uniqueContainerName('worker');
const impostor = uniqueContainerName('worker');
const vault = uniqueContainerName('vault');

beforeAll(async () => {
  docker = await requireDocker();
  ({ db, drop } = await createMigratedDatabase('security_targets'));
  await Promise.all([
    makeRunningContainer(docker, worker, { labels: { ...RUN_LABEL, 'incident-bot.target': 'worker' } }),
    // named like a worker, but not labelled as one
    makeRunningContainer(docker, impostor, { labels: RUN_LABEL }),
    makeRunningContainer(docker, vault, { labels: RUN_LABEL }),
  ]);
}, 90_000);

afterAll(async () => {
  if (docker) await removeTestContainers(docker, RUN_LABEL);
  await drop?.();
});

const RUNBOOK = `id: workers
title: Workers
link: https://runbooks.internal/workers
targets:
  docker:
    kind: docker
    socket: \${DOCKER_HOST}
    allow:
      containers: { pattern: 'ibt-worker-[0-9a-f]{8}', label: incident-bot.target=worker }
probes:
  - id: container
    title: Worker container
    kind: docker
    target: docker
    params: { container: '{{worker}}', checks: [state] }
alerts:
  - name: WorkerDown
    severity: P1
    labels: [worker]
remediations:
  - id: restart-worker
    kind: docker.restart
    title: Restart the worker container
    risk: medium
    target: docker
    params: { container: '{{worker}}', verifySeconds: 5 }
`;

function workersRunbook(): Runbook {
  const parsed = parseRunbook('workers.yaml', RUNBOOK, { DOCKER_HOST: DOCKER_SOCKET });
  if ('problems' in parsed) throw new Error(JSON.stringify(parsed.problems));
  return parsed.runbook;
}

async function diagnose(rb: Runbook | Catalog, alertName: string, labels: Record<string, string>) {
  const catalog: Catalog = 'runbooks' in rb ? rb : { dir: '.', runbooks: [rb] };
  const hit = findAlert(catalog, alertName);
  if (!hit.found) throw new Error(`${alertName} missing`);
  return runDiagnosis({ runbook: hit.runbook, alert: hit.alert, labels, logger });
}

function serviceFor(catalog: Catalog) {
  return makeService(db, { resolveTarget: ({ runbookId, target }) => catalog.runbooks.find((r) => r.id === runbookId)?.targets[target] })
    .service;
}

const startedAt = async (name: string) => (await docker.getContainer(name).inspect()).State.StartedAt;

describe('docker: a label selects only containers the catalog allows', () => {
  it('the probe inspects an allowed, labelled worker and refuses a foreign or unlabelled container with what is allowed', async () => {
    const rb = workersRunbook();
    const ok = await diagnose(rb, 'WorkerDown', { worker });
    expect(ok.probes[0]).toMatchObject({ status: 'ok', summary: expect.stringContaining(`${worker}: running`) });

    const foreign = await diagnose(rb, 'WorkerDown', { worker: vault });
    expect(foreign.probes[0]?.status).toBe('unknown');
    expect(foreign.probes[0]?.summary).toBe(
      `refused: container ${vault} is not allowed on target docker (allowed: names matching ^ibt-worker-[0-9a-f]{8}$ (with the container label incident-bot.target=worker))`,
    );
    expect(foreign.probes[0]?.figures).toEqual([]);

    const unlabelled = await diagnose(rb, 'WorkerDown', { worker: impostor });
    expect(unlabelled.probes[0]?.summary).toMatch(
      new RegExp(`^refused: container ${impostor} does not carry the label incident-bot.target=worker`),
    );
    expect(unlabelled.probes[0]?.figures).toEqual([]);
  });

  it('the remediation refuses a foreign or unlabelled container before any request exists; neither is restarted', async () => {
    const rb = workersRunbook();
    const service = serviceFor({ dir: '.', runbooks: [rb] });
    const declaration = rb.remediations[0] as Record<string, unknown>;
    for (const target of [vault, impostor]) {
      const before = await startedAt(target);
      const r = await service.request({ declaration, runbookId: 'workers', labels: { worker: target }, requestedBy: 'U0MALLORY' });
      expect(r).toMatchObject({
        kind: 'refused',
        reason: expect.stringMatching(/not allowed on target docker|does not carry the label incident-bot.target=worker/),
      });
      expect(await startedAt(target)).toBe(before);
    }
    const allowed = await service.request({ declaration, runbookId: 'workers', labels: { worker }, requestedBy: 'U0ALICE' });
    expect(allowed).toMatchObject({
      kind: 'created',
      request: { preview: { summary: expect.stringContaining(`restart container ${worker}`) } },
    });
  });

  it('the shipped worker-crashes catalog refuses worker=vault and worker=prod-db in every probe that picks by label, and in the restart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ibt-sec-shared-'));
    try {
      const catalog = await loadCatalog(COMMANDS_DIR, { DOCKER_HOST: DOCKER_SOCKET, WORKERS_SHARED_DIR: dir, WORKER_LOG_DIR: dir });
      for (const value of ['vault', 'prod-db']) {
        const result = await diagnose(catalog, 'WorkerDown', { worker: value });
        const byId = Object.fromEntries(result.probes.map((p) => [p.id, p.summary]));
        expect(byId.container).toBe(`refused: container ${value} is not allowed on target docker (allowed: marie, anga, fabien)`);
        expect(byId.heartbeat).toBe(`refused: worker=${value} is not allowed on target shared (allowed: marie, anga, fabien)`);
        expect(byId['app-log']).toBe(`refused: worker=${value} is not allowed on target worker-logs (allowed: marie, anga, fabien)`);
        expect(byId.tasks).toBe(`refused: worker=${value} is not allowed on target shared (allowed: marie, anga, fabien)`);

        const rb = catalog.runbooks.find((r) => r.id === 'worker-crashes') as Runbook;
        const service = serviceFor(catalog);
        for (const id of ['restart-worker', 'requeue-stuck-tasks', 'remove-stale-locks']) {
          const declaration = rb.remediations.find((r) => r.id === id) as Record<string, unknown>;
          const r = await service.request({ declaration, runbookId: rb.id, labels: { worker: value }, requestedBy: 'U0MALLORY' });
          expect(r).toMatchObject({ kind: 'refused', reason: expect.stringContaining('(allowed: marie, anga, fabien)') });
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a label value for a key, role or URL needs an allow-list too: the shipped memory-daemon agent ids cannot reach other keys', async () => {
    const catalog = await loadCatalog(COMMANDS_DIR, { MEMORY_REDIS_URL: 'redis://127.0.0.1:6379' });
    const rb = catalog.runbooks.find((r) => r.id === 'memory-daemon') as Runbook;
    const declaration = rb.remediations.find((r) => r.id === 'clear-agent-stream') as Record<string, unknown>;
    const r = await serviceFor(catalog).request({ declaration, runbookId: rb.id, labels: { agent: 'x:other' }, requestedBy: 'U0MALLORY' });
    expect(r).toMatchObject({
      kind: 'refused',
      reason: 'agent=x:other is not allowed on target memory-redis (allowed: values matching ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$)',
    });
  });
});

describe('incident-bot validate reports targets without an allow-list', () => {
  it('names the target, the probe or action and what to add; exit 1', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ibt-sec-validate-'));
    try {
      await writeFile(
        path.join(dir, 'workers.yaml'),
        RUNBOOK.replace(/ {4}allow:\n.*\n/, '')
          .replace(
            "params: { container: '{{worker}}', checks: [state] }",
            "params: { container: '{{worker}}', checks: [state] }\n  - id: log\n    title: Log\n    kind: log-tail\n    target: logs\n    params: { path: '{{worker}}.log' }",
          )
          .replace('probes:\n', '  logs:\n    kind: files\n    root: ${LOG_DIR}\nprobes:\n'),
      );
      let stdout = '';
      let stderr = '';
      const code = await main(
        ['validate'],
        { COMMANDS_DIR: dir, TEMPLATES_DIR: path.join(__dirname, '..', '..', 'templates') },
        { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
      );
      expect(code).toBe(1);
      expect(stderr).toContain(
        'workers.yaml at targets.docker: probe container picks a container by label ({{worker}}) but docker target docker has no allow-list',
      );
      expect(stderr).toContain('workers.yaml at targets.docker: remediation restart-worker picks a container by label');
      expect(stderr).toContain(
        'workers.yaml at targets.logs: probe log picks by label {{worker}} but files target logs has no allow-list for it: add allow.labels.worker',
      );
      expect(stdout).not.toContain('catalog ok');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
