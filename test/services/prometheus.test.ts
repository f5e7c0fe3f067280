import { startExporter, startPrometheus, type RunningPrometheus, type TestExporter } from '../support/prometheus';

jest.setTimeout(60_000);

describe('real Prometheus scraping the test exporter', () => {
  let exporter: TestExporter;
  let prom: RunningPrometheus;

  beforeAll(async () => {
    exporter = await startExporter();
    exporter.setType('worker_heartbeat_age_seconds', 'gauge', 'Seconds since the last heartbeat');
    exporter.set('worker_heartbeat_age_seconds', { worker: 'worker-1' }, 12.5);
    exporter.set('worker_heartbeat_age_seconds', { worker: 'worker-2' }, 3);
    exporter.setType('tasks_failed_total', 'counter');
    exporter.set('tasks_failed_total', { queue: 'default' }, 7);
    exporter.setHistogram(
      'task_duration_seconds',
      { queue: 'default' },
      { buckets: { '1': 10, '5': 40, '30': 90, '60': 100 }, sum: 1500, count: 100 },
    );
    exporter.setRaw('# TYPE raw_metric gauge\nraw_metric{kind="raw"} 42\n');
    prom = await startPrometheus({
      scrapeTargets: [{ job: 'worker', target: exporter.hostPort }],
      rules: [
        'groups:',
        '  - name: test',
        '    rules:',
        '      - record: job:task_duration_seconds:p95',
        '        expr: histogram_quantile(0.95, sum by (le) (rate(task_duration_seconds_bucket[1m])))',
        '      - alert: HeartbeatStale',
        '        expr: worker_heartbeat_age_seconds > 10',
        '        labels: { severity: critical }',
      ].join('\n'),
    });
  });

  afterAll(async () => {
    await prom?.stop();
    await exporter?.close();
  });

  it('serves the text format the test set', () => {
    const text = exporter.render();
    expect(text).toContain('# TYPE worker_heartbeat_age_seconds gauge');
    expect(text).toContain('worker_heartbeat_age_seconds{worker="worker-1"} 12.5');
    expect(text).toContain('task_duration_seconds_bucket{queue="default",le="+Inf"} 100');
    expect(text).toContain('raw_metric{kind="raw"} 42');
  });

  it('scrapes the exporter and a PromQL query returns the value set', async () => {
    await prom.waitForSeries('worker_heartbeat_age_seconds{worker="worker-1"}');
    const [sample] = await prom.query('worker_heartbeat_age_seconds{worker="worker-1"}');
    expect(sample?.value?.[1]).toBe('12.5');
    expect(sample?.metric).toMatchObject({ job: 'worker', instance: exporter.hostPort, worker: 'worker-1' });
    expect(exporter.scrapeCount()).toBeGreaterThan(0);

    const counter = await prom.query('tasks_failed_total');
    expect(counter[0]?.value?.[1]).toBe('7');
    const raw = await prom.query('raw_metric');
    expect(raw[0]?.value?.[1]).toBe('42');
    const buckets = await prom.query('task_duration_seconds_bucket');
    expect(buckets).toHaveLength(5);
  });

  it('sees a changed value on the next scrape (1 s interval)', async () => {
    exporter.set('worker_heartbeat_age_seconds', { worker: 'worker-2' }, 99);
    await prom.waitForSeries('worker_heartbeat_age_seconds{worker="worker-2"} == 99', 10_000);
  });

  it('evaluates rules: the alert fires', async () => {
    await prom.waitForSeries('ALERTS{alertname="HeartbeatStale",alertstate="firing",worker="worker-1"}', 15_000);
  });

  it('waitForSeries fails with a useful message', async () => {
    await expect(prom.waitForSeries('does_not_exist', 1500)).rejects.toThrow(/no result after 1500 ms/);
  });
});
