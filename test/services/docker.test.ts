import type Docker from 'dockerode';
import {
  makeExitedContainer,
  makeRestartingContainer,
  makeRunningContainer,
  removeTestContainers,
  runContainer,
  TEST_CONTAINER_LABEL,
  uniqueContainerName,
} from '../support/docker-containers';
import { BUSYBOX_IMAGE, requireDocker } from '../support/services';

jest.setTimeout(90_000);

describe('real Docker engine on the private socket', () => {
  let docker: Docker;
  const run = `run-${process.pid}`;

  beforeAll(async () => {
    docker = await requireDocker();
  });

  afterAll(async () => {
    if (docker) await removeTestContainers(docker, { 'incident-bot-test-run': run });
  });

  it('has the busybox image and runs a command with no network', async () => {
    const image = await docker.getImage(BUSYBOX_IMAGE).inspect();
    expect(image.RepoTags).toContain(BUSYBOX_IMAGE);
    const c = await runContainer(docker, {
      name: uniqueContainerName('echo'),
      cmd: ['sh', '-c', 'echo hello; ls /sys/class/net'],
      labels: { 'incident-bot-test-run': run },
    });
    const result = (await c.wait()) as { StatusCode: number };
    expect(result.StatusCode).toBe(0);
    const logs = (await c.logs({ stdout: true, stderr: true })).toString('utf8');
    expect(logs).toContain('hello');
    expect(logs).not.toMatch(/eth0/); // NetworkMode none: only lo
    const info = await c.inspect();
    expect(info.HostConfig.NetworkMode).toBe('none');
    expect(info.Config.Labels[TEST_CONTAINER_LABEL]).toBe('1');
  });

  it('makes a running container with a memory limit', async () => {
    const c = await makeRunningContainer(docker, uniqueContainerName('running'), {
      memoryLimitBytes: 64 * 1024 * 1024,
      labels: { 'incident-bot-test-run': run, app: 'worker' },
    });
    const info = await c.inspect();
    expect(info.State.Status).toBe('running');
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(info.Config.Labels.app).toBe('worker');
    const stats = (await c.stats({ stream: false })) as { memory_stats: { limit?: number; usage?: number } };
    expect(stats.memory_stats.limit).toBe(64 * 1024 * 1024);
    // restart is prompt because docker-init forwards SIGTERM
    const started = Date.now();
    await c.restart({ t: 5 });
    expect(Date.now() - started).toBeLessThan(4000);
    expect((await c.inspect()).State.Running).toBe(true);
  });

  it('makes an exited container with exit code 137 (SIGKILL)', async () => {
    const c = await makeExitedContainer(docker, uniqueContainerName('killed'), {
      labels: { 'incident-bot-test-run': run },
    });
    const info = await c.inspect();
    expect(info.State.Status).toBe('exited');
    expect(info.State.ExitCode).toBe(137);
    expect(info.State.OOMKilled).toBe(false);
  });

  it('makes an OOM-killed container with exit code 137', async () => {
    const c = await makeExitedContainer(docker, uniqueContainerName('oom'), {
      oom: true,
      labels: { 'incident-bot-test-run': run },
    });
    const info = await c.inspect();
    expect(info.State.Status).toBe('exited');
    expect(info.State.ExitCode).toBe(137);
    expect(info.State.OOMKilled).toBe(true);
  });

  it('makes a restarting container with restart count > 0', async () => {
    const c = await makeRestartingContainer(docker, uniqueContainerName('restarting'), {
      minRestarts: 2,
      labels: { 'incident-bot-test-run': run },
    });
    const info = await c.inspect();
    expect(info.HostConfig.RestartPolicy?.Name).toBe('always');
    expect(info.RestartCount).toBeGreaterThan(0);
    expect(info.State.Restarting || info.State.Running).toBe(true);
    expect(['restarting', 'running']).toContain(info.State.Status);
    const logs = (await c.logs({ stdout: true, stderr: true })).toString('utf8');
    expect(logs).toContain('crashing on purpose');
  });

  it('removeTestContainers removes what the helpers made', async () => {
    const name = uniqueContainerName('cleanup');
    await makeRunningContainer(docker, name, { labels: { 'incident-bot-test-run': `${run}-cleanup` } });
    const removed = await removeTestContainers(docker, { 'incident-bot-test-run': `${run}-cleanup` });
    expect(removed).toBe(1);
    await expect(docker.getContainer(name).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
