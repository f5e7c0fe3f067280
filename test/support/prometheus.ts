/**
 * A real Prometheus (Debian package `prometheus`, binary /usr/bin/prometheus) for integration tests, plus a tiny
 * exporter whose exposition the test controls. Install the binary with `bash scripts/start-services.sh`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { findBinary, START_SERVICES_HINT, startReadyOnFreePort, tail } from './services';

export interface StartPrometheusOptions {
  scrapeTargets: { job: string; target: string /* host:port */; metricsPath?: string }[];
  /** scrape_interval and evaluation_interval; default 1 s */
  scrapeIntervalSeconds?: number;
  /** a rules file (YAML: `groups: [...]`) */
  rules?: string;
  /** e.g. http://127.0.0.1:9093 (path prefix honoured) */
  alertmanagerUrl?: string;
  /** extra labels on every series and alert (global.external_labels) */
  externalLabels?: Record<string, string>;
}

export interface PromSample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export interface RunningPrometheus {
  /** base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  stop(): Promise<void>;
  /** polls /api/v1/query until `promql` returns a non-empty result (default timeout 20 s) */
  waitForSeries(promql: string, timeoutMs?: number): Promise<void>;
  /** one instant query; throws on an API error */
  query(promql: string): Promise<PromSample[]>;
  /** the process's recent log output */
  logs(): string;
}

export const PROMETHEUS_BINARY_NAME = 'prometheus';

export function prometheusBinary(): string {
  const bin = process.env.TEST_PROMETHEUS_BIN ?? findBinary(PROMETHEUS_BINARY_NAME);
  if (!bin) {
    throw new Error(`The Prometheus binary (${PROMETHEUS_BINARY_NAME}) is not installed: ${START_SERVICES_HINT}`);
  }
  return bin;
}

function alertmanagerTarget(url: string): Record<string, unknown> {
  const u = new URL(url);
  const cfg: Record<string, unknown> = {
    scheme: u.protocol.replace(':', ''),
    api_version: 'v2',
    static_configs: [{ targets: [u.host] }],
  };
  if (u.pathname && u.pathname !== '/') cfg.path_prefix = u.pathname.replace(/\/$/, '');
  return cfg;
}

export async function startPrometheus(opts: StartPrometheusOptions): Promise<RunningPrometheus> {
  const bin = prometheusBinary();
  const interval = `${opts.scrapeIntervalSeconds ?? 1}s`;
  const dir = await mkdtemp(join(tmpdir(), 'incident-bot-prometheus-'));

  const jobs = new Map<string, { targets: string[]; metricsPath: string }>();
  for (const t of opts.scrapeTargets) {
    const key = `${t.job}\u0000${t.metricsPath ?? '/metrics'}`;
    const entry = jobs.get(key) ?? { targets: [], metricsPath: t.metricsPath ?? '/metrics' };
    entry.targets.push(t.target);
    jobs.set(key, entry);
  }
  const usedJobNames = new Set<string>();
  const scrapeConfigs = [...jobs.entries()].map(([key, { targets, metricsPath }]) => {
    let jobName = key.split('\u0000')[0] ?? 'job';
    // two entries with the same job but different paths need distinct job_names; keep the `job` label as given
    const base = jobName;
    let n = 2;
    while (usedJobNames.has(jobName)) jobName = `${base}_${n++}`;
    usedJobNames.add(jobName);
    return {
      job_name: jobName,
      metrics_path: metricsPath,
      scrape_interval: interval,
      scrape_timeout: interval,
      static_configs: [{ targets, labels: jobName === base ? undefined : { job: base } }],
    };
  });

  const config: Record<string, unknown> = {
    global: {
      scrape_interval: interval,
      scrape_timeout: interval,
      evaluation_interval: interval,
      ...(opts.externalLabels ? { external_labels: opts.externalLabels } : {}),
    },
    scrape_configs: scrapeConfigs,
  };
  if (opts.rules !== undefined) {
    await writeFile(join(dir, 'rules.yml'), opts.rules);
    config.rule_files = [join(dir, 'rules.yml')];
  }
  if (opts.alertmanagerUrl) {
    config.alerting = { alertmanagers: [alertmanagerTarget(opts.alertmanagerUrl)] };
  }
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, stringify(config));

  const { proc, url } = await startReadyOnFreePort(bin, dir, 'Prometheus', (port) => [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-lifecycle',
    '--storage.tsdb.retention.time=1h',
    '--log.level=warn',
  ]);

  const query = async (promql: string): Promise<PromSample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`, {
      signal: AbortSignal.timeout(5000),
    });
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: unknown };
    };
    if (body.status !== 'success') throw new Error(`Prometheus query ${promql} failed: ${body.error ?? res.status}`);
    const result = body.data?.result;
    if (Array.isArray(result)) return result as PromSample[];
    if (result === undefined || result === null) return [];
    // scalar / string results: [time, value]
    return [{ metric: {}, value: result as [number, string] }];
  };

  let stopped = false;
  return {
    url,
    logs: () => proc.output(),
    query,
    async waitForSeries(promql: string, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last = 'no answer yet';
      while (Date.now() < deadline) {
        if (proc.exited()) throw new Error(`Prometheus exited. Its output:\n${tail(proc.output())}`);
        try {
          const result = await query(promql);
          if (result.length > 0) return;
          last = 'empty result';
        } catch (err) {
          last = err instanceof Error ? err.message : String(err);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      let targets = '';
      try {
        const res = await fetch(`${url}/api/v1/targets`, { signal: AbortSignal.timeout(2000) });
        targets = JSON.stringify(((await res.json()) as { data?: { activeTargets?: unknown[] } }).data?.activeTargets ?? []);
      } catch {
        // best effort diagnostics
      }
      throw new Error(`Prometheus query ${promql} still had no result after ${timeoutMs} ms (${last}). Targets: ${targets}`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A tiny exporter: serves Prometheus text format with whatever the test set.
// ---------------------------------------------------------------------------------------------------------------

export type MetricType = 'gauge' | 'counter' | 'histogram' | 'summary' | 'untyped';

export interface TestExporter {
  /** http://127.0.0.1:PORT/metrics */
  url: string;
  /** 127.0.0.1:PORT — a Prometheus scrape target */
  hostPort: string;
  /** set one sample (a gauge or counter value); replaces an earlier value with the same labels */
  set(metric: string, labels: Record<string, string>, value: number): void;
  /** declare a metric's TYPE (and optional HELP) line */
  setType(metric: string, type: MetricType, help?: string): void;
  /**
   * a histogram: `buckets` maps upper bound (le) to the CUMULATIVE count; `+Inf` is added from `count` when absent.
   */
  setHistogram(
    metric: string,
    labels: Record<string, string>,
    histogram: { buckets: Record<string, number>; sum: number; count: number },
  ): void;
  /** remove one sample (labels given) or every sample of the metric */
  remove(metric: string, labels?: Record<string, string>): void;
  /** raw exposition lines served verbatim after the structured samples (replaces earlier raw text) */
  setRaw(lines: string): void;
  /** the exposition currently served */
  render(): string;
  /** how many times /metrics was fetched */
  scrapeCount(): number;
  close(): Promise<void>;
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabelValue(labels[k] ?? '')}"`)
    .join(',');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export async function startExporter(): Promise<TestExporter> {
  const types = new Map<string, { type: MetricType; help?: string }>();
  // metric family -> labelKey -> lines
  const families = new Map<string, Map<string, string[]>>();
  let raw = '';
  let scrapes = 0;

  const family = (metric: string): Map<string, string[]> => {
    let f = families.get(metric);
    if (!f) {
      f = new Map();
      families.set(metric, f);
    }
    return f;
  };

  const render = (): string => {
    const out: string[] = [];
    const names = new Set([...types.keys(), ...families.keys()]);
    for (const name of names) {
      const t = types.get(name);
      if (t?.help !== undefined) out.push(`# HELP ${name} ${t.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
      if (t) out.push(`# TYPE ${name} ${t.type}`);
      for (const lines of families.get(name)?.values() ?? []) out.push(...lines);
    }
    let text = out.join('\n');
    if (text) text += '\n';
    if (raw) text += raw.endsWith('\n') ? raw : `${raw}\n`;
    return text;
  };

  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/metrics') {
      scrapes++;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(render());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const hostPort = `127.0.0.1:${port}`;

  return {
    url: `http://${hostPort}/metrics`,
    hostPort,
    set(metric, labels, value) {
      const key = labelKey(labels);
      family(metric).set(key, [`${metric}${key ? `{${key}}` : ''} ${formatValue(value)}`]);
    },
    setType(metric, type, help) {
      types.set(metric, { type, help });
    },
    setHistogram(metric, labels, h) {
      if (!types.has(metric)) types.set(metric, { type: 'histogram' });
      const base = labelKey(labels);
      const withLe = (le: string): string => {
        const extra = `le="${le}"`;
        return base ? `${base},${extra}` : extra;
      };
      const bounds = Object.entries(h.buckets)
        .map(([le, c]) => [le === '+Inf' ? Infinity : Number(le), c] as const)
        .sort((a, b) => a[0] - b[0]);
      const lines = bounds.map(([le, c]) => `${metric}_bucket{${withLe(formatValue(le))}} ${formatValue(c)}`);
      if (!bounds.some(([le]) => le === Infinity)) lines.push(`${metric}_bucket{${withLe('+Inf')}} ${formatValue(h.count)}`);
      const suffix = base ? `{${base}}` : '';
      lines.push(`${metric}_sum${suffix} ${formatValue(h.sum)}`, `${metric}_count${suffix} ${formatValue(h.count)}`);
      family(metric).set(base, lines);
    },
    remove(metric, labels) {
      if (!labels) {
        families.delete(metric);
        types.delete(metric);
        return;
      }
      families.get(metric)?.delete(labelKey(labels));
    },
    setRaw(lines) {
      raw = lines;
    },
    render,
    scrapeCount: () => scrapes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
