import type { RecordedCall, SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBotHarness, type BotHarness } from '../support/bot-harness';
import type { BotProcess } from '../support/bot-process';
import { waitFor } from '../support/wait-for';

const WEBHOOK_TOKEN = 'outage-repair-webhook-token';
// Channels and event ids unique to this run: the shared Redis remembers deliveries and channel budgets.
const RUN = Date.now().toString(36).toUpperCase();
const HEX = Date.now().toString(16);
const SINGLE = `C0RS${RUN}`;
const GROUP = `C0RG${RUN}`;
const POSTED_GROUP = `C0RP${RUN}`;

/**
 * A reply lost to a Slack outage longer than the poster's retry budget is posted from the store once Slack answers
 * again, without the sender delivering the alert again: the webhook's own posts (one alert, and one notification
 * of twelve that gets one message), and the one reply to a [FIRING:12] post in a channel. Exactly one message each.
 */
describe('messages lost to a long Slack outage are repaired from the store', () => {
  let h: BotHarness;
  let slack: SlackEmulator;
  let bot: BotProcess;

  beforeAll(async () => {
    h = await startBotHarness({
      name: 'reliability_outage_repair',
      env: {
        ALERTMANAGER_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
        ALERTMANAGER_ROUTES: JSON.stringify([
          { match: { team: 'single' }, channel: SINGLE },
          { match: { team: 'group' }, channel: GROUP },
          { channel: 'C0DEFAULT' },
        ]),
      },
    });
    ({ slack, bot } = h);
  }, 60_000);

  afterAll(async () => {
    expect(await h?.stop()).toBe(0);
  });

  const posts = (channel: string, status?: number) =>
    slack
      .callsTo('chat.postMessage')
      .filter((c: RecordedCall) => c.args.channel === channel && (status === undefined || c.status === status));
  /** The bot's own posts in the channel (not thread replies). */
  const own = (channel: string) => posts(channel, 200).filter((c) => !c.args.thread_ts);
  const outage = (channel: string) => slack.failNext('chat.postMessage', { status: 503 }, 1_000, (args) => args.channel === channel);
  const webhook = (name: string, team: string, instances: string[]) => {
    const alerts = instances.map((instance, i) => ({
      status: 'firing',
      // agent: the label StuckDetected's automatic diagnosis needs.
      labels: { alertname: name, instance, agent: instance, severity: 'warning', team },
      annotations: { summary: `${name} on ${instance}` },
      startsAt: new Date().toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example.com/graph',
      fingerprint: `${team === 'single' ? 'a' : 'b'}${HEX}${i.toString(16).padStart(2, '0')}`,
    }));
    const common = instances.length === 1 ? alerts[0]!.labels : { alertname: name, severity: 'warning', team };
    return fetch(`${bot.url}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
      body: JSON.stringify({
        receiver: 'incident-bot',
        status: 'firing',
        alerts,
        groupLabels: { alertname: name },
        commonLabels: common,
        commonAnnotations: {},
        externalURL: 'http://alertmanager.example.com',
        version: '4',
        groupKey: `{}:{alertname="${name}"}`,
        truncatedAlerts: 0,
      }),
    });
  };

  it('posts a webhook alert and a webhook notification of twelve once each after the outage, with no delivery again', async () => {
    outage(SINGLE);
    outage(GROUP);
    const instances = Array.from({ length: 12 }, (_, i) => `node-${String(i).padStart(2, '0')}`);
    const [single, group] = await Promise.all([
      // StuckDetected: the catalog diagnoses it as soon as its message is out, a repaired one too.
      webhook('StuckDetected', 'single', ['agent-solo']),
      webhook('OutageRepairGroup', 'group', instances),
    ]);
    // Slack never answered within the retry budget: the delivery failed (Alertmanager would send it again; not here).
    expect(single.status).toBe(500);
    expect(group.status).toBe(500);
    expect(posts(SINGLE, 503).length).toBeGreaterThanOrEqual(4);
    expect(posts(GROUP, 503).length).toBeGreaterThanOrEqual(4);
    expect(posts(SINGLE, 200)).toEqual([]);
    slack.endFailures('chat.postMessage');

    await waitFor(
      'both messages to be posted from the store',
      () => posts(SINGLE, 200).length > 0 && posts(GROUP, 200).length > 0,
      90_000,
      200,
    );
    const logs = bot.logs();
    expect(logs.some((l) => l.msg === 'alert post repaired after a stale claim' && l.channel === SINGLE)).toBe(true);
    expect(logs.some((l) => l.msg === 'alert group message repaired after a stale claim' && l.channel === GROUP)).toBe(true);
    const singleTs = (own(SINGLE)[0]!.response as { ts: string }).ts;
    await waitFor(
      'the automatic diagnosis in the thread of the repaired post',
      () => posts(SINGLE, 200).some((c) => c.args.thread_ts === singleTs && /^Diagnos/.test(String(c.args.text))),
      30_000,
      100,
    );
    const groupPost = own(GROUP)[0]!;
    expect(String(groupPost.args.text)).toContain('12 firing');
    const listed = JSON.stringify(groupPost.args.blocks);
    for (const instance of instances) expect(listed).toContain(`\`instance=${instance}\``);
  }, 150_000);

  it('replies once to a [FIRING:12] post in a channel after the outage', async () => {
    outage(POSTED_GROUP);
    const queues = Array.from({ length: 12 }, (_, i) => `q-${String(i).padStart(2, '0')}`);
    const text = queues
      .map((q) =>
        [
          `*Alert:* Backlog growing on ${q} - \`warning\``,
          '*Details:*',
          ' • *alertname:* `OutageRepairQueue`',
          ` • *queue:* \`${q}\``,
          ' • *severity:* `warning`',
        ].join('\n'),
      )
      .join('\n');
    const message = { bot_id: 'B0ALERTMGR', username: 'Alertmanager', subtype: 'bot_message', text: '' };
    const attachments = [{ title: '[FIRING:12] OutageRepairQueue', text, color: 'danger' }];
    const posted = slack.postAs(POSTED_GROUP, { ...message, attachments } as never);
    const res = await h.sendEvent({
      event_id: `EvRP${RUN}1`,
      event: { type: 'message', ...message, attachments, channel: POSTED_GROUP, ts: posted.ts, event_ts: posted.ts },
    });
    expect(res.status).toBe(200);
    await waitFor('the reply to fail past the retry budget', () => posts(POSTED_GROUP, 503).length >= 4, 30_000, 100);
    slack.endFailures('chat.postMessage');

    await waitFor('the reply after the outage', () => posts(POSTED_GROUP, 200).length > 0, 90_000, 200);
    const reply = posts(POSTED_GROUP, 200)[0]!;
    expect(reply.args.thread_ts).toBe(posted.ts);
    expect(String(reply.args.text)).toBe('[FIRING:12] OutageRepairQueue: 12 firing, 0 resolved');
  }, 150_000);

  it('posted exactly one message per alert and per notification group, and every call went to a method the emulator knows', async () => {
    // The webhook's messages have had the whole previous test to be doubled by a retry, had anything still retried.
    expect(own(SINGLE)).toHaveLength(1);
    expect(own(GROUP)).toHaveLength(1);
    expect(posts(POSTED_GROUP, 200)).toHaveLength(1);
    expect(slack.unknownMethods).toEqual([]);
  });
});
