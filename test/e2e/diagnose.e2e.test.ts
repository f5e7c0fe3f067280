import Redis from 'ioredis';
import type { SlackEmulator, RecordedCall } from '../../src/emulator/slack-emulator';
import { startBotHarness, type BotHarness } from '../support/bot-harness';
import type { BotProcess } from '../support/bot-process';
import { startExporter, startPrometheus, type RunningPrometheus, type TestExporter } from '../support/prometheus';
import { requireRedis } from '../support/services';

// A Redis database of its own: the runbook's agent-streams probe SCANs the whole keyspace.
const TARGET_REDIS = 'redis://127.0.0.1:6379/9';
const WEBHOOK_TOKEN = 'e2e-diagnose-webhook-token';

/** `/incident diagnose StuckDetected` through the signed HTTP path, against real Prometheus and Redis. */
describe('/incident diagnose StuckDetected end to end', () => {
  let h: BotHarness;
  let slack: SlackEmulator;
  let bot: BotProcess;
  let exporter: TestExporter;
  let prometheus: RunningPrometheus;
  let redis: Redis;

  beforeAll(async () => {
    await requireRedis();
    redis = new Redis(TARGET_REDIS);
    await redis.flushdb();
    await redis.xadd('agent:agent-7:events', '*', 'type', 'tool_call');
    await redis.xadd('agent:agent-7:events', '*', 'type', 'tool_call');
    await redis.set('stream:stuck:agent-7', '3');

    exporter = await startExporter();
    exporter.set('stream_active_monitors', {}, 1);
    exporter.set('stream_active_stuck_agents', {}, 2);
    exporter.setType('stream_stuck_detections_total', 'counter');
    exporter.set('stream_stuck_detections_total', {}, 4);
    exporter.setType('stream_events_processed_total', 'counter');
    exporter.set('stream_events_processed_total', {}, 100);
    prometheus = await startPrometheus({ scrapeTargets: [{ job: 'memory-daemon', target: exporter.hostPort }] });
    await prometheus.waitForSeries('stream_active_stuck_agents');

    h = await startBotHarness({
      name: 'e2e_diagnose',
      env: {
        // The bot's own Redis is not given; the runbook's probes read TARGET_REDIS.
        REDIS_URL: undefined,
        PROMETHEUS_URL: prometheus.url,
        MEMORY_REDIS_URL: TARGET_REDIS,
        ALERTMANAGER_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
        ALERTMANAGER_ROUTES: JSON.stringify([{ channel: 'C0WEBHOOKDIAG' }]),
      },
    });
    ({ slack, bot } = h);
  }, 90_000);

  afterAll(async () => {
    await h?.stop();
    await prometheus?.stop();
    await exporter?.close();
    await redis?.flushdb();
    redis?.disconnect();
  });

  it('posts at once, then shows every probe of the runbook with real figures, causes, steps and buttons', async () => {
    const res = await h.command('diagnose stuckdetected agent=agent-7', { channel: 'C0INCIDENTS' });
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(3000);

    const first = await slack.waitForCall('chat.postMessage', (c) => c.args.channel === 'C0INCIDENTS', 5_000);
    expect(String(first.args.text)).toMatch(/Diagnosing.*StuckDetected/);
    const final = await slack.waitForCall('chat.update', (c) => isFinal(c), 20_000);
    const text = blockText(final);

    for (const probe of [
      'Active stream monitors',
      'Stuck agents (stream monitor)',
      'Stuck detections in the last hour',
      'Stream events processed per second',
      'Redis ping and memory',
      "This agent's stream and stuck counter",
    ]) {
      expect(text).toContain(probe);
    }
    // Figures are the real ones: Prometheus scraped 2 stuck agents (warn above 0), Redis holds the counter 3.
    expect(text).toContain(':large_yellow_circle: *Stuck agents (stream monitor)* — 2 (&gt; 0)');
    expect(text).toContain(':large_green_circle: *Active stream monitors* — 1');
    expect(text).toContain("*This agent's stream and stuck counter* — 1 counter set: stream:stuck:agent-7=3");
    expect(text).toContain('agent:agent-7:events: 2');
    expect(text).toContain('Manual steps');
    expect(final.args.blocks).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'actions' })]));
    const buttons = JSON.stringify(final.args.blocks);
    expect(buttons).toContain('remediation_request');
    expect(buttons).toContain('diagnose_again');
    expect(slack.unknownMethods).toEqual([]);
    // The message as people see it in the channel is the final one.
    const postedTs = (first.response as { ts: string }).ts;
    const shown = slack.messages('C0INCIDENTS').find((m) => m.ts === postedTs);
    expect(JSON.stringify(shown?.blocks)).toContain("This agent's stream and stuck counter");
  }, 30_000);

  it('diagnoses an alert the catalog marks autoDiagnose by itself, once, in the alert thread', async () => {
    const run = Date.now().toString(36).toUpperCase();
    const ts = `${Math.floor(Date.now() / 1000)}.000200`;
    const envelope = {
      event_id: `EvAUTO${run}`,
      event: {
        type: 'message',
        subtype: 'bot_message',
        text: '',
        username: 'Alertmanager',
        bot_id: 'B0ALERTMGR',
        attachments: [
          {
            title: '[FIRING:1] StuckDetected (prod agent-7 critical)',
            text: '*Details:*\n  • *alertname:* `StuckDetected`\n  • *agent:* `agent-7`\n  • *severity:* `critical`\n',
          },
        ],
        ts,
        channel: 'C0AUTODIAG',
        event_ts: ts,
      },
    };
    await h.sendEvent(envelope);
    await h.sendEvent(envelope, { num: 1, reason: 'http_timeout' });
    const final = await slack.waitForCall('chat.update', (c) => c.args.channel === 'C0AUTODIAG' && isFinal(c), 20_000);
    expect(blockText(final)).toContain("*This agent's stream and stuck counter* — 1 counter set: stream:stuck:agent-7=3");
    const inThread = slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0AUTODIAG' && c.args.thread_ts === ts);
    expect(inThread.map((c) => (String(c.args.text).match(/^Diagnos/) ? 'diagnosis' : 'alert reply')).sort()).toEqual([
      'alert reply',
      'diagnosis',
    ]);
  }, 30_000);

  const webhook = (alerts: { labels: Record<string, string>; fingerprint: string }[]) =>
    fetch(`${bot.url}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
      body: JSON.stringify({
        version: '4',
        groupKey: `{}:{alertname="${alerts[0]!.labels.alertname}"}`,
        status: 'firing',
        receiver: 'incident-bot',
        alerts: alerts.map((a) => ({
          status: 'firing',
          labels: a.labels,
          annotations: {},
          startsAt: new Date().toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: a.fingerprint,
        })),
      }),
    });

  it("diagnoses a webhook alert the catalog marks autoDiagnose by itself, in the thread of the bot's post", async () => {
    const res = await webhook([
      {
        labels: { alertname: 'StuckDetected', agent: 'agent-7', severity: 'critical', source: 'webhook' },
        fingerprint: 'abcdef0123456789',
      },
    ]);
    expect(res.status).toBe(200);
    const posted = await slack.waitForCall('chat.postMessage', (c) => c.args.channel === 'C0WEBHOOKDIAG' && !c.args.thread_ts, 10_000);
    const postTs = (posted.response as { ts: string }).ts;
    const final = await slack.waitForCall('chat.update', (c) => c.args.channel === 'C0WEBHOOKDIAG' && isFinal(c), 20_000);
    expect(blockText(final)).toContain("*This agent's stream and stuck counter* — 1 counter set: stream:stuck:agent-7=3");
    const diagnosis = slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === 'C0WEBHOOKDIAG' && /^Diagnos/.test(String(c.args.text)));
    expect(diagnosis.map((c) => c.args.thread_ts)).toEqual([postTs]);
  }, 30_000);

  it('a webhook delivery naming many alerts gets one post listing them, each with its own menu', async () => {
    const alerts = Array.from({ length: 7 }, (_, i) => ({
      labels: { alertname: 'DiskSpaceWarning', instance: `db-${i}` },
      fingerprint: `d15c0000000000${String(i).padStart(2, '0')}`,
    }));
    const res = await webhook(alerts);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { accepted: number; alerts: { outcome: string }[] };
    expect(answer.accepted).toBe(7);
    expect(answer.alerts.map((a) => a.outcome)).toEqual(Array(7).fill('new'));
    const post = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === 'C0WEBHOOKDIAG' && String(c.args.text).includes('DiskSpaceWarning'),
      10_000,
    );
    expect(String(post.args.text)).toBe('[FIRING:7] DiskSpaceWarning: 7 firing, 0 resolved');
    const shown = JSON.stringify(post.args.blocks);
    for (let i = 0; i < 7; i++) expect(shown).toContain(`\`instance=db-${i}\``);
    expect(shown.match(/"action_id":"alert_menu"/g)).toHaveLength(7);
    await new Promise((r) => setTimeout(r, 500));
    expect(
      slack
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === 'C0WEBHOOKDIAG' && String(c.args.text).includes('DiskSpaceWarning')),
    ).toHaveLength(1);
  }, 30_000);

  it('answers an unknown alert with the closest names, ephemerally', async () => {
    await h.command('diagnose StuckDetectd');
    const reply = await slack.waitForCall('response_url', (c) => String(c.args.text).includes('No runbook covers'), 5_000);
    expect(reply.args.response_type).toBe('ephemeral');
    expect(String(reply.args.text)).toContain('`StuckDetected`');
  });

  it('answers a misspelt label name with the closest one instead of ignoring it', async () => {
    await h.command('diagnose StuckDetected agnet=agent-7');
    const reply = await slack.waitForCall('response_url', (c) => String(c.args.text).includes('uses no label'), 5_000);
    expect(reply.args.response_type).toBe('ephemeral');
    expect(reply.args.text).toBe('`StuckDetected` uses no label `agnet`: did you mean `agent`? Its labels: `agent`.');
  });
});

function blockText(call: RecordedCall): string {
  return JSON.stringify(call.args.blocks).replace(/\\n/g, '\n');
}

function isFinal(call: RecordedCall): boolean {
  return JSON.stringify(call.args.blocks ?? '').includes('Diagnosis: StuckDetected');
}
