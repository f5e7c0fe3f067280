import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './services';

const run = promisify(execFile);

/**
 * Servers of a test's own, for fault injection: stopping the shared PostgreSQL or
 * Redis would break every other test running beside it.
 */
export interface PrivatePostgres {
  url: string;
  start(): Promise<void>;
  /** Fast shutdown: connections drop, new ones are refused. */
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

function pgBin(name: string): string {
  const versions = readdirSync('/usr/lib/postgresql').sort();
  const v = versions[versions.length - 1];
  if (!v) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql: run `bash scripts/start-services.sh`');
  return `/usr/lib/postgresql/${v}/bin/${name}`;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-private-pg-'));
  const port = await freePort();
  // initdb refuses to run as root: the cluster belongs to the postgres user.
  await run('chown', ['postgres:postgres', dir]);
  const asPostgres = (bin: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', pgBin(bin), ...args]);
  await asPostgres('initdb', ['-D', `${dir}/data`, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const start = async () => {
    await asPostgres('pg_ctl', [
      '-D',
      `${dir}/data`,
      '-w',
      '-t',
      '30',
      '-l',
      `${dir}/log`,
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      'start',
    ]);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop: async () => {
      await asPostgres('pg_ctl', ['-D', `${dir}/data`, '-w', '-m', 'fast', 'stop']);
    },
    destroy: async () => {
      await asPostgres('pg_ctl', ['-D', `${dir}/data`, '-w', '-m', 'immediate', 'stop']).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedis {
  url: string;
  /** SIGKILL: the way Redis dies in an outage. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('private redis-server did not start within 10 s')), 10_000);
      child!.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child!.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
    });
  };
  const kill = async () => {
    // A SIGKILLed child has a signalCode and no exitCode: waiting for a second 'exit' would hang.
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, kill, restart: start, destroy: kill };
}
