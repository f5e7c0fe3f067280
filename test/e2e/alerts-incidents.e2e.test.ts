import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RecordedCall, SlackEmulator } from '../../src/emulator/slack-emulator';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager';
import { startBotHarness, type BotHarness } from '../support/bot-harness';
import type { BotProcess } from '../support/bot-process';
import { startExporter, startPrometheus, type RunningPrometheus, type TestExporter } from '../support/prometheus';
import { freePort } from '../support/services';
import { newTriggerId, sendEvent, sendInteraction, sendSlashCommand } from '../support/slack-signing';
import { waitForAnswer, isEphemeral } from '../support/answers';

const SIGNING_SECRET = 'e2e-alerts-incidents-secret';
const FIXTURES = path.join(__dirname, '..', 'fixtures');
const ALERT_CHANNEL = 'C0INCIDENTS';
const WEBHOOK_CHANNEL = 'C0ALERTS';
const PIPELINE_CHANNEL = 'C0PIPELINE';
const WEBHOOK_TOKEN = 'e2e-alertmanager-webhook-token';
const RESPONDERS = 'S0RESPONDERS';
// Event ids are deduplicated in Redis, which outlives a test run.
const RUN = `Ev${Date.now()}ALERT`;

const fixture = (name: string): any => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')); // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The built bot against the Slack emulator, real PostgreSQL and Redis and a real Alertmanager: alert posts in the
 * channel, the alert buttons, /incident open|update|sev|ack|status|resolve, the modal, the Alertmanager webhook, and
 * real Prometheus → Alertmanager → bot.
 */
describe('alerts and incidents end to end', () => {
  let h: BotHarness;
  let slack: SlackEmulator;
  let bot: BotProcess;
  let alertmanager: RunningAlertmanager;
  let prometheus: RunningPrometheus | undefined;
  let exporter: TestExporter | undefined;

  beforeAll(async () => {
    const port = await freePort();
    alertmanager = await startAlertmanager({
      webhookUrl: `http://127.0.0.1:${port}/webhooks/alertmanager`,
      groupWaitSeconds: 1,
      webhookBearerToken: WEBHOOK_TOKEN,
    });
    h = await startBotHarness({
      name: 'e2e_alerts_incidents',
      signingSecret: SIGNING_SECRET,
      usergroups: { [RESPONDERS]: ['U0ONCALL02'] },
      env: {
        PORT: String(port),
        // Thread mode: the incident lives where it was opened (test/e2e/incident-room.e2e covers rooms).
        INCIDENT_CHANNELS: 'off',
        ALERTMANAGER_URL: alertmanager.url,
        ALERTMANAGER_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
        REMEDIATION_APPROVERS_HIGH: RESPONDERS,
        ALERTMANAGER_ROUTES: JSON.stringify([
          { match: { team: 'pipeline' }, channel: PIPELINE_CHANNEL },
          { match: { job: 'memory-daemon' }, channel: WEBHOOK_CHANNEL },
          { channel: 'C0DEFAULT' },
        ]),
      },
    });
    ({ slack, bot } = h);
  }, 90_000);

  afterAll(async () => {
    await h?.stop();
    await prometheus?.stop();
    await exporter?.close();
    await alertmanager?.stop();
  });

  const events = () => h.events();
  const signed = { signingSecret: SIGNING_SECRET };
  /** Waits until the bot logged a line matching `predicate` (processing is asynchronous after the 200). */
  const waitForLog = (predicate: (l: Record<string, unknown>) => boolean) => h.waitForLog(predicate, 5_000);
  const click = (actionId: string, value: string, where: { channel: string; messageTs: string; threadTs?: string }, user = 'U0ONCALL01') =>
    h.click({ ...where, user, actionId, value, blockId: 'alert' });
  const blocksOf = (c: RecordedCall | { blocks?: unknown }) => JSON.stringify('args' in c ? c.args.blocks : c.blocks);
  const actionIds = (blocks: unknown): string[] =>
    ((blocks as { type: string; elements?: { action_id: string }[] }[] | undefined) ?? [])
      .filter((b) => b.type === 'actions')
      .flatMap((b) => (b.elements ?? []).map((e) => e.action_id));

  describe('an Alertmanager post in the channel', () => {
    let postTs: string;
    let replyTs: string;
    let alertId: string;

    it('gets exactly one threaded reply with the four buttons, even when delivered again as a retry and by another event id', async () => {
      const envelope = fixture('slack/event-alertmanager-bot-message.json');
      // A post from just now, so the SLA arithmetic below is about this test run.
      postTs = slack.seedThread(ALERT_CHANNEL, [{ ...envelope.event, ts: `${Math.floor(Date.now() / 1000)}.000100`, user: undefined }]);
      const event = { ...envelope.event, ts: postTs, event_ts: postTs };
      expect((await sendEvent(events(), signed, { event_id: `${RUN}1`, event })).status).toBe(200);
      const reply = await slack.waitForCall('chat.postMessage', (c) => c.args.thread_ts === postTs, 10_000);
      replyTs = (reply.response as { ts: string }).ts;
      expect(actionIds(reply.args.blocks)).toEqual(['alert_acknowledge', 'alert_diagnose', 'alert_open_incident', 'alert_silence']);
      const text = blocksOf(reply);
      expect(text).toContain('StuckDetected');
      // The catalog's tier (P1) wins over the rule's `severity=critical` label.
      expect(text).toContain('P1 (high)');
      expect(text).toContain('Acknowledge by:');
      expect(text).toContain('`instance=worker-7`');
      alertId = String(
        (reply.args.blocks as { type: string; elements?: { value: string }[] }[]).find((b) => b.type === 'actions')!.elements![0]!.value,
      );
      expect(alertId).toMatch(/^\d+$/);

      // Slack retries the same event, and another replica sees the post under another event id.
      expect((await sendEvent(events(), signed, { event_id: `${RUN}1`, event }, { num: 1, reason: 'http_timeout' })).status).toBe(200);
      expect((await sendEvent(events(), signed, { event_id: `${RUN}2`, event })).status).toBe(200);
      await waitForLog((l) => l.msg === 'duplicate delivery ignored' && l.reqId === `${RUN}1`);
      await waitForLog((l) => l.msg === 'alert recorded' && l.reqId === `${RUN}2` && l.outcome === 'duplicate');
      expect(slack.thread(ALERT_CHANNEL, postTs)).toHaveLength(2); // the post and one reply
      expect(slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === postTs)).toHaveLength(1);
    }, 30_000);

    it('Acknowledge updates the reply in place; a second click answers who already acknowledged', async () => {
      const res = await click('alert_acknowledge', alertId, { channel: ALERT_CHANNEL, messageTs: replyTs, threadTs: postTs });
      expect(res.status).toBe(200);
      const update = await slack.waitForCall('chat.update', (c) => c.args.ts === replyTs && blocksOf(c).includes('Acknowledged'), 10_000);
      expect(blocksOf(update)).toContain('by <@U0ONCALL01>');
      expect(blocksOf(update)).toMatch(/after firing, within the P1 SLA of 15 min/);
      expect(actionIds(update.args.blocks)).not.toContain('alert_acknowledge');
      const shown = slack.thread(ALERT_CHANNEL, postTs);
      expect(shown).toHaveLength(2);
      expect(JSON.stringify(shown[1]!.blocks)).toContain('Acknowledged');

      await click('alert_acknowledge', alertId, { channel: ALERT_CHANNEL, messageTs: replyTs, threadTs: postTs }, 'U0ONCALL02');
      const answer = await waitForAnswer(slack, (c) => String(c.args.text).includes('already acknowledged'), 10_000);
      expect(isEphemeral(answer)).toBe(true);
      expect(String(answer.args.text)).toContain('already acknowledged by <@U0ONCALL01>');
    }, 30_000);

    it('refuses a button value that is not an alert id, ephemerally', async () => {
      await click('alert_acknowledge', '1 OR 1=1', { channel: ALERT_CHANNEL, messageTs: replyTs, threadTs: postTs });
      const answer = await waitForAnswer(slack, (c) => String(c.args.text).includes('does not belong to an alert'), 10_000);
      expect(isEphemeral(answer)).toBe(true);
    });

    it('Silence 1 h of a P0 alert asks a responder to approve, then creates a silence in the real Alertmanager with the alert labels as exact matchers', async () => {
      const silences = async () =>
        (await (await fetch(`${alertmanager.url}/api/v2/silences`)).json()) as {
          createdBy: string;
          comment: string;
          matchers: { name: string; value: string; isRegex: boolean }[];
        }[];
      // The same Alertmanager post for DaemonNotRunning, a P0 in the catalog.
      const envelope = JSON.parse(
        JSON.stringify(fixture('slack/event-alertmanager-bot-message.json')).replace(/StuckDetected/g, 'DaemonNotRunning'),
      );
      const p0Ts = slack.seedThread(ALERT_CHANNEL, [{ ...envelope.event, ts: `${Math.floor(Date.now() / 1000)}.000200`, user: undefined }]);
      expect(
        (await sendEvent(events(), signed, { event_id: `${RUN}P0`, event: { ...envelope.event, ts: p0Ts, event_ts: p0Ts } })).status,
      ).toBe(200);
      const p0Reply = await slack.waitForCall('chat.postMessage', (c) => c.args.thread_ts === p0Ts, 10_000);
      expect(blocksOf(p0Reply)).toContain('P0 (critical)');
      const p0AlertId = String(
        (p0Reply.args.blocks as { type: string; elements?: { value: string }[] }[]).find((b) => b.type === 'actions')!.elements![0]!.value,
      );
      await click('alert_silence', p0AlertId, {
        channel: ALERT_CHANNEL,
        messageTs: (p0Reply.response as { ts: string }).ts,
        threadTs: p0Ts,
      });
      const why = await waitForAnswer(slack, (c) => String(c.args.text).includes('needs an approval'), 10_000);
      expect(String(why.args.text)).toContain('the alert is P0');
      const approval = await slack.waitForCall(
        'chat.postMessage',
        (c) => c.args.thread_ts === p0Ts && String(c.args.text).startsWith('Approval needed'),
        10_000,
      );
      expect(JSON.stringify(approval.args.blocks)).toContain('Silence DaemonNotRunning for 1 h');
      expect((await silences()).filter((s) => s.createdBy.includes('U0ONCALL01'))).toEqual([]);
      const approve = String(
        (approval.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
          .flatMap((b) => b.elements ?? [])
          .find((e) => e.action_id === 'remediation_approve')!.value,
      );
      const approvalTs = (approval.response as { ts: string }).ts;
      await click('remediation_approve', approve, { channel: ALERT_CHANNEL, messageTs: approvalTs, threadTs: p0Ts }, 'U0ONCALL02');
      await slack.waitForCall(
        'chat.postMessage',
        (c) => c.args.thread_ts === p0Ts && String(c.args.text).includes('succeeded (approved by <@U0ONCALL02>)'),
        20_000,
      );
      const ours = (await silences()).find((s) => s.createdBy.includes('requested by U0ONCALL01'));
      expect(ours?.createdBy).toBe('incident-bot (requested by U0ONCALL01, approved by U0ONCALL02)');
      expect(ours?.comment).toContain('Silenced from Slack by U0ONCALL01 for 1 h');
      expect(ours?.matchers).toEqual(
        expect.arrayContaining([
          { name: 'alertname', value: 'DaemonNotRunning', isRegex: false, isEqual: true },
          { name: 'instance', value: 'worker-7', isRegex: false, isEqual: true },
        ]),
      );
    }, 30_000);

    it('Diagnose runs the runbook in the alert thread', async () => {
      await click('alert_diagnose', alertId, { channel: ALERT_CHANNEL, messageTs: replyTs, threadTs: postTs });
      const first = await slack.waitForCall(
        'chat.postMessage',
        (c) => c.args.thread_ts === postTs && /Diagnos/.test(String(c.args.text)),
        10_000,
      );
      expect(String(first.args.text)).toContain('StuckDetected');
    }, 30_000);

    it('Open incident opens one linked to the alert, with the alert severity, and posts the notification', async () => {
      await click('alert_open_incident', alertId, { channel: ALERT_CHANNEL, messageTs: replyTs, threadTs: postTs });
      const note = await slack.waitForCall(
        'chat.postMessage',
        (c) => c.args.channel === ALERT_CHANNEL && !c.args.thread_ts && String(c.args.text).includes('INCIDENT: StuckDetected'),
        10_000,
      );
      expect(String(note.args.text)).toMatch(/\*Incident ID:\* INC-\d{14}/);
      expect(String(note.args.text)).toContain('*Severity:* P1 (high)');
      const refreshed = await slack.waitForCall(
        'chat.update',
        (c) => c.args.ts === replyTs && /incident INC-\d{14}/.test(blocksOf(c)),
        10_000,
      );
      expect(actionIds(refreshed.args.blocks)).not.toContain('alert_open_incident');
    }, 20_000);
  });

  describe('/incident', () => {
    const CH = 'C0OPS';
    let notificationTs: string;
    let incidentId: string;
    let modalTs: string;
    const command = (text: string, channel = CH, user = 'U0ONCALL01') => h.command(text, { channel, user });
    const threadPost = (predicate: (text: string) => boolean) =>
      slack.waitForCall(
        'chat.postMessage',
        (c) => c.args.channel === CH && c.args.thread_ts === notificationTs && predicate(String(c.args.text)),
        10_000,
      );

    it('open posts the notification from the template with an INC-YYYYMMDDHHMMSS id', async () => {
      expect((await command('open Database down P1')).status).toBe(200);
      const note = await slack.waitForCall(
        'chat.postMessage',
        (c) => c.args.channel === CH && String(c.args.text).includes('INCIDENT: Database down'),
        10_000,
      );
      notificationTs = (note.response as { ts: string }).ts;
      const text = String(note.args.text);
      incidentId = /INC-\d{14}/.exec(text)![0];
      const now = new Date().toISOString().slice(0, 10).replace(/-/g, '');
      expect(incidentId.startsWith(`INC-${now}`)).toBe(true);
      expect(text).toContain('*Severity:* P1 (high)');
      expect(text).toContain('*Current Status:* Investigating');
      expect(text).toContain('*Next Update:* In 30 minutes');
    }, 20_000);

    it('update, sev, ack and resolve post into the incident thread; status answers ephemerally', async () => {
      await command('update Failing over to the replica');
      expect(await threadPost((t) => t.includes('UPDATE: Database down') && t.includes('Failing over to the replica'))).toBeDefined();

      await command('sev P0');
      expect(String((await threadPost((t) => t.includes('severity changed'))).args.text)).toContain('from P1 to *P0*');

      await command(`ack ${incidentId}`);
      expect(String((await threadPost((t) => t.includes('acknowledged by'))).args.text)).toContain('<@U0ONCALL01>');

      await command('status');
      const status = await waitForAnswer(slack, (c) => String(c.args.text).startsWith(`${incidentId}:`), 10_000);
      expect(isEphemeral(status)).toBe(true);
      expect(blocksOf(status)).toContain('Failing over to the replica');

      await command(`resolve ${incidentId} root_cause="primary disk full" resolution="Replica promoted"`);
      const resolved = await threadPost((t) => t.includes('RESOLVED: Database down'));
      expect(String(resolved.args.text)).toContain(`*Incident ID:* ${incidentId}`);
      expect(String(resolved.args.text)).toContain('*Root Cause:* primary disk full');
      expect(String(resolved.args.text)).toContain('*Resolution:* Replica promoted');
      expect(resolved.args.reply_broadcast).toBeTruthy();
      expect(actionIds(resolved.args.blocks)).toEqual(['postmortem_draft']); // P0: the post-mortem is offered
      // The opening notification shows the final state.
      await slack.waitForCall(
        'chat.update',
        (c) => c.args.ts === notificationTs && String(c.args.text).includes('*Current Status:* Resolved'),
        10_000,
      );
      expect(slack.messages(CH).find((m) => m.ts === notificationTs)?.text).toContain('*Current Status:* Resolved');
    }, 40_000);

    it('a second resolve answers the conflict ephemerally, as the service words it', async () => {
      await command(`resolve ${incidentId}`);
      const answer = await waitForAnswer(slack, (c) => String(c.args.text).includes('is already resolved'), 10_000);
      expect(isEphemeral(answer)).toBe(true);
    });

    it('without an ID and no active incident in the channel, asks for one', async () => {
      await command('update nothing here', 'C0EMPTY');
      const answer = await waitForAnswer(slack, (c) => String(c.args.text).includes('no active incident in this channel'), 10_000);
      expect(isEphemeral(answer)).toBe(true);
    });

    it('escapes the title: <!channel> in it is shown, never a ping', async () => {
      await command('open <!channel> is down P3', 'C0ESCAPE');
      const note = await slack.waitForCall('chat.postMessage', (c) => c.args.channel === 'C0ESCAPE', 10_000);
      expect(String(note.args.text)).toContain('&lt;!channel&gt; is down');
      expect(JSON.stringify(note.args)).not.toContain('<!channel>');
    });

    it('open without arguments shows the modal; its submission opens the incident', async () => {
      const trigger = newTriggerId();
      await sendSlashCommand(events(), signed, {
        text: 'open',
        channel_id: 'C0MODAL',
        trigger_id: trigger,
        response_url: slack.responseUrl(),
      });
      const opened = await slack.waitForCall('views.open', (c) => c.args.trigger_id === trigger, 10_000);
      const view = opened.args.view as { callback_id: string; private_metadata: string };
      expect(view.callback_id).toBe('incident_open');

      const submission = fixture('slack/view-submission.json');
      const empty = structuredClone(submission);
      empty.view.private_metadata = view.private_metadata;
      empty.view.state.values.title.value.value = '  ';
      const refused = await sendInteraction(events(), signed, empty);
      expect(refused.json).toEqual({ response_action: 'errors', errors: { title: 'Give the incident a title.' } });

      submission.view.private_metadata = view.private_metadata;
      expect((await sendInteraction(events(), signed, submission)).status).toBe(200);
      const note = await slack.waitForCall('chat.postMessage', (c) => c.args.channel === 'C0MODAL', 10_000);
      modalTs = (note.response as { ts: string }).ts;
      expect(String(note.args.text)).toContain('INCIDENT: Checkout latency above 2s');
      expect(String(note.args.text)).toContain('*Severity:* P1 (high)');
    }, 20_000);

    it('📌 on a thread message and the "Add to timeline" shortcut put messages on the timeline', async () => {
      await command('update Error rate back to 0.1%', 'C0MODAL');
      const update = await slack.waitForCall(
        'chat.postMessage',
        (c) => c.args.channel === 'C0MODAL' && c.args.thread_ts === modalTs,
        10_000,
      );
      const updateTs = (update.response as { ts: string }).ts;

      const reaction = {
        type: 'reaction_added',
        user: 'U0ONCALL02',
        reaction: 'pushpin',
        item: { type: 'message', channel: 'C0MODAL', ts: updateTs },
        item_user: 'U0INCIDENTBOT',
        event_ts: `${Date.now() / 1000}`,
      };
      expect((await sendEvent(events(), signed, { event_id: `${RUN}PIN`, event: reaction })).status).toBe(200);
      await slack.waitForCall('reactions.add', (c) => c.args.timestamp === updateTs && c.args.name === 'white_check_mark', 10_000);

      const responseUrl = slack.responseUrl({ channel: 'C0MODAL', userId: 'U0ONCALL03' });
      await sendInteraction(events(), signed, {
        type: 'message_action',
        callback_id: 'timeline_add',
        trigger_id: newTriggerId(),
        response_url: responseUrl,
        action_ts: `${Date.now() / 1000}`,
        team: { id: 'T0EMULATED', domain: 'emulated' },
        user: { id: 'U0ONCALL03', name: 'carol', team_id: 'T0EMULATED' },
        channel: { id: 'C0MODAL', name: 'modal' },
        message_ts: updateTs,
        message: { type: 'message', user: 'U0ONCALL01', ts: '1763802000.999999', thread_ts: modalTs, text: 'Rolled back the 10:05 deploy' },
        token: 'legacy-verification-token',
        is_enterprise_install: false,
      });
      const ok = await waitForAnswer(slack, (c) => String(c.args.text).includes('Added to the timeline of INC-'), 10_000);
      expect(isEphemeral(ok)).toBe(true);

      await command('status', 'C0MODAL');
      const status = await waitForAnswer(
        slack,
        (c) => String(c.args.text).includes(': open, P1') && blocksOf(c).includes('Rolled back'),
        10_000,
      );
      expect(blocksOf(status)).toContain('<@U0ONCALL02>: :arrows_counterclockwise: *UPDATE');
      expect(blocksOf(status)).toContain('<@U0ONCALL03>: Rolled back the 10:05 deploy');
    }, 30_000);
  });

  describe('POST /webhooks/alertmanager', () => {
    const post = (body: string) =>
      fetch(`${bot.url}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
        body,
      });

    it('posts the alert in the routed channel once, and edits that post when it resolves', async () => {
      const firing = readFileSync(path.join(FIXTURES, 'alertmanager/webhook-firing.json'), 'utf8');
      const res = await post(firing);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ accepted: 1, rejected: [], alerts: [{ fingerprint: '75c90cb38f76d1c6', outcome: 'new' }] });
      const posted = await slack.waitForCall('chat.postMessage', (c) => c.args.channel === WEBHOOK_CHANNEL, 10_000);
      const ts = (posted.response as { ts: string }).ts;
      expect(blocksOf(posted)).toContain('[FIRING] StuckDetected');
      expect(blocksOf(posted)).toContain('Agent agent-7 has been stuck for more than 10 minutes');
      expect(actionIds(posted.args.blocks)).toContain('alert_acknowledge');

      // Alertmanager delivering the same notification again: no second post.
      expect(await (await post(firing)).json()).toMatchObject({ alerts: [{ outcome: 'duplicate' }] });

      const resolved = await post(readFileSync(path.join(FIXTURES, 'alertmanager/webhook-resolved.json'), 'utf8'));
      expect(resolved.status).toBe(200);
      const edit = await slack.waitForCall(
        'chat.update',
        (c) => c.args.channel === WEBHOOK_CHANNEL && c.args.ts === ts && blocksOf(c).includes('RESOLVED'),
        10_000,
      );
      expect(blocksOf(edit)).toContain('[RESOLVED] StuckDetected');
      expect(slack.callsTo('chat.update').filter((c) => c.args.ts === ts)).toHaveLength(1); // the duplicate edited nothing
      expect(actionIds(edit.args.blocks)).toEqual([]);
      expect(slack.messages(WEBHOOK_CHANNEL)).toHaveLength(1);
    }, 20_000);

    it('answers 400 with a reason for bad JSON and for a payload that is not a v4 webhook', async () => {
      const bad = await post('{"version": "4", ');
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/not JSON/);
      const wrong = await post(JSON.stringify({ version: '3', alerts: [] }));
      expect(wrong.status).toBe(400);
      expect(((await wrong.json()) as { error: string }).error).toMatch(/not an Alertmanager webhook/);
    });

    it('lists a malformed alert in the answer and still delivers the others', async () => {
      const body = fixture('alertmanager/webhook-firing.json');
      body.groupKey = '{}:{alertname="Mixed"}';
      body.alerts = [
        { ...body.alerts[0], labels: { alertname: 'MixedGood', team: 'other' }, fingerprint: 'aaaa0000bbbb1111' },
        { ...body.alerts[0], labels: { team: 'other' }, fingerprint: 'cccc2222dddd3333' },
      ];
      const res = await post(JSON.stringify(body));
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { accepted: number; rejected: unknown[] };
      expect(answer.accepted).toBe(1);
      expect(answer.rejected).toEqual([{ index: 1, message: expect.stringContaining('alertname') }]);
      await slack.waitForCall('chat.postMessage', (c) => c.args.channel === 'C0DEFAULT' && blocksOf(c).includes('MixedGood'), 10_000);
    });
  });

  it('real Prometheus → real Alertmanager → the bot: the alert is posted in its routed channel', async () => {
    exporter = await startExporter();
    exporter.set('pipeline_up', {}, 1);
    prometheus = await startPrometheus({
      scrapeTargets: [{ job: 'pipeline', target: exporter.hostPort }],
      alertmanagerUrl: alertmanager.url,
      rules: [
        'groups:',
        '  - name: e2e',
        '    rules:',
        '      - alert: BotPipelineCheck',
        // Not vector(1): that fires on the first evaluation, before Prometheus's notifier has its Alertmanager,
        // and the next send waits for the 1 min resend delay. A scraped series fires a second later, when it has.
        '        expr: pipeline_up > 0',
        '        for: 0s',
        '        labels: { severity: warning, team: pipeline }',
        '        annotations: { summary: "Prometheus fired this at the bot" }',
      ].join('\n'),
    });
    await prometheus.waitForSeries('ALERTS{alertname="BotPipelineCheck",alertstate="firing"}', 20_000);
    const posted = await slack
      .waitForCall('chat.postMessage', (c) => c.args.channel === PIPELINE_CHANNEL, 30_000)
      .catch(async (err: Error) => {
        throw new Error(
          `${err.message}\nAM alerts: ${await (await fetch(`${alertmanager.url}/api/v2/alerts`)).text()}\nAlertmanager: ${alertmanager.logs().slice(-2000)}\nPrometheus: ${prometheus?.logs().slice(-2000)}\nbot: ${JSON.stringify(
            bot
              .logs()
              .filter((l) => String(l.msg).includes('ebhook'))
              .slice(-5),
          )}`,
        );
      });
    expect(blocksOf(posted)).toContain('[FIRING] BotPipelineCheck');
    expect(blocksOf(posted)).toContain('P2 (medium)');
    expect(blocksOf(posted)).toContain('Prometheus fired this at the bot');
    expect(slack.unknownMethods).toEqual([]);
  }, 60_000);
});
