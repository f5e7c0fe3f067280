import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { loadCatalog, findAlert, catalogJsonSchemaText, type Catalog } from '../../src/runbooks';
import pino from 'pino';
import { runDiagnosis } from '../../src/diagnosis';
import { probeRegistry } from '../../src/probes/registry';

const COMMANDS_DIR = path.join(__dirname, '..', '..', 'commands');

/**
 * Every alert the five seed runbooks name (shared/seeds/README.md). The prose alerts of seeds 001, 002 and 004 are
 * mapped to the names the catalog documents in each YAML header.
 */
const SEED_ALERTS = [
  // 000: memory daemon
  'DaemonNotRunning',
  'QueryLatencyP95High',
  'QueryLatencyP95Critical',
  'StuckDetected',
  'StreamStuckAgent',
  'MemoryUsageHigh',
  'MemoryUsageCritical',
  'PostgreSQLUnreachable',
  'ConnectionPoolExhausted',
  'MemoryDaemonHealthCheckFailed',
  'CPUUsageSustainedHigh',
  'QueueBacklogGrowing',
  'ConnectionPoolNearMax',
  'EmbeddingGenerationSlow',
  'FailedExtractions',
  'DiskSpaceWarning',
  'CacheHitRateDeclining',
  'TableSizeGrowing',
  'LowExtractionRate',
  // 001: "worker down", "watcher heartbeat missing"
  'WorkerDown',
  'WatcherHeartbeatMissing',
  // 002: "service down", "API error rate >5%", ">50% workflows failing", "high response time", "high memory usage"
  'ServiceDown',
  'HighErrorRate',
  'WorkflowFailuresHigh',
  'HighResponseTime',
  'HighMemoryUsage',
  // 003: semantic caching API
  'SemanticPoolNearExhaustion',
  'SemanticHighErrorRate',
  'SemanticHealthCheckFailing',
  'SemanticHighLatency',
  'SemanticPoolUtilizationHigh',
  // 004: "high task processing latency (P95 > 30s)"
  'HighTaskProcessingLatency',
];

/** The P0–P3 tiers seed 000 assigns. */
const SEED_000_SEVERITY: Record<string, string> = {
  DaemonNotRunning: 'P0',
  PostgreSQLUnreachable: 'P0',
  MemoryUsageCritical: 'P0',
  ConnectionPoolExhausted: 'P0',
  MemoryDaemonHealthCheckFailed: 'P1',
  QueryLatencyP95High: 'P1',
  MemoryUsageHigh: 'P1',
  CPUUsageSustainedHigh: 'P1',
  QueueBacklogGrowing: 'P2',
  ConnectionPoolNearMax: 'P2',
  EmbeddingGenerationSlow: 'P2',
  FailedExtractions: 'P2',
  DiskSpaceWarning: 'P3',
  CacheHitRateDeclining: 'P3',
  TableSizeGrowing: 'P3',
  LowExtractionRate: 'P3',
};

describe('the shipped catalog', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await loadCatalog(COMMANDS_DIR, {});
  });

  it('has one runbook per seed', () => {
    expect(catalog.runbooks.map((r) => r.id).sort()).toEqual([
      'cli-orchestrator',
      'memory-daemon',
      'semantic-caching-api',
      'slow-task-processing',
      'worker-crashes',
    ]);
  });

  it.each(SEED_ALERTS)('covers %s with at least one probe that does real work', (name) => {
    const hit = findAlert(catalog, name);
    if (!hit.found) throw new Error(`${name} is not in the catalog (closest: ${hit.suggestions.join(', ')})`);
    const probes = hit.runbook.probes.filter((p) => !hit.alert.probes || hit.alert.probes.includes(p.id));
    expect(probes.length).toBeGreaterThan(0);
    for (const p of probes) {
      expect(Object.keys(probeRegistry)).toContain(p.kind);
      // every probe reads a real target
      const names = p.targetByLabel ? Object.values(p.targetByLabel.targets) : [p.target];
      for (const name of names) expect(name && hit.runbook.targets[name]).toBeTruthy();
    }
  });

  it('keeps seed 000 severities', () => {
    for (const [name, sev] of Object.entries(SEED_000_SEVERITY)) {
      const hit = findAlert(catalog, name);
      expect(hit.found && hit.alert.severity).toBe(sev);
    }
  });

  it('offers each alert only the actions its runbook section names: none for P2/P3 "no immediate action"', async () => {
    const offered = async (name: string) => {
      const hit = findAlert(catalog, name);
      if (!hit.found) throw new Error(`${name} missing`);
      const r = await runDiagnosis({ runbook: hit.runbook, alert: hit.alert, logger: pino({ level: 'silent' }), probeTimeoutMs: 200 });
      return r.remediations.map((x) => x.id);
    };
    for (const name of [
      'QueueBacklogGrowing',
      'ConnectionPoolNearMax',
      'EmbeddingGenerationSlow',
      'FailedExtractions',
      'DiskSpaceWarning',
      'CacheHitRateDeclining',
      'TableSizeGrowing',
      'LowExtractionRate',
    ]) {
      expect([name, await offered(name)]).toEqual([name, []]);
    }
    expect(await offered('DaemonNotRunning')).toEqual(['start-daemon', 'remove-stale-pidfile']);
  });

  it('keys likely causes to probes the alert runs, e.g. slow-queries → missing index', () => {
    const hit = findAlert(catalog, 'QueryLatencyP95High');
    if (!hit.found) throw new Error('missing');
    const cause = hit.runbook.causes.find((c) => c.when.probe === 'slow-queries' && /index/i.test(c.cause));
    expect(cause?.fix).toMatch(/WHERE\/JOIN/);
  });

  it('resolves no address without the environment: every target reports its missing variable', () => {
    const missing = new Set(catalog.runbooks.flatMap((r) => Object.values(r.targets).flatMap((t) => t.missing)));
    expect(missing).toEqual(
      new Set([
        'PROMETHEUS_URL',
        'ALERTMANAGER_URL',
        'MEMORY_DAEMON_URL',
        'MEMORY_DB_URL',
        'MEMORY_REDIS_URL',
        'MEMORY_DAEMON_HOME',
        'MEMORY_DAEMON_REPO',
        'DOCKER_HOST',
        'WORKERS_SHARED_DIR',
        'WORKER_LOG_DIR',
        'WORKER_TMP_DIR',
        'WORKER_METRICS_URL_MARIE',
        'WORKER_METRICS_URL_ANGA',
        'WORKER_METRICS_URL_FABIEN',
        'ORCHESTRATOR_URL',
        'ORCHESTRATOR_DB_URL',
        'ORCHESTRATOR_WORKDIR',
        'SEMANTIC_API_URL',
        'SEMANTIC_LOG_DIR',
        'SEMANTIC_CACHE_DIR',
        'JAEGER_URL',
        'LOKI_URL',
      ]),
    );
  });

  it('ships the JSON Schema generated from the zod schema (run `incident-bot schema > commands/catalog.schema.json`)', async () => {
    const committed = await readFile(path.join(COMMANDS_DIR, 'catalog.schema.json'), 'utf8');
    expect(committed).toBe(catalogJsonSchemaText());
  });
});
