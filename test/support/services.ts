/**
 * Real services for integration tests. `bash scripts/start-services.sh` starts all of them (idempotently):
 *   PostgreSQL  127.0.0.1:5432 (user postgres, trust)   — override with TEST_POSTGRES_URL
 *   Redis       127.0.0.1:6379                          — override with TEST_REDIS_URL
 *   Docker      private dockerd on /run/incident-bot/docker.sock, image incident-bot/busybox:latest
 *   Prometheus / Alertmanager binaries (/usr/bin/prometheus, /usr/bin/prometheus-alertmanager): see
 *   test/support/prometheus.ts and test/support/alertmanager.ts, which start their own processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { connect as netConnect, createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import Docker from 'dockerode';
import { Client } from 'pg';

export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DOCKER_SOCKET = '/run/incident-bot/docker.sock';
export const BUSYBOX_IMAGE = 'incident-bot/busybox:latest';

export const START_SERVICES_HINT = 'run `bash scripts/start-services.sh` (as root) to start every service the tests need';

function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (u.protocol.startsWith('postgres') ? '5432' : '6379')}`;
  } catch {
    return url;
  }
}

function errText(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ');
  }
  return err instanceof Error ? err.message || err.constructor.name : String(err);
}

/** Quote an SQL identifier. */
function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function adminClient(): Promise<Client> {
  const client = new Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new Error(
      `PostgreSQL is not answering on ${describeUrl(POSTGRES_ADMIN_URL)} (${errText(err)}): ${START_SERVICES_HINT}` +
        ' (or set TEST_POSTGRES_URL to an admin URL of a reachable server)',
    );
  }
  return client;
}

/** Throws a clear message when PostgreSQL is not reachable. */
export async function requirePostgres(): Promise<void> {
  const client = await adminClient();
  await client.end();
}

/**
 * CREATE DATABASE <prefix>_<random> (owner postgres) on the real server and return its URL.
 * `drop()` terminates the database's backends and drops it; calling it twice is harmless.
 */
export async function createTestDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const safePrefix =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')
      .slice(0, 40) || 'test';
  const name = `${safePrefix}_${randomBytes(6).toString('hex')}`;
  const client = await adminClient();
  try {
    await client.query(`CREATE DATABASE ${ident(name)} OWNER postgres`);
  } finally {
    await client.end();
  }
  const u = new URL(POSTGRES_ADMIN_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  let dropped = false;
  return {
    url,
    async drop() {
      if (dropped) return;
      dropped = true;
      const c = await adminClient();
      try {
        await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
        await c.query(`DROP DATABASE IF EXISTS ${ident(name)}`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Sends RESP commands over a plain socket and resolves with the replies' first lines (no client library, no timers left behind). */
function redisRoundTrip(url: string, commands: string[][], timeoutMs: number): Promise<string[]> {
  const u = new URL(url);
  const host = u.hostname || '127.0.0.1';
  const port = Number(u.port || 6379);
  const encode = (args: string[]): string => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  return new Promise<string[]>((resolve, reject) => {
    const socket = netConnect({ host, port });
    let buffer = '';
    const finish = (err: Error | undefined, replies?: string[]): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(replies ?? []);
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (err) => finish(err));
    socket.on('connect', () => socket.write(commands.map(encode).join('')));
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\r\n').filter((l) => l.length > 0);
      if (lines.length >= commands.length) finish(undefined, lines.slice(0, commands.length));
    });
    socket.on('close', () => finish(new Error('connection closed')));
  });
}

/** Pings Redis at REDIS_URL; throws a clear message otherwise. */
export async function requireRedis(): Promise<void> {
  try {
    const u = new URL(REDIS_URL);
    const commands: string[][] = [];
    if (u.password) {
      const auth = ['AUTH'];
      if (u.username) auth.push(decodeURIComponent(u.username));
      auth.push(decodeURIComponent(u.password));
      commands.push(auth);
    }
    commands.push(['PING']);
    const replies = await redisRoundTrip(REDIS_URL, commands, 3000);
    const bad = replies.find((r) => r.startsWith('-'));
    if (bad) throw new Error(bad.slice(1));
    if (replies[replies.length - 1] !== '+PONG') throw new Error(`unexpected PING reply ${replies.join(' ')}`);
  } catch (err) {
    throw new Error(
      `Redis is not answering on ${describeUrl(REDIS_URL)} (${errText(err)}): ${START_SERVICES_HINT}` + ' (or set TEST_REDIS_URL)',
    );
  }
}

/** A dockerode client on DOCKER_SOCKET, after checking the engine answers and the busybox image exists. */
export async function requireDocker(): Promise<Docker> {
  if (!existsSync(DOCKER_SOCKET)) {
    throw new Error(`The Docker engine socket ${DOCKER_SOCKET} does not exist: ${START_SERVICES_HINT}`);
  }
  const docker = new Docker({ socketPath: DOCKER_SOCKET });
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(`The Docker engine is not answering on ${DOCKER_SOCKET} (${errText(err)}): ${START_SERVICES_HINT}`);
  }
  try {
    await docker.getImage(BUSYBOX_IMAGE).inspect();
  } catch (err) {
    throw new Error(`The Docker image ${BUSYBOX_IMAGE} is missing on ${DOCKER_SOCKET} (${errText(err)}): ${START_SERVICES_HINT}`);
  }
  return docker;
}

// ---------------------------------------------------------------------------------------------------------------
// Real binaries run as child processes (used by prometheus.ts and alertmanager.ts)
// ---------------------------------------------------------------------------------------------------------------

/** A TCP port that was free a moment ago (listen on port 0, read it, close). */
/**
 * A port a test server can bind now and is unlikely to lose before it does. Picked below Linux's ephemeral range
 * (32768+), where every outgoing connection on this busy machine takes its local port: a port the kernel handed out
 * there is often taken by a client between this check and the server's bind.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canBind(port)) return port;
  }
  throw new Error('could not find a free port between 20000 and 32000 in 50 tries');
}

function canBind(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Absolute path of an executable found on PATH or in the usual Debian places, or undefined. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

export interface ManagedProcess {
  readonly pid: number;
  /** The last lines the process wrote (stdout + stderr), for error messages. */
  output(): string;
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const liveProcesses = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Spawn a long-running binary, keep its recent output, make sure it dies with the test process. */
export function spawnManaged(binary: string, args: string[], opts: { cwd?: string } = {}): ManagedProcess {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const child of liveProcesses) child.kill('SIGKILL');
    });
  }
  const child = spawn(binary, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  liveProcesses.add(child);
  let buffer = '';
  const keep = (chunk: Buffer): void => {
    buffer = (buffer + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitedFlag = false;
  let spawnError: Error | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exitedFlag = true;
      liveProcesses.delete(child);
      resolve();
    });
    child.once('error', (err) => {
      spawnError = err;
      exitedFlag = true;
      liveProcesses.delete(child);
      resolve();
    });
  });
  return {
    pid: child.pid ?? -1,
    output: () => (spawnError ? `${spawnError.message}\n${buffer}` : buffer),
    exited: () => exitedFlag,
    async stop(graceMs = 10_000) {
      if (exitedFlag) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}

/** Poll `url` until it answers 200 or the process exits or `timeoutMs` passes. */
export async function waitForHttpOk(url: string, proc: ManagedProcess, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (proc.exited()) {
      throw new Error(`${what} exited during start-up. Its output:\n${tail(proc.output())}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = errText(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready at ${url} within ${timeoutMs} ms (${last}). Its output:\n${tail(proc.output())}`);
}

export function tail(text: string, lines = 25): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Starts a server binary on a free port and waits for its `/-/ready`. Picking a free port and binding
 * it are two steps, so another process can take it in between: then it tries another port (3 tries).
 * On failure the working directory is removed.
 */
export async function startReadyOnFreePort(
  binary: string,
  dir: string,
  what: string,
  args: (port: number, url: string) => string[],
): Promise<{ proc: ManagedProcess; url: string }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const proc = spawnManaged(binary, args(port, url), { cwd: dir });
    try {
      await waitForHttpOk(`${url}/-/ready`, proc, `${what} (${binary})`, 30_000);
      return { proc, url };
    } catch (err) {
      await proc.stop(2000);
      lastError = err;
      if (/address already in use/i.test(proc.output())) continue;
      break;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
