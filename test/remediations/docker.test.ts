import type Docker from 'dockerode';
import { dockerSignal } from '../../src/remediations/docker-signal';
import type { Database } from '../../src/store/database';
import {
  makeRunningContainer,
  makeExitedContainer,
  removeTestContainers,
  runContainer,
  uniqueContainerName,
  waitForContainer,
} from '../support/docker-containers';
import { createMigratedDatabase } from '../support/migrated-database';
import { DOCKER_SOCKET, requireDocker } from '../support/services';
import { actionContext, makeService, target } from './harness';

// every test container is named ibt-… and carries incident-bot-test=1 (test/support/docker-containers.ts)
const dockerTarget = target(
  'docker',
  'docker',
  { socket: DOCKER_SOCKET },
  { containers: { pattern: 'ibt-[a-z0-9-]+', label: 'incident-bot-test=1' } },
);
const RUN_ID = `rem-${process.pid}`;

let docker: Docker;
let db: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  docker = await requireDocker();
  ({ db, drop } = await createMigratedDatabase('remediation_docker'));
}, 60_000);
afterAll(async () => {
  await removeTestContainers(docker, { 'incident-bot-remediation': RUN_ID }).catch(() => undefined);
  await drop();
});

// The catalog's own declaration (commands/worker-crashes.yaml), as the catalog hands it over.
const restartWorker = {
  id: 'restart-worker',
  kind: 'docker.restart',
  title: 'Restart the worker container',
  risk: 'medium',
  target: 'docker',
  params: { container: '{{worker}}', maxRestarts: 3, cooldownSeconds: 60 },
};

describe('docker.restart through the approval flow', () => {
  it('restarts the crashed worker once per approval, verifies a new start time, and refuses the 4th restart inside the window', async () => {
    const name = uniqueContainerName('worker-marie');
    const c = await makeExitedContainer(docker, name, { labels: { 'incident-bot-remediation': RUN_ID } });
    const { service, clock } = makeService(db, { targets: { docker: dockerTarget } });

    const startTimes = new Set<string>([(await c.inspect()).State.StartedAt]);
    for (let i = 1; i <= 3; i++) {
      const r = await service.request({
        declaration: restartWorker,
        labels: { worker: name },
        requestedBy: 'U0ALICE',
        incidentId: 'INC-20260101000100',
      });
      if (r.kind !== 'created') throw new Error(`request ${i}: ${JSON.stringify(r)}`);
      expect(r.request.preview.items[0]).toContain(`container ${name}`);
      const a = await service.approve(r.request.id, 'U0BOB', []);
      expect(a).toMatchObject({ kind: 'ran', outcome: 'succeeded', verification: { status: 'passed' } });
      const info = await waitForContainer(c, (x) => x.State.Running, 20_000, 'running');
      expect(startTimes.has(info.State.StartedAt)).toBe(false);
      startTimes.add(info.State.StartedAt);
      // inside the cooldown another restart is refused at request time
      if (i === 1) {
        const early = await service.request({ declaration: restartWorker, labels: { worker: name }, requestedBy: 'U0ALICE' });
        expect(early).toMatchObject({ kind: 'limited', reason: expect.stringContaining('cooldown') });
      }
      clock.advance(61_000);
    }
    const fourth = await service.request({ declaration: restartWorker, labels: { worker: name }, requestedBy: 'U0ALICE' });
    expect(fourth).toMatchObject({ kind: 'limited', reason: expect.stringContaining('at most 3') });
    expect((await c.inspect()).RestartCount).toBeGreaterThanOrEqual(0);
    expect(startTimes.size).toBe(4);

    const steps = (await service.listAudit('INC-20260101000100')).map((e) => e.action);
    expect(steps.filter((s) => s === 'remediation.succeeded')).toHaveLength(3);
    expect(steps.slice(0, 6)).toEqual([
      'remediation.requested',
      'remediation.previewed',
      'remediation.approved',
      'remediation.started',
      'remediation.succeeded',
      'remediation.requested',
    ]);
  }, 120_000);

  it('refuses a container that does not exist, and a label that is not a container name', async () => {
    const { service } = makeService(db, { targets: { docker: dockerTarget } });
    expect(
      await service.request({ declaration: restartWorker, labels: { worker: uniqueContainerName('ghost') }, requestedBy: 'U0ALICE' }),
    ).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining('not found'),
    });
    expect(await service.request({ declaration: restartWorker, labels: { worker: '../etc' }, requestedBy: 'U0ALICE' })).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining('not a Docker container name'),
    });
  });

  it('does not restart a different container that took the name after the preview', async () => {
    const name = uniqueContainerName('replaced');
    const c = await makeRunningContainer(docker, name, { labels: { 'incident-bot-remediation': RUN_ID } });
    const { service } = makeService(db, { targets: { docker: dockerTarget } });
    const r = await service.request({ declaration: restartWorker, labels: { worker: name }, requestedBy: 'U0ALICE' });
    if (r.kind !== 'created') throw new Error(r.kind);
    await c.remove({ force: true });
    const replacement = await makeRunningContainer(docker, name, { labels: { 'incident-bot-remediation': RUN_ID } });
    const startedBefore = (await replacement.inspect()).State.StartedAt;
    const a = await service.approve(r.request.id, 'U0BOB');
    expect(a).toMatchObject({ kind: 'ran', outcome: 'failed', error: expect.stringContaining('no longer exists') });
    expect((await replacement.inspect()).State.StartedAt).toBe(startedBefore);
  }, 60_000);
});

describe('docker.signal', () => {
  it('TERM stops the container; HUP reaches a process that reloads and keeps running', async () => {
    const termName = uniqueContainerName('term');
    const term = await makeRunningContainer(docker, termName, { labels: { 'incident-bot-remediation': RUN_ID } });
    const ctx = actionContext(dockerTarget, { worker: termName });
    const p = dockerSignal.params.parse({ container: '{{worker}}', signal: 'TERM' });
    const preview = await dockerSignal.preview(p, ctx);
    const result = await dockerSignal.execute(p, preview, ctx);
    expect(await dockerSignal.verify(p, preview, result, ctx)).toMatchObject({ status: 'passed' });
    expect((await term.inspect()).State.Running).toBe(false);

    const hupName = uniqueContainerName('hup');
    const hup = await runContainer(docker, {
      name: hupName,
      cmd: ['sh', '-c', 'trap "echo reloaded" HUP; echo ready; while true; do sleep 1; done'],
      labels: { 'incident-bot-remediation': RUN_ID },
    });
    await waitForContainer(hup, (i) => i.State.Running, 20_000, 'running');
    const hctx = actionContext(dockerTarget);
    const hp = dockerSignal.params.parse({ container: hupName, signal: 'SIGHUP' });
    const hpreview = await dockerSignal.preview(hp, hctx);
    const hres = await dockerSignal.execute(hp, hpreview, hctx);
    expect(await dockerSignal.verify(hp, hpreview, hres, hctx)).toMatchObject({ status: 'passed' });
    const deadline = Date.now() + 10_000;
    let logs = '';
    while (!logs.includes('reloaded') && Date.now() < deadline) {
      logs = (await hup.logs({ stdout: true, stderr: true })).toString('utf8');
      if (!logs.includes('reloaded')) await new Promise((r) => setTimeout(r, 200));
    }
    expect(logs).toContain('reloaded');
    expect(() => dockerSignal.params.parse({ container: 'x', signal: 'KILL' })).toThrow();
  }, 60_000);
});
