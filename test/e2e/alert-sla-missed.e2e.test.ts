import type { EmulatedMessage, SlackEmulator } from '../../src/emulator/slack-emulator';
import { startBotHarness, type BotHarness } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';

const WEBHOOK_TOKEN = 'e2e-sla-missed-webhook-token';
const CHANNEL = 'C0SLAMISSED';
const ON_CALL = 'S0ONCALL';
const MIN = 60_000;
/** How long before its P0 deadline (5 minutes after it started) the alert reaches the bot. */
const LEAD_MS = 40_000;

/**
 * An alert nobody acknowledges, through the built bot, the Slack emulator and real PostgreSQL and Redis: its card
 * first shows the deadline, then the bot's own sweep edits it in place to "SLA missed" and the escalation job pages
 * L1 in its thread, shown in the channel too. Acknowledging afterwards is recorded as outside the SLA.
 *
 * The clock is not faked: Alertmanager reports when the alert started (`startsAt`), so an alert that started 4 min
 * 20 s ago reaches its 5-minute P0 deadline 40 s after it is posted.
 */
describe('an unacknowledged alert past its response SLA', () => {
  let h: BotHarness;
  let slack: SlackEmulator;

  beforeAll(async () => {
    h = await startBotHarness({
      name: 'e2e_sla_missed',
      env: {
        INCIDENT_CHANNELS: 'off',
        ALERTMANAGER_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
        ALERTMANAGER_ROUTES: JSON.stringify([{ channel: CHANNEL }]),
        ESCALATION_L1: ON_CALL,
      },
    });
    slack = h.slack;
  }, 90_000);

  afterAll(async () => {
    await h?.stop();
  });

  /** The alert's message as people see it in the channel now, with its thread. */
  const alertMessage = (): EmulatedMessage | undefined =>
    slack.messages(CHANNEL).find((m) => JSON.stringify(m.blocks ?? []).includes('ConnectionPoolExhausted'));
  const shown = (m: EmulatedMessage | undefined) => JSON.stringify(m?.blocks ?? []);

  it('edits the card to "SLA missed" and pages L1 in its thread; a late Acknowledge says outside the SLA', async () => {
    const startsAt = new Date(Date.now() - 5 * MIN + LEAD_MS);
    const res = await h.alertmanagerWebhook(
      {
        version: '4',
        status: 'firing',
        receiver: 'incident-bot',
        groupKey: '{}:{alertname="ConnectionPoolExhausted"}',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'ConnectionPoolExhausted', severity: 'critical', job: 'memory-daemon' },
            annotations: { summary: 'every pooled connection is in use' },
            startsAt: startsAt.toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
            fingerprint: '5a1a0c0ffee00001',
          },
        ],
      },
      WEBHOOK_TOKEN,
    );
    expect({ status: res.status, body: await res.json() }).toMatchObject({
      status: 200,
      body: { accepted: 1, alerts: [{ outcome: 'new' }] },
    });
    const deadline = new Date(startsAt.getTime() + 5 * MIN).toISOString().slice(11, 16);

    // Posted before its deadline: the card says by when to acknowledge.
    const post = await slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CHANNEL && !c.args.thread_ts && JSON.stringify(c.args.blocks).includes('ConnectionPoolExhausted'),
      10_000,
    );
    const cardTs = (post.response as { ts: string }).ts;
    expect(JSON.stringify(post.args.blocks)).toContain(`*Acknowledge by:* ${deadline} UTC (P0 SLA: 5 min)`);
    expect(JSON.stringify(post.args.blocks)).not.toContain('SLA missed');

    // Past it, the same message is edited in place, buttons kept: what the channel shows.
    await waitFor('the card to show SLA missed', async () => shown(alertMessage()).includes('SLA missed'), 90_000);
    const card = alertMessage()!;
    expect(card.ts).toBe(cardTs);
    expect(card.edited).toBeDefined();
    expect(shown(card)).toContain(`:warning: *SLA missed:* not acknowledged by ${deadline} UTC (P0 SLA: 5 min)`);
    expect(shown(card)).not.toContain('Acknowledge by');
    expect(shown(card)).toContain('"action_id":"alert_acknowledge"');

    // L1 is paged in the alert's thread, and the reply is shown in the channel too.
    await waitFor(
      'the L1 page in the thread',
      async () => (alertMessage()?.replies ?? []).some((r) => r.text.includes('*Escalation L1*')),
      90_000,
    );
    const page = alertMessage()!.replies!.find((r) => r.text.includes('*Escalation L1*'))!;
    expect(page.text).toMatch(
      new RegExp(
        `^:rotating_light: \\*Escalation L1\\* <!subteam\\^${ON_CALL}>: P0 alert \\*ConnectionPoolExhausted\\* has been unacknowledged for \\d+ min \\(SLA 5 min\\)`,
      ),
    );
    expect(page.subtype).toBe('thread_broadcast');
    expect(slack.messages(CHANNEL).some((m) => m.ts === page.ts)).toBe(true);

    // Acknowledged now: the card tells how late, and the SLA line is gone.
    const alertId = /alert #(\d+)/.exec(shown(card))![1]!;
    const click = await h.click({ user: 'U0ONCALL01', channel: CHANNEL, messageTs: cardTs, actionId: 'alert_acknowledge', value: alertId });
    expect(click.status).toBe(200);
    await waitFor('the card to show the acknowledgement', async () => shown(alertMessage()).includes('*Acknowledged* by'), 15_000);
    expect(shown(alertMessage())).toMatch(/\*Acknowledged\* by <@U0ONCALL01> \d+ min after firing, outside the P0 SLA of 5 min/);
    expect(shown(alertMessage())).not.toContain('SLA missed');
  }, 150_000);
});
