import { prometheusProbe } from '../../src/probes/prometheus';
import { startExporter, startPrometheus, type RunningPrometheus, type TestExporter } from '../support/prometheus';
import { runProbe } from './probe-harness';

let exporter: TestExporter;
let prom: RunningPrometheus;

beforeAll(async () => {
  exporter = await startExporter();
  exporter.setType('stream_active_stuck_agents', 'gauge');
  exporter.set('stream_active_stuck_agents', { agent: 'agent-7' }, 2);
  exporter.set('stream_active_stuck_agents', { agent: 'agent-8' }, 0);
  exporter.setType('stream_events_processed_total', 'counter');
  exporter.set('stream_events_processed_total', {}, 100);
  exporter.setHistogram('memory_query_duration_seconds', {}, { buckets: { '0.1': 10, '0.5': 50, '1': 90, '5': 100 }, sum: 40, count: 100 });
  prom = await startPrometheus({ scrapeTargets: [{ job: 'memory-daemon', target: exporter.hostPort }] });
  await prom.waitForSeries('stream_active_stuck_agents');
}, 60_000);

afterAll(async () => {
  await prom?.stop();
  await exporter?.close();
});

describe('prometheus probe against a real Prometheus', () => {
  it('values per series with their labels, worst series first', async () => {
    const r = await runProbe(
      prometheusProbe,
      { query: 'stream_active_stuck_agents', warn: '> 0', crit: '>= 3' },
      { target: { url: prom.url } },
    );
    expect(r.status).toBe('warn');
    expect(r.summary).toBe('2 series, 1 beyond threshold; highest 2');
    expect(r.figures).toEqual([
      { label: 'stream_active_stuck_agents{agent="agent-7", job="memory-daemon"}', value: 2 },
      { label: 'stream_active_stuck_agents{agent="agent-8", job="memory-daemon"}', value: 0 },
    ]);
    expect(r.evidence.query).toBe('stream_active_stuck_agents');
  });

  it('a label from the command lands in a matcher as an escaped literal', async () => {
    const r = await runProbe(
      prometheusProbe,
      { query: 'stream_active_stuck_agents{agent={{agent}}}', warn: '> 0' },
      { target: { url: prom.url }, labels: { agent: 'agent-8' } },
    );
    expect(r.evidence.query).toBe('stream_active_stuck_agents{agent="agent-8"}');
    expect(r).toMatchObject({ status: 'ok', summary: '0' });
  });

  it('up{job=…} and histogram_quantile', async () => {
    const up = await runProbe(
      prometheusProbe,
      { query: 'up{job="memory-daemon"}', crit: '< 1', whenEmpty: 'crit' },
      { target: { url: prom.url } },
    );
    expect(up).toMatchObject({ status: 'ok', summary: '1' });
    const q = await runProbe(
      prometheusProbe,
      { query: 'histogram_quantile(0.95, sum by (le) (memory_query_duration_seconds_bucket))', unit: 's', warn: '> 0.5', crit: '> 4' },
      { target: { url: prom.url } },
    );
    expect(q.status).toBe('warn');
    // 95th percentile between the 1 s (90) and 5 s (100) buckets: 1 + 4 × 5/10
    expect(q.figures[0]).toEqual({ label: 'value', value: 3, unit: 's' });
  });

  it('no series: the catalog decides (an absent job is critical)', async () => {
    const r = await runProbe(prometheusProbe, { query: 'up{job="nope"}', crit: '< 1', whenEmpty: 'crit' }, { target: { url: prom.url } });
    expect(r).toMatchObject({ status: 'crit', summary: 'no series for up{job="nope"}' });
  });

  it('a rejected query and an unreachable Prometheus are unknown, with the reason', async () => {
    const bad = await runProbe(prometheusProbe, { query: 'rate(up[5m' }, { target: { url: prom.url } });
    expect(bad.status).toBe('unknown');
    expect(bad.summary).toMatch(/^Prometheus rejected the query \(HTTP 400\): .*parse error/);
    const down = await runProbe(prometheusProbe, { query: 'up' }, { target: { url: 'http://127.0.0.1:1' } });
    expect(down).toMatchObject({
      status: 'unknown',
      summary: expect.stringMatching(/^Prometheus unreachable: connection refused after \d+ ms$/),
    });
  });
});
