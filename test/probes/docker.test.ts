import type Docker from 'dockerode';
import { dockerProbe, demuxDockerLog } from '../../src/probes/docker';
import {
  makeExitedContainer,
  makeRestartingContainer,
  removeTestContainers,
  runContainer,
  uniqueContainerName,
  waitForContainer,
} from '../support/docker-containers';
import { DOCKER_SOCKET, requireDocker } from '../support/services';
import { runProbe } from './probe-harness';

const FILE_LABEL = { 'ibt-file': 'probes-docker' };
let docker: Docker;
const names = {
  running: uniqueContainerName('running'),
  exited: uniqueContainerName('exited'),
  oom: uniqueContainerName('oom'),
  restarting: uniqueContainerName('restarting'),
};
const target = { socket: DOCKER_SOCKET };
const allow = { containers: { pattern: 'ibt-[a-z0-9-]+', label: 'incident-bot-test=1' } };

beforeAll(async () => {
  docker = await requireDocker();
  const running = await runContainer(docker, {
    name: names.running,
    cmd: ['sh', '-c', 'echo "INFO starting"; echo "ERROR task 17 failed" >&2; echo "Traceback (most recent call last):"; exec sleep 3600'],
    memoryLimitBytes: 64 * 1024 * 1024,
    labels: FILE_LABEL,
  });
  await waitForContainer(running, (i) => i.State.Running, 20_000, 'running');
  await Promise.all([
    makeExitedContainer(docker, names.exited, { labels: FILE_LABEL }),
    makeExitedContainer(docker, names.oom, { labels: FILE_LABEL, oom: true }),
    makeRestartingContainer(docker, names.restarting, { labels: FILE_LABEL, minRestarts: 3 }),
  ]);
  // the log lines are written right after start: wait until Docker has them
  const deadline = Date.now() + 10_000;
  while (!demuxDockerLog((await running.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer).includes('Traceback')) {
    if (Date.now() > deadline) throw new Error('container logs never appeared');
    await new Promise((r) => setTimeout(r, 50));
  }
}, 90_000);

afterAll(async () => {
  if (docker) await removeTestContainers(docker, FILE_LABEL);
});

describe('docker probe against the real engine', () => {
  it('a running container: state, log errors in the last minutes, memory against its limit, open fds', async () => {
    const r = await runProbe(
      dockerProbe,
      { container: '{{worker}}', checks: ['state', 'logs', 'memory', 'fds'] },
      { target, allow, labels: { worker: names.running } },
    );
    const fig = Object.fromEntries(r.figures.map((f) => [f.label, f.value]));
    expect(fig).toMatchObject({ state: 'running', restarts: 0, 'exit code': 0, 'OOM killed': 'no', 'error lines (10 min)': 2 });
    expect(String(fig.memory)).toMatch(/ \/ 64 MiB$/);
    expect(fig['open fds']).toBeGreaterThanOrEqual(3);
    expect(r.status).toBe('warn'); // two error lines
    expect(r.summary).toBe(`${names.running}: 2 error lines in the last 10 min`);
    // stdout and stderr are separate streams: their relative order is not guaranteed
    expect(r.evidence.excerpt?.split('\n').sort()).toEqual(['ERROR task 17 failed', 'Traceback (most recent call last):']);
  });

  it('an exited container is critical with exit code 137', async () => {
    const r = await runProbe(dockerProbe, { container: names.exited, checks: ['state', 'logs', 'memory'] }, { target });
    expect(r.status).toBe('crit');
    expect(r.summary).toBe(`${names.exited}: exited (exit code 137)`);
    expect(r.figures).toContainEqual({ label: 'exit code', value: 137 });
    expect(r.figures).toContainEqual({ label: 'OOM killed', value: 'no' });
    expect(r.figures.map((f) => f.label)).not.toContain('memory'); // no stats for a stopped container
  });

  it('an OOM-killed container says so', async () => {
    const r = await runProbe(dockerProbe, { container: names.oom, checks: ['state'] }, { target });
    expect(r.status).toBe('crit');
    expect(r.summary).toBe(`${names.oom}: exited (exit code 137), OOM-killed`);
    expect(r.figures).toContainEqual({ label: 'OOM killed', value: 'yes' });
  });

  it('a restarting container shows its restart count', async () => {
    const r = await runProbe(dockerProbe, { container: names.restarting, checks: ['state', 'logs'] }, { target });
    expect(r.status).toBe('crit');
    const restarts = r.figures.find((f) => f.label === 'restarts')?.value as number;
    expect(restarts).toBeGreaterThanOrEqual(3); // crit by restart count even when caught between two restarts
    expect(r.summary).toMatch(new RegExp(`^${names.restarting}: (.*; )?restarted \\d+×`));
  });

  it('an unknown container is critical; a name that is not a Docker name is refused', async () => {
    const missing = await runProbe(dockerProbe, { container: 'ibt-does-not-exist' }, { target });
    expect(missing).toMatchObject({ status: 'crit', summary: 'container ibt-does-not-exist not found' });
    const refused = await runProbe(dockerProbe, { container: '{{worker}}' }, { target, labels: { worker: '../../images/json' } });
    expect(refused).toMatchObject({ status: 'unknown', summary: expect.stringMatching(/^refused: .* is not a Docker container name$/) });
  });

  it('an unreachable engine is unknown', async () => {
    const r = await runProbe(dockerProbe, { container: 'x' }, { target: { socket: '/nonexistent/docker.sock' } });
    expect(r).toMatchObject({ status: 'unknown', summary: expect.stringMatching(/^Docker engine unreachable/) });
  });
});
