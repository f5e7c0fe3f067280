import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { makeExitedContainer, removeTestContainers, uniqueContainerName } from './docker-containers';
import { DOCKER_SOCKET, requireDocker } from './services';

export interface CrashedWorker {
  docker: Docker;
  /** The exited container's name, which the shipped catalog's worker allow-list takes from WORKER_NAMES. */
  worker: string;
  /** An empty shared directory for the workers' files. */
  shared: string;
  /** What the bot needs to reach both: DOCKER_HOST, WORKERS_SHARED_DIR, WORKER_NAMES. */
  env: Record<string, string>;
  /** Removes the containers labelled `label` and the shared directory. */
  remove(): Promise<void>;
}

/** A worker container that crashed (exited with 137) on the real Docker engine, and an empty shared directory. */
export async function startCrashedWorker(prefix: string, label: Record<string, string>): Promise<CrashedWorker> {
  const docker = await requireDocker();
  const worker = uniqueContainerName(prefix);
  await makeExitedContainer(docker, worker, { labels: label });
  const shared = await fs.mkdtemp(path.join(os.tmpdir(), `ib-${prefix}-`));
  return {
    docker,
    worker,
    shared,
    env: { DOCKER_HOST: `unix://${DOCKER_SOCKET}`, WORKERS_SHARED_DIR: shared, WORKER_NAMES: worker },
    remove: async () => {
      await removeTestContainers(docker, label);
      await fs.rm(shared, { recursive: true, force: true });
    },
  };
}
