import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Redis from 'ioredis';
import pino from 'pino';
import { main } from '../../src/cli';
import { runDiagnosis } from '../../src/diagnosis';
import { findAlert, loadCatalog } from '../../src/runbooks';
import { validateBlocks } from '../../src/emulator/block-kit-limits';
import { renderDiagnosisBlocks } from '../../src/slack/blocks/diagnosis-blocks';
import { startExporter, startPrometheus, type RunningPrometheus, type TestExporter } from '../support/prometheus';
import { REDIS_URL, requireRedis } from '../support/services';

/** The shipped catalog's StuckDetected entry, end to end against a real Prometheus and a real Redis. */
const COMMANDS_DIR = path.join(__dirname, '..', '..', 'commands');
const AGENT = `ibt-agent-${randomBytes(4).toString('hex')}`;
let exporter: TestExporter;
let prom: RunningPrometheus;
let redis: Redis;

beforeAll(async () => {
  await requireRedis();
  redis = new Redis(REDIS_URL);
  for (let i = 0; i < 3; i++) await redis.xadd(`agent:${AGENT}:events`, '*', 'tool', `t${i}`);
  await redis.set(`stream:stuck:${AGENT}`, '2');

  exporter = await startExporter();
  exporter.set('stream_active_monitors', {}, 1);
  exporter.set('stream_active_stuck_agents', { agent: AGENT }, 1);
  exporter.setType('stream_stuck_detections_total', 'counter');
  exporter.set('stream_stuck_detections_total', {}, 4);
  exporter.setType('stream_events_processed_total', 'counter');
  exporter.set('stream_events_processed_total', {}, 1000); // flat: no events processed
  prom = await startPrometheus({ scrapeTargets: [{ job: 'memory-daemon', target: exporter.hostPort }] });
  await prom.waitForSeries('rate(stream_events_processed_total[5m])');
}, 60_000);

afterAll(async () => {
  await redis?.del(`agent:${AGENT}:events`, `stream:stuck:${AGENT}`);
  redis?.disconnect();
  await prom?.stop();
  await exporter?.close();
});

describe('StuckDetected from the shipped catalog, against real targets', () => {
  const env = () => ({ PROMETHEUS_URL: prom.url, MEMORY_REDIS_URL: REDIS_URL });

  it('every probe reports a real result; causes follow the outcomes', async () => {
    const catalog = await loadCatalog(COMMANDS_DIR, env());
    const hit = findAlert(catalog, 'stuckdetected');
    if (!hit.found) throw new Error('StuckDetected missing from the catalog');
    const r = await runDiagnosis({ runbook: hit.runbook, alert: hit.alert, labels: { agent: AGENT }, logger: pino({ level: 'silent' }) });
    const by = Object.fromEntries(r.probes.map((p) => [p.id, p]));
    expect(Object.keys(by).sort()).toEqual([
      'agent-stream',
      'agent-streams',
      'redis-health',
      'stream-event-rate',
      'stream-monitors',
      'stuck-agents',
      'stuck-detections',
      'stuck-recoveries',
    ]);
    for (const p of r.probes) expect(p.summary).not.toMatch(/not configured|probe error|skipped/);
    expect(by['stream-monitors']?.status).toBe('ok');
    expect(by['stuck-agents']).toMatchObject({
      status: 'warn',
      figures: [{ label: `stream_active_stuck_agents{agent="${AGENT}", job="memory-daemon"}`, value: 1 }],
    });
    expect(by['stream-event-rate']).toMatchObject({ status: 'crit', summary: '0 /s (<= 0)' });
    expect(by['redis-health']?.status).toBe('ok');
    expect(by['agent-stream']).toMatchObject({ status: 'warn', summary: `1 counter set: stream:stuck:${AGENT}=2` });
    expect(by['agent-stream']?.figures).toContainEqual({ label: `agent:${AGENT}:events`, value: 3 });
    expect(r.status).toBe('crit');
    expect(r.causes.map((c) => c.cause)).toEqual(['No stream events processed', 'Agent stuck with state left in Redis']);
    expect(r.remediations.map((m) => m.id)).toEqual(['restart-daemon', 'clear-agent-stream']);

    const { blocks } = renderDiagnosisBlocks(r);
    expect(validateBlocks(blocks)).toEqual([]);
  });

  it('the same engine from the terminal: `incident-bot diagnose StuckDetected agent=…` exits 1 on crit', async () => {
    let out = '';
    const code = await main(
      ['diagnose', 'StuckDetected', `agent=${AGENT}`],
      { COMMANDS_DIR, ...env() },
      { stdout: (t) => (out += t), stderr: () => undefined },
    );
    expect(code).toBe(1);
    expect(out).toContain(`StuckDetected (P1) — Memory daemon (PostgreSQL + Redis)  [agent=${AGENT}]`);
    expect(out).toMatch(/CRIT {2}Stream events processed per second \[prometheus, \d+ ms\]: 0 \/s \(<= 0\)/);
    expect(out).toContain(`WARN  This agent's stream and stuck counter [redis`);
  });
});
