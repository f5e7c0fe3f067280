import { loadConfig } from '../../src/config';
import { startSecuredBot, type SecuredBot } from './harness';

const CHANNEL = 'C0SECALERTS';
// Event ids are deduplicated in Redis, which outlives a test run.
const RUN = Date.now().toString(36).toUpperCase();

const firingText = (worker: string) =>
  `[FIRING:1] WorkerDown (prod ${worker} critical)\n*Details:*\n  • *alertname:* \`WorkerDown\`\n  • *worker:* \`${worker}\`\n  • *severity:* \`critical\`\n`;

/** Only configured alert senders create alerts: a person (or another bot) posting an alert's text gets nothing. */
describe('alert intake trusts only configured senders', () => {
  let s: SecuredBot;

  beforeAll(async () => {
    s = await startSecuredBot('alert_senders', {});
  }, 90_000);

  afterAll(async () => {
    await s?.stop();
  });

  const post = (eventId: string, event: Record<string, unknown>) => s.sendEvent({ event_id: eventId, event });
  const alertRows = () => s.count('SELECT count(*) AS n FROM alerts');
  // recurring:<name> rows are the bot's own background jobs (one replica runs each), not work an alert scheduled.
  const slaJobs = () => s.count("SELECT count(*) AS n FROM scheduled_jobs WHERE kind NOT LIKE 'recurring:%'");

  it('ignores a person pasting [FIRING:1] WorkerDown: no reply, no alert, no SLA job, no diagnosis', async () => {
    const ts = `${Math.floor(Date.now() / 1000)}.000300`;
    const human = {
      type: 'message',
      user: 'U0ONCALL01',
      text: firingText('worker-3'),
      ts,
      channel: CHANNEL,
      event_ts: ts,
      channel_type: 'channel',
    };
    expect((await post(`Ev${RUN}HUMAN`, human)).status).toBe(200);
    const ignored = await s.waitForLog((l) => l.msg === 'alert-looking message ignored: its sender is not in ALERT_SENDERS' && l.ts === ts);
    expect(ignored).toMatchObject({ user: 'U0ONCALL01', channel: CHANNEL });
    expect(await alertRows()).toBe(0);
    expect(await slaJobs()).toBe(0);
    expect(s.slack.callsTo('chat.postMessage')).toEqual([]);
    expect(s.slack.callsTo('chat.postEphemeral')).toEqual([]);
  }, 20_000);

  it('ignores another integration that is not in ALERT_SENDERS', async () => {
    const ts = `${Math.floor(Date.now() / 1000)}.000400`;
    const otherBot = {
      type: 'message',
      subtype: 'bot_message',
      bot_id: 'B0DEPLOYBOT',
      username: 'deploy-notifier',
      text: firingText('worker-4'),
      ts,
      channel: CHANNEL,
      event_ts: ts,
    };
    expect((await post(`Ev${RUN}OTHERBOT`, otherBot)).status).toBe(200);
    await s.waitForLog((l) => l.msg === 'alert-looking message ignored: its sender is not in ALERT_SENDERS' && l.ts === ts);
    expect(await alertRows()).toBe(0);
    expect(s.slack.callsTo('chat.postMessage')).toEqual([]);
  }, 20_000);

  it('still takes the same alert from Alertmanager (the default senders)', async () => {
    const ts = `${Math.floor(Date.now() / 1000)}.000500`;
    const alertmanager = {
      type: 'message',
      subtype: 'bot_message',
      bot_id: 'B0ALERTMGR',
      username: 'Alertmanager',
      text: firingText('worker-5'),
      ts,
      channel: CHANNEL,
      event_ts: ts,
    };
    s.slack.seedThread(CHANNEL, [{ subtype: 'bot_message', bot_id: 'B0ALERTMGR', username: 'Alertmanager', text: alertmanager.text, ts }]);
    expect((await post(`Ev${RUN}ALERTMGR`, alertmanager)).status).toBe(200);
    const reply = await s.slack.waitForCall('chat.postMessage', (c) => c.args.channel === CHANNEL && c.args.thread_ts === ts, 10_000);
    expect(JSON.stringify(reply.args.blocks)).toContain('WorkerDown');
    expect(await alertRows()).toBe(1);
  }, 20_000);

  it('refuses a person as an alert sender in the configuration', () => {
    expect(() => loadConfig({ ALERT_SENDERS: 'Alertmanager,U0ONCALL01' })).toThrow(/ALERT_SENDERS .*a person never posts alerts/);
    expect(loadConfig({}).alertSenders).toEqual(['Alertmanager', 'Grafana']);
    expect(loadConfig({ ALERT_SENDERS: 'B0ALERTMGR, A0GRAFANA' }).alertSenders).toEqual(['B0ALERTMGR', 'A0GRAFANA']);
  });
});
