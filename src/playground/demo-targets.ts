import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * What the playground's diagnoses look at: one small HTTP service standing in for the catalog's HTTP targets (the
 * memory daemon, the semantic-caching API, the orchestrator, a worker's metrics, Jaeger and Loki, each under its
 * own path prefix) and a folder of files (PID file, logs, heartbeats, a task queue with stuck tasks, stale locks).
 * Their values drift from healthy into the runbooks' alert states over `driftMinutes`, so a diagnosis run a few
 * minutes after start shows warnings turning critical. Prometheus, Alertmanager, Docker, PostgreSQL and Redis
 * targets are left unset: their probes answer "not configured: set …".
 *
 * @example
 *   const demo = await startDemoTargets({ dir: './data/playground/demo' });
 *   const app = await createApp(config, { env: demo.env });
 *   …
 *   await demo.stop();
 */
export interface DemoTargetsOptions {
  /** Where the demo files are (re)created. */
  dir: string;
  /** Minutes from healthy to fully degraded (default 4). */
  driftMinutes?: number;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
  host?: string;
}

export interface DemoTargets {
  /** The catalog's `${ENV}` variables pointing at the demo targets. */
  env: Record<string, string>;
  /** Variables the playground deliberately leaves unset (their probes say "not configured"). */
  unset: string[];
  url: string;
  /** 0 (healthy) … 1 (every drifting value in its alert state). */
  level(): number;
  stop(): Promise<void>;
}

export const DEMO_WORKERS = ['worker-1', 'worker-2', 'worker-7'] as const;
/** The worker whose heartbeat stops and whose tasks are stuck. */
export const STUCK_WORKER = 'worker-7';

const UNSET = [
  'PROMETHEUS_URL',
  'ALERTMANAGER_URL',
  'DOCKER_HOST',
  'MEMORY_DB_URL',
  'MEMORY_REDIS_URL',
  'ORCHESTRATOR_DB_URL',
  'MEMORY_DAEMON_REPO',
  'WORKER_TMP_DIR',
];

export async function startDemoTargets(opts: DemoTargetsOptions): Promise<DemoTargets> {
  const now = opts.now ?? Date.now;
  const started = now();
  const driftMs = (opts.driftMinutes ?? 4) * 60_000;
  const level = (): number => Math.min(1, Math.max(0, (now() - started) / driftMs));
  const dir = path.resolve(opts.dir);

  await rm(dir, { recursive: true, force: true });
  const files = await seedFiles(dir, now());

  const counters = { ok: 0, failed: 0, tasksFailed: 0 };
  const server = createServer((req, res) => {
    handle(req, res, level(), counters).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`demo target error: ${err.message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  // Healthy workers keep writing heartbeats; worker-7's stopped before the playground started. The daemon log
  // gets a line every 10 s, more of them errors as things drift.
  let tick = 0;
  const timer = setInterval(() => {
    tick += 1;
    const t = new Date(now()).toISOString();
    const writes: Promise<unknown>[] = [];
    for (const w of DEMO_WORKERS) {
      if (w !== STUCK_WORKER)
        writes.push(
          writeFile(path.join(files.shared, 'workers', w, 'heartbeat.json'), JSON.stringify({ worker: w, timestamp: t, status: 'idle' })),
        );
    }
    if (tick % 2 === 0) {
      const l = level();
      const line =
        l > 0.5 && tick % 4 === 0
          ? `${t} ERROR memory_daemon: extraction failed: connection to server at "postgres" (5432) timed out\n`
          : `${t} INFO memory_daemon: extracted ${Math.round(20 * (1 - l))} memories\n`;
      writes.push(appendFile(path.join(files.home, 'memory-daemon.log'), line));
    }
    Promise.all(writes).catch(() => undefined);
  }, 5_000);
  timer.unref();

  return {
    env: {
      MEMORY_DAEMON_URL: `${url}/memory-daemon`,
      MEMORY_DAEMON_HOME: files.home,
      SEMANTIC_API_URL: `${url}/semantic-api`,
      SEMANTIC_LOG_DIR: files.semanticLogs,
      SEMANTIC_CACHE_DIR: files.semanticCache,
      ORCHESTRATOR_URL: `${url}/orchestrator`,
      ORCHESTRATOR_WORKDIR: files.workdir,
      WORKERS_SHARED_DIR: files.shared,
      WORKER_LOG_DIR: files.workerLogs,
      WORKER_NAMES: DEMO_WORKERS.join(','),
      // one demo endpoint stands in for every worker's own port
      WORKER_METRICS_URL_MARIE: `${url}/worker-metrics`,
      WORKER_METRICS_URL_ANGA: `${url}/worker-metrics`,
      WORKER_METRICS_URL_FABIEN: `${url}/worker-metrics`,
      JAEGER_URL: `${url}/jaeger`,
      LOKI_URL: `${url}/loki`,
    },
    unset: [...UNSET],
    url,
    level,
    async stop() {
      clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, level: number, counters: DemoCounters): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://demo');
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const text = (body: string) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(body);
  };
  const p = url.pathname;

  switch (p) {
    // The memory daemon answers slower and slower, then fails its health check.
    case '/memory-daemon/health':
      await sleep(Math.round(1500 * level));
      return level < 0.75
        ? json(200, { status: 'healthy', uptime_seconds: 3600 })
        : json(503, { status: 'unhealthy', reason: 'database connection lost' });

    // The semantic-caching API's pool fills up: 0.55 → 0.97.
    case '/semantic-api/health/live':
      return json(200, { status: 'alive' });
    case '/semantic-api/health/startup':
      return json(200, { status: 'started' });
    case '/semantic-api/health/ready': {
      const pool = poolUtilization(level);
      return json(pool > 0.9 ? 503 : 200, { status: pool > 0.9 ? 'not_ready' : 'ready', pool_utilization: pool });
    }
    case '/semantic-api/metrics':
      return text(semanticApiMetrics(level, counters));

    // The orchestrator gets slow: 50 ms → 1.3 s.
    case '/orchestrator/health':
      await sleep(Math.round(50 + 1250 * level));
      return json(200, { status: 'ok' });

    // A worker's metrics: tasks pile up and fail.
    case '/worker-metrics/metrics':
      return text(workerMetrics(level, counters));

    // Jaeger's slow traces and Loki's error streams: more of them as things drift.
    case '/jaeger/api/traces':
      return json(200, {
        data: Array.from({ length: Math.round(12 * level) }, (_, i) => ({ traceID: `demo${i.toString(16).padStart(12, '0')}`, spans: [] })),
      });
    case '/loki/loki/api/v1/query':
      return json(200, {
        status: 'success',
        data: {
          resultType: 'vector',
          result: Array.from({ length: Math.round(4 * level) }, (_, i) => ({
            metric: { job: 'agent-orchestrator', worker: `worker-${i + 1}` },
            value: [0, '3'],
          })),
        },
      });
    default:
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
  }
}

type DemoCounters = { ok: number; failed: number; tasksFailed: number };

/** The semantic-caching API's Prometheus metrics: its pool fills up and more requests fail. */
function semanticApiMetrics(level: number, counters: DemoCounters): string {
  counters.ok += 40;
  counters.failed += Math.round(12 * level);
  return [
    '# TYPE semantic_pool_utilization_ratio gauge',
    `semantic_pool_utilization_ratio{pool="agents"} ${poolUtilization(level)}`,
    '# TYPE semantic_agents_active gauge',
    `semantic_agents_active ${Math.round(12 + 30 * level)}`,
    '# TYPE semantic_request_total counter',
    `semantic_request_total{status_code="200"} ${counters.ok}`,
    `semantic_request_total{status_code="503"} ${counters.failed}`,
    '',
  ].join('\n');
}

/** A worker's Prometheus metrics: worker-7's tasks pile up and fail. */
function workerMetrics(level: number, counters: DemoCounters): string {
  counters.tasksFailed += Math.round(3 * level);
  return [
    '# TYPE active_tasks gauge',
    ...['worker-1', 'worker-2'].map((w) => `active_tasks{worker="${w}"} 2`),
    `active_tasks{worker="worker-7"} ${Math.round(3 + 5 * level)}`,
    '# TYPE task_failed_total counter',
    `task_failed_total{worker="worker-7"} ${counters.tasksFailed}`,
    '',
  ].join('\n');
}

function poolUtilization(level: number): number {
  return Math.round((0.55 + 0.42 * level) * 100) / 100;
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

/** A PID no process has: one of a child that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid ?? 999_999;
}

async function seedFiles(dir: string, nowMs: number) {
  const home = path.join(dir, 'memory-daemon-home');
  const shared = path.join(dir, 'shared');
  const workerLogs = path.join(dir, 'worker-logs');
  const semanticLogs = path.join(dir, 'semantic-logs');
  const semanticCache = path.join(dir, 'semantic-cache');
  const workdir = path.join(dir, 'orchestrator');
  const minutesAgo = (m: number) => new Date(nowMs - m * 60_000);

  for (const d of [home, workerLogs, semanticLogs, semanticCache, path.join(workdir, 'logs'), path.join(shared, 'locks')]) {
    await mkdir(d, { recursive: true });
  }
  await seedMemoryDaemon(home, minutesAgo);
  for (const w of ['worker-1', 'worker-2', 'worker-7']) await seedWorker({ shared, workerLogs }, w, minutesAgo);
  await seedSemanticApi({ semanticLogs, semanticCache }, minutesAgo);
  await seedOrchestrator(workdir, minutesAgo);
  return { home, shared, workerLogs, semanticLogs, semanticCache, workdir };
}

type MinutesAgo = (m: number) => Date;

/** The memory daemon: a PID file left behind by a process that is gone, and a log with a schema mismatch. */
async function seedMemoryDaemon(home: string, minutesAgo: MinutesAgo): Promise<void> {
  const iso = (m: number) => minutesAgo(m).toISOString();
  await writeFile(path.join(home, 'memory-daemon.pid'), `${deadPid()}\n`);
  await writeFile(
    path.join(home, 'memory-daemon.log'),
    [
      `${iso(30)} INFO memory_daemon: started (pid file memory-daemon.pid)`,
      `${iso(20)} INFO memory_daemon: extracted 18 memories`,
      `${iso(12)} ERROR memory_daemon: column "embedding_v2" does not exist (schema mismatch: run the migrations)`,
      `${iso(11)} WARNING memory_daemon: retrying extraction in 30 s`,
      `${iso(10)} ERROR memory_daemon: extraction failed: column "embedding_v2" does not exist`,
      '',
    ].join('\n'),
  );
}

/** A worker's heartbeat, task folders, locks and log. worker-7 is the stuck one. */
async function seedWorker(dirs: { shared: string; workerLogs: string }, w: string, minutesAgo: MinutesAgo): Promise<void> {
  const { shared } = dirs;
  const iso = (m: number) => minutesAgo(m).toISOString();
  const stuck = w === STUCK_WORKER;
  await mkdir(path.join(shared, 'workers', w), { recursive: true });
  await writeFile(
    path.join(shared, 'workers', w, 'heartbeat.json'),
    JSON.stringify({ worker: w, timestamp: stuck ? iso(0.75) : iso(0), status: stuck ? 'busy' : 'idle' }),
  );
  for (const state of ['pending', 'active', 'completed', 'failed']) await mkdir(path.join(shared, 'tasks', w, state), { recursive: true });
  for (let i = 0; i < (stuck ? 6 : 1); i++)
    await writeFile(path.join(shared, 'tasks', w, 'pending', `task-${w}-${100 + i}.json`), JSON.stringify({ id: `task-${100 + i}` }));
  for (let i = 0; i < 12; i++)
    await writeFile(path.join(shared, 'tasks', w, 'completed', `task-${w}-${i}.json`), JSON.stringify({ id: `task-${i}` }));
  const activeIds = stuck ? [42, 43, 44] : [99];
  for (const id of activeIds) {
    const file = path.join(shared, 'tasks', w, 'active', `task-${w}-${id}.json`);
    await writeFile(file, JSON.stringify({ id: `task-${id}`, started_at: iso(stuck ? 25 : 1) }));
    const at = minutesAgo(stuck ? 25 : 1);
    await utimes(file, at, at);
  }
  if (stuck) {
    await writeFile(
      path.join(shared, 'tasks', w, 'failed', `task-${w}-17.json`),
      JSON.stringify({ id: 'task-17', error: 'claude: timeout after 300 s' }),
    );
    const lock = path.join(shared, 'locks', `${w}_task-42.lock`);
    await writeFile(lock, '');
    await utimes(lock, minutesAgo(24), minutesAgo(24));
  }
  await writeFile(
    path.join(dirs.workerLogs, `${w}.log`),
    stuck
      ? [
          `${iso(26)} INFO watcher: picked up task-42`,
          `${iso(25)} ERROR worker: claude process hung (no output for 300 s) task=task-42`,
          `${iso(24)} ERROR worker: BrokenPipeError: [Errno 32] Broken pipe (/shared/pipes/${w})`,
          `${iso(20)} WARNING watcher: lock ${w}_task-42.lock still held`,
          '',
        ].join('\n')
      : `${iso(2)} INFO watcher: task-99 done in 4.1 s\n`,
  );
}

/** The semantic-caching API's JSON log, with a few errors; its cache directory. */
async function seedSemanticApi(dirs: { semanticLogs: string; semanticCache: string }, minutesAgo: MinutesAgo): Promise<void> {
  const iso = (m: number) => minutesAgo(m).toISOString();
  await writeFile(
    path.join(dirs.semanticLogs, 'app.log'),
    [
      { ts: iso(15), level: 'info', msg: 'request served', status: 200 },
      { ts: iso(9), level: 'error', msg: 'pool exhausted: timed out waiting for a connection', status: 503 },
      { ts: iso(8), level: 'warning', msg: 'agent cache miss storm' },
      { ts: iso(5), level: 'error', msg: 'pool exhausted: timed out waiting for a connection', status: 503 },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n') + '\n',
  );
  await writeFile(path.join(dirs.semanticCache, 'agents.idx'), 'demo\n');
}

/** The orchestrator's logs. */
async function seedOrchestrator(workdir: string, minutesAgo: MinutesAgo): Promise<void> {
  const iso = (m: number) => minutesAgo(m).toISOString();
  await writeFile(
    path.join(workdir, 'logs', 'cli-orchestrator.log'),
    [
      `${iso(14)} INFO workflow started id=wf-311`,
      `${iso(13)} ERROR workflow_execution_failed id=wf-311 step=review reason=timeout`,
      '',
    ].join('\n'),
  );
  await writeFile(
    path.join(workdir, 'logs', 'access.log'),
    [
      `127.0.0.1 - - "GET /health HTTP/1.1" 200 12`,
      `127.0.0.1 - - "POST /workflows HTTP/1.1" 502 0`,
      `127.0.0.1 - - "POST /workflows HTTP/1.1" 200 311`,
      '',
    ].join('\n'),
  );
}
