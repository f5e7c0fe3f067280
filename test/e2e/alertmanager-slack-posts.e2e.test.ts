import type { RecordedCall, SlackEmulator } from '../../src/emulator/slack-emulator';
import {
  startAlertmanager,
  startSlackNotificationReceiver,
  type RunningAlertmanager,
  type SlackNotification,
  type SlackNotificationReceiver,
} from '../support/alertmanager';
import { HARNESS_BOT_TOKEN, startBotHarness, type BotHarness } from '../support/bot-harness';
import { startBot, type BotProcess } from '../support/bot-process';
import { findButton } from '../support/find-button';
import { createMigratedDatabase } from '../support/migrated-database';
import { startExporter, startPrometheus, type RunningPrometheus, type TestExporter } from '../support/prometheus';
import { buttonClickPayload, sendEvent, sendInteraction } from '../support/slack-signing';
import { waitFor } from '../support/wait-for';

const SIGNING_SECRET = 'e2e-am-slack-secret';
const RUN = `Ev${Date.now()}AMSLACK`;

// The common "labels list" Slack template (one block per alert: *Alert:* summary - `severity`, then the labels).
const LABELS_LIST_TITLE =
  '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}';
const LABELS_LIST_TEXT = [
  '{{ range .Alerts }}*Alert:* {{ .Annotations.summary }}{{ if .Labels.severity }} - `{{ .Labels.severity }}`{{ end }}',
  '*Description:* {{ .Annotations.description }}',
  '*Details:*',
  '{{ range .Labels.SortedPairs }} • *{{ .Name }}:* `{{ .Value }}`',
  '{{ end }}{{ end }}',
].join('\n');
// Grafana's Slack contact point with its default templates (default.title, default.message): the title of
// Alertmanager's default, then "**Firing**" and per alert "Value:", " - name = value" labels and annotations and
// "Source:". Grafana-only fields (values, silence and dashboard URLs) have no counterpart in Alertmanager's data:
// the value is shown as Grafana shows a missing one.
const GRAFANA_TITLE =
  '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ if gt (.Alerts.Resolved | len) 0 }}, RESOLVED:{{ .Alerts.Resolved | len }}{{ end }}{{ end }}] {{ .GroupLabels.SortedPairs.Values | join " " }} {{ if gt (len .CommonLabels) (len .GroupLabels) }}({{ with .CommonLabels.Remove .GroupLabels.Names }}{{ .Values | join " " }}{{ end }}){{ end }}';
const GRAFANA_ALERT_LIST =
  '{{ range . }}\nValue: [no value]\nLabels:\n{{ range .Labels.SortedPairs }} - {{ .Name }} = {{ .Value }}\n{{ end }}Annotations:\n{{ range .Annotations.SortedPairs }} - {{ .Name }} = {{ .Value }}\n{{ end }}{{ if gt (len .GeneratorURL) 0 }}Source: {{ .GeneratorURL }}\n{{ end }}{{ end }}';
const GRAFANA_TEXT = `{{ if gt (len .Alerts.Firing) 0 }}**Firing**\n${GRAFANA_ALERT_LIST.replace('{{ range . }}', '{{ range .Alerts.Firing }}')}{{ end }}{{ if gt (len .Alerts.Resolved) 0 }}**Resolved**\n${GRAFANA_ALERT_LIST.replace('{{ range . }}', '{{ range .Alerts.Resolved }}')}{{ end }}`;

/**
 * What Alertmanager really posts to Slack, read by the bot: real Prometheus → real Alertmanager (slack_configs
 * whose api_url is a local receiver, so the posts are Alertmanager's own) → the post delivered to the bot as the
 * Slack message event it becomes → the bot's reply. Alertmanager's default template shows only label values; the
 * bot reads the labels from Alertmanager's API when ALERTMANAGER_URL is set, and says which are unknown when not.
 */
describe('Alertmanager Slack posts end to end', () => {
  let h: BotHarness;
  let slack: SlackEmulator;
  let receiver: SlackNotificationReceiver;
  let alertmanager: RunningAlertmanager;
  let prometheus: RunningPrometheus;
  let exporter: TestExporter;
  let bot: BotProcess;
  let blindBot: BotProcess | undefined;
  let dropBlindDb: (() => Promise<void>) | undefined;
  let eventSeq = 0;

  beforeAll(async () => {
    receiver = await startSlackNotificationReceiver();
    alertmanager = await startAlertmanager({
      groupWaitSeconds: 1,
      groupBy: ['alertname'],
      slackReceivers: [
        { name: 'default', match: { template: 'default' }, apiUrl: receiver.urlFor('default') },
        {
          name: 'labels-list',
          match: { template: 'labels-list' },
          apiUrl: receiver.urlFor('labels-list'),
          title: LABELS_LIST_TITLE,
          text: LABELS_LIST_TEXT,
        },
        {
          name: 'grafana',
          match: { template: 'grafana' },
          apiUrl: receiver.urlFor('grafana'),
          title: GRAFANA_TITLE,
          text: GRAFANA_TEXT,
          username: 'Grafana',
          footer: 'Grafana v10.4.1',
        },
      ],
    });
    // The shared Redis is up, but this bot is not given it.
    h = await startBotHarness({
      name: 'e2e_am_slack_posts',
      signingSecret: SIGNING_SECRET,
      env: { REDIS_URL: undefined, ALERTMANAGER_URL: alertmanager.url },
    });
    ({ slack, bot } = h);
  }, 120_000);

  afterAll(async () => {
    await blindBot?.stop();
    await prometheus?.stop();
    await exporter?.close();
    await alertmanager?.stop();
    await receiver?.close();
    await h?.stop();
    await dropBlindDb?.();
  });

  /** The notification as the Slack message event Slack would deliver for it (a bot_message in a channel). */
  const deliver = async (target: BotProcess, channel: string, n: SlackNotification) => {
    const message = slack.postAs(channel, {
      subtype: 'bot_message',
      bot_id: 'B0ALERTMGR',
      username: n.username ?? 'Alertmanager',
      text: n.text ?? '',
      attachments: n.attachments ?? [],
    } as never);
    const event = {
      type: 'message',
      subtype: 'bot_message',
      bot_id: 'B0ALERTMGR',
      username: n.username ?? 'Alertmanager',
      text: n.text ?? '',
      attachments: n.attachments,
      channel,
      ts: message.ts,
      event_ts: message.ts,
    };
    const res = await sendEvent(
      `${target.url}/slack/events`,
      { signingSecret: SIGNING_SECRET },
      { event_id: `${RUN}${++eventSeq}`, event },
    );
    expect(res.status).toBe(200);
    return message.ts;
  };
  const replyIn = (channel: string, threadTs: string, timeoutMs = 15_000) =>
    slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === channel && c.args.thread_ts === threadTs && /alert /.test(String(c.args.text)),
      timeoutMs,
    );
  const blocksOf = (c: RecordedCall) => JSON.stringify(c.args.blocks);
  const amAlert = async (alertname: string, template: string) => {
    const res = await fetch(
      `${alertmanager.url}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}&filter=${encodeURIComponent(`template="${template}"`)}`,
    );
    const list = (await res.json()) as { labels: Record<string, string>; startsAt: string; fingerprint: string }[];
    expect(list).toHaveLength(1);
    return list[0]!;
  };
  const firingSince = (iso: string) => `firing since ${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

  it('default template, from real Prometheus: the reply carries the full label set, start and fingerprint from Alertmanager', async () => {
    exporter = await startExporter();
    exporter.set('agent_stuck', { agent: 'agent-7' }, 1);
    prometheus = await startPrometheus({
      scrapeTargets: [{ job: 'memory-daemon', target: exporter.hostPort }],
      alertmanagerUrl: alertmanager.url,
      rules: [
        'groups:',
        '  - name: e2e',
        '    rules:',
        '      - alert: StuckDetected',
        '        expr: agent_stuck > 0',
        '        for: 0s',
        '        labels: { severity: critical, template: default }',
        '        annotations: { summary: "Agent {{ $labels.agent }} is stuck" }',
      ].join('\n'),
    });
    const notification = await receiver.waitFor((n) => n.path === '/default', 40_000);
    // What Alertmanager's default template really sends: values only in the title, an empty text.
    const title = notification.body.attachments?.[0]?.title ?? '';
    expect(title).toMatch(/^\[FIRING:1\] StuckDetected \(/);
    expect(title).toContain('agent-7');
    expect(title).not.toContain('agent=');
    expect(notification.body.attachments?.[0]?.text ?? '').toBe('');

    const postTs = await deliver(bot, 'C0AMDEFAULT', notification.body);
    const reply = await replyIn('C0AMDEFAULT', postTs);
    const shown = blocksOf(reply);
    const inAm = await amAlert('StuckDetected', 'default');
    expect(shown).toContain('`agent=agent-7`');
    expect(shown).toContain('`job=memory-daemon`');
    expect(shown).toContain(`\`instance=${exporter.hostPort}\``);
    expect(shown).toContain('`template=default`');
    expect(shown).toContain('labels from Alertmanager');
    expect(shown).toContain(firingSince(inAm.startsAt));
    // The catalog's tier (P1) wins over the label severity=critical (docs/severity.md).
    expect(shown).toContain('P1 (high)');
    expect(shown).not.toContain('Labels unknown');
    const recorded = bot.logs().find((l) => l.msg === 'alert recorded' && l.alert === 'StuckDetected');
    expect(recorded?.fingerprint).toBe(inAm.fingerprint);
  }, 90_000);

  it('the common "labels list" template: every label read from the post itself', async () => {
    await alertmanager.postAlerts([
      {
        labels: {
          alertname: 'DiskSpaceWarning',
          severity: 'warning',
          instance: 'db-1',
          mountpoint: '/var/lib/postgresql',
          template: 'labels-list',
        },
        annotations: { summary: 'Disk almost full on db-1', description: '92% used' },
      },
    ]);
    const notification = await receiver.waitFor((n) => n.path === '/labels-list', 20_000);
    expect(notification.body.attachments?.[0]?.text).toContain('• *mountpoint:* `/var/lib/postgresql`');
    const postTs = await deliver(bot, 'C0AMLIST', notification.body);
    const shown = blocksOf(await replyIn('C0AMLIST', postTs));
    const inAm = await amAlert('DiskSpaceWarning', 'labels-list');
    expect(shown).toContain('`mountpoint=/var/lib/postgresql`');
    expect(shown).toContain('`instance=db-1`');
    expect(shown).toContain(firingSince(inAm.startsAt));
    const recorded = bot.logs().find((l) => l.msg === 'alert recorded' && l.alert === 'DiskSpaceWarning');
    expect(recorded?.fingerprint).toBe(inAm.fingerprint);
  }, 40_000);

  it('Grafana\'s Slack contact-point format: the labels of its " - name = value" list', async () => {
    await alertmanager.postAlerts([
      {
        labels: { alertname: 'MemoryUsageHigh', severity: 'warning', pod: 'memory-daemon-0', template: 'grafana' },
        annotations: { summary: 'Memory above 85%' },
      },
    ]);
    const notification = await receiver.waitFor((n) => n.path === '/grafana', 20_000);
    expect(notification.body.attachments?.[0]?.text).toContain('**Firing**');
    expect(notification.body.attachments?.[0]?.text).toContain(' - pod = memory-daemon-0');
    const postTs = await deliver(bot, 'C0AMGRAFANA', notification.body);
    const shown = blocksOf(await replyIn('C0AMGRAFANA', postTs));
    expect(shown).toContain('`pod=memory-daemon-0`');
    // The catalog's tier (P1) wins over the label severity=warning.
    expect(shown).toContain('P1 (high)');
    const recorded = bot.logs().find((l) => l.msg === 'alert recorded' && l.alert === 'MemoryUsageHigh');
    expect(recorded?.fingerprint).toBe((await amAlert('MemoryUsageHigh', 'grafana')).fingerprint);
  }, 40_000);

  it('default template, label values with spaces: the alert whose labels render to the title, not one whose values are its words', async () => {
    const real = { alertname: 'AgentStalled', agent: 'agent 7', job: 'memory daemon', severity: 'critical', template: 'default' };
    await alertmanager.postAlerts([{ labels: real, annotations: { summary: 'Agent 7 stalled' } }]);
    const notification = await receiver.waitFor(
      (n) => n.path === '/default' && (n.body.attachments?.[0]?.title ?? '').includes('AgentStalled'),
      20_000,
    );
    // Grouped by alertname, the other labels' values follow in parentheses, ordered by label name.
    expect(notification.body.attachments?.[0]?.title?.trim()).toBe('[FIRING:1] AgentStalled (agent 7 memory daemon critical default)');
    // Fires once the notification has gone out: Alertmanager lists both when the bot asks. Its values are the title's
    // words, each a value of its own, in another order.
    await alertmanager.postAlerts([
      {
        labels: {
          alertname: 'AgentStalled',
          agent: 'daemon',
          instance: 'memory',
          job: '7',
          severity: 'critical',
          template: 'default',
          zone: 'agent',
        },
      },
    ]);
    const listed = async () =>
      (await (await fetch(`${alertmanager.url}/api/v2/alerts?filter=${encodeURIComponent('alertname="AgentStalled"')}`)).json()) as {
        labels: Record<string, string>;
        fingerprint: string;
      }[];
    await waitFor('Alertmanager to list both alerts', async () => (await listed()).length === 2, 10_000);
    const inAm = (await listed()).find((a) => a.labels.agent === 'agent 7')!;

    const postTs = await deliver(bot, 'C0AMSPACES', notification.body);
    const shown = blocksOf(await replyIn('C0AMSPACES', postTs));
    expect(shown).toContain('`agent=agent 7`');
    expect(shown).toContain('`job=memory daemon`');
    expect(shown).toContain('labels from Alertmanager');
    expect(shown).not.toContain('`zone=agent`');
    // The bot's log reaches this process through a pipe, possibly after its reply reached the emulator.
    const recorded = () => bot.logs().filter((l) => l.msg === 'alert recorded' && l.alert === 'AgentStalled');
    await waitFor('the alert recorded in the log', () => recorded().length > 0, 10_000);
    expect(recorded().map((l) => l.fingerprint)).toEqual([inAm.fingerprint]);
  }, 60_000);

  it('a [FIRING:12] notification gets one reply listing its alerts with a menu each; a menu action and [RESOLVED] edit it in place', async () => {
    const queues = Array.from({ length: 12 }, (_, i) => `queue-${String(i).padStart(2, '0')}`);
    const labels = (queue: string) => ({ alertname: 'QueueBacklogGrowing', severity: 'warning', queue, template: 'labels-list' });
    await alertmanager.postAlerts(queues.map((q) => ({ labels: labels(q), annotations: { summary: `Backlog growing on ${q}` } })));
    const notification = await receiver.waitFor(
      (n) => n.path === '/labels-list' && (n.body.attachments?.[0]?.title ?? '') === '[FIRING:12] QueueBacklogGrowing',
      20_000,
    );
    // Slack answers the reply slowly: the click below lands while the bot still waits for the reply's ts, before it is
    // recorded (as a quick click on a busy machine does), and must still edit the reply.
    slack.failNext('chat.postMessage', { slowMs: 3_000 }, 1, (args) => args.channel === 'C0AMGROUP');
    const postTs = await deliver(bot, 'C0AMGROUP', notification.body);
    const reply = await slack.waitForCall('chat.postMessage', (c) => c.args.channel === 'C0AMGROUP' && c.args.thread_ts === postTs, 15_000);
    expect(String(reply.args.text)).toBe('[FIRING:12] QueueBacklogGrowing: 12 firing, 0 resolved');
    const shown = blocksOf(reply);
    for (const q of queues) expect(shown).toContain(`\`queue=${q}\``);
    const menus = (reply.args.blocks as { accessory?: { action_id: string; options: { value: string }[] } }[]).filter(
      (b) => b.accessory?.action_id === 'alert_menu',
    );
    expect(menus).toHaveLength(12);
    const replyTs = (reply.response as { ts: string }).ts;

    const ack = menus[3]!.accessory!.options.find((o) => o.value.startsWith('alert_acknowledge:'))!.value;
    const click = buttonClickPayload({
      channel: 'C0AMGROUP',
      messageTs: replyTs,
      threadTs: postTs,
      userId: 'U0ONCALL01',
      actionId: 'alert_menu',
      value: '',
      blockId: 'alert',
      responseUrl: slack.responseUrl({ channel: 'C0AMGROUP', messageTs: replyTs, userId: 'U0ONCALL01' }),
    });
    click.actions = [
      {
        action_id: 'alert_menu',
        block_id: `alert:${ack.split(':')[1]}`,
        type: 'overflow',
        selected_option: { text: { type: 'plain_text', text: 'Acknowledge' }, value: ack },
        action_ts: `${Date.now() / 1000}`,
      },
    ];
    await sendInteraction(`${bot.url}/slack/events`, { signingSecret: SIGNING_SECRET }, click);
    const acked = await slack.waitForCall(
      'chat.update',
      (c) => c.args.ts === replyTs && blocksOf(c).includes(':eyes: acknowledged by <@U0ONCALL01>'),
      10_000,
    );
    expect(blocksOf(acked)).toContain(`\`queue=${queues[3]}\` · :eyes: acknowledged by <@U0ONCALL01>`);

    await alertmanager.postAlerts(queues.map((q) => ({ labels: labels(q), endsAt: new Date(Date.now() - 1000).toISOString() })));
    const resolved = await receiver.waitFor(
      (n) => n.path === '/labels-list' && (n.body.attachments?.[0]?.title ?? '') === '[RESOLVED] QueueBacklogGrowing',
      20_000,
    );
    await deliver(bot, 'C0AMGROUP', resolved.body);
    const edit = await slack.waitForCall(
      'chat.update',
      (c) => c.args.ts === replyTs && String(c.args.text).includes('0 firing, 12 resolved'),
      15_000,
    );
    expect(blocksOf(edit)).not.toContain('alert_menu');
    expect(
      slack
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === 'C0AMGROUP' && c.args.thread_ts && /QueueBacklogGrowing/.test(String(c.args.text))),
    ).toHaveLength(1);
  }, 60_000);

  it('a storm of new alerts in one channel: twenty shown one by one, then one summary edited in place with the rest listed in its thread', async () => {
    const channel = 'C0AMSTORM';
    for (let i = 0; i < 30; i++) {
      const title = `[FIRING:1] StormProbe${i % 3}`;
      await deliver(bot, channel, {
        username: 'Alertmanager',
        text: '',
        attachments: [
          {
            title,
            text: `*Details:*\n • *alertname:* \`StormProbe${i % 3}\`\n • *instance:* \`node-${i}\`\n • *severity:* \`${i % 2 ? 'warning' : 'critical'}\`\n`,
          },
        ],
      });
    }
    const final = await slack.waitForCall(
      'chat.update',
      (c) => c.args.channel === channel && /^Alert storm: 10 new alerts since \d\d:\d\d UTC$/.test(String(c.args.text)),
      30_000,
    );
    const summaryTs = final.args.ts as string;
    const top = slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && !c.args.thread_ts);
    expect(top.map((c) => String(c.args.text)).filter((t) => t.startsWith('Alert storm'))).toHaveLength(1);
    // The replies that went out before the storm began: one per alert, in their posts' threads.
    const replies = slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === channel && c.args.thread_ts && c.args.thread_ts !== summaryTs);
    expect(replies).toHaveLength(20);
    const summary = blocksOf(final);
    expect(summary).toMatch(/\*StormProbe\d\* · P[02] \((critical|medium)\) · ×\d+/);
    await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === channel && c.args.thread_ts === summaryTs && blocksOf(c).includes('`instance=node-29`'),
      10_000,
    );
    const listed = slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === channel && c.args.thread_ts === summaryTs)
      .map(blocksOf)
      .join('');
    for (let i = 20; i < 30; i++) expect(listed).toContain(`\`instance=node-${i}\``);
    expect(listed).not.toContain('`instance=node-19`');
  }, 90_000);

  it('without ALERTMANAGER_URL the reply names the unknown labels, and Diagnose asks for them instead of running', async () => {
    const notification = await receiver.waitFor((n) => n.path === '/default', 5_000);
    const database = await createMigratedDatabase('e2e_am_slack_blind');
    await database.db.close();
    dropBlindDb = database.drop;
    blindBot = await startBot({
      SLACK_BOT_TOKEN: HARNESS_BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.url,
      DATABASE_URL: database.url,
    });
    await blindBot.waitForReady();
    const postTs = await deliver(blindBot, 'C0AMBLIND', notification.body);
    const reply = await replyIn('C0AMBLIND', postTs);
    const shown = blocksOf(reply);
    expect(shown).toContain('*Labels unknown:* the post shows only label values (');
    expect(shown).toContain('Diagnose needs `agent`.');
    expect(shown).toContain('Set ALERTMANAGER_URL and the bot reads them from Alertmanager.');
    // StuckDetected is diagnosed automatically when its labels are known: not on guessed ones.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0AMBLIND' && /^Diagnos/.test(String(c.args.text)))).toEqual(
      [],
    );

    const diagnose = findButton(reply, 'alert_diagnose');
    const replyTs = (reply.response as { ts: string }).ts;
    await sendInteraction(
      `${blindBot.url}/slack/events`,
      { signingSecret: SIGNING_SECRET },
      buttonClickPayload({
        channel: 'C0AMBLIND',
        messageTs: replyTs,
        threadTs: postTs,
        userId: 'U0ONCALL01',
        actionId: 'alert_diagnose',
        value: diagnose.value,
        blockId: 'alert',
        responseUrl: slack.responseUrl({ channel: 'C0AMBLIND', messageTs: replyTs, userId: 'U0ONCALL01' }),
      }),
    );
    // A click in a thread is answered in that thread, to the clicker only.
    const answer = await slack.waitForCall(
      'chat.postEphemeral',
      (c) => String(c.args.text).includes('labels of this alert are unknown'),
      10_000,
    );
    expect(answer.args).toMatchObject({ channel: 'C0AMBLIND', thread_ts: postTs, user: 'U0ONCALL01' });
    expect(String(answer.args.text)).toContain('`/incident diagnose StuckDetected agent=…`');
    expect(slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0AMBLIND' && /^Diagnos/.test(String(c.args.text)))).toEqual(
      [],
    );
  }, 90_000);
});
