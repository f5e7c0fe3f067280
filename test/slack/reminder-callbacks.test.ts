import { WebClient } from '@slack/web-api';
import pino from 'pino';
import { createManualClock } from '../../src/clock';
import { createMemoryCoordination } from '../../src/coordination/memory-coordination';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { createReminderCallbacks } from '../../src/slack/listeners/incident-subcommands';
import { createSlackPoster } from '../../src/slack/slack-poster';
import type { AlertRecord } from '../../src/domain/alert';
import type { Incident } from '../../src/domain/incident';

/** What the reminder loop's callbacks post, through the poster, as the emulator's channel shows it. */
describe('reminder and escalation callbacks', () => {
  let slack: SlackEmulator;
  const clock = createManualClock('2026-01-11T10:40:00Z');
  const logged: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
  let callbacks: ReturnType<typeof createReminderCallbacks>;

  beforeAll(async () => {
    slack = await startSlackEmulator();
    const client = new WebClient('xoxb-test-token', { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
    const poster = createSlackPoster({ client, coordination: createMemoryCoordination(), logger, sleep: async () => undefined });
    callbacks = createReminderCallbacks({ poster, logger, clock });
  });
  afterAll(async () => slack.close());

  it('reminds the incident thread that a status update is overdue: P2/P3 in the thread, P0/P1 also in the channel, naming the lead', async () => {
    const threadTs = slack.seedThread('C0OPS', [{ text: 'INCIDENT: Database down' }]);
    const inc = {
      id: 'INC-20260111100200',
      severity: 'P2',
      channelId: 'C0OPS',
      threadTs,
      createdBy: 'U0OPENER',
      acknowledgedBy: null,
      createdAt: new Date('2026-01-11T10:02:00Z'),
      lastUpdateAt: new Date('2026-01-11T10:05:00Z'),
    } as Incident;
    await callbacks.remind(inc);
    await callbacks.remind({ ...inc, severity: 'P1', acknowledgedBy: 'U0LEAD' });
    const replies = slack.thread('C0OPS', threadTs);
    expect(replies.map((r) => r.text)).toEqual([
      'INCIDENT: Database down',
      ':alarm_clock: Status update overdue for *INC-20260111100200* (P2): last update 2026-01-11 10:05 UTC; post one with `/incident update <text>`',
      ':alarm_clock: <@U0LEAD> Status update overdue for *INC-20260111100200* (P1): last update 2026-01-11 10:05 UTC; post one with `/incident update <text>`',
    ]);
    const posts = slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === threadTs);
    expect(posts.map((c) => Boolean(c.args.reply_broadcast))).toEqual([false, true]);
  });

  it('pages the escalation target in the alert thread (user groups and users), and refuses anything else', async () => {
    const postTs = slack.seedThread('C0INCIDENTS', [{ text: '[FIRING:1] StuckDetected', bot_id: 'B0ALERTMGR' }]);
    const alert = {
      id: 7,
      name: 'StuckDetected',
      severity: 'P0',
      startsAt: new Date('2026-01-11T10:30:00Z'),
      channelId: 'C0INCIDENTS',
      messageTs: postTs,
    } as AlertRecord;
    await callbacks.escalate(alert, { level: 1, name: 'L1', targets: ['S0ONCALL'], afterMinutes: 0 }, 'S0ONCALL');
    await callbacks.escalate(alert, { level: 2, name: 'L2', targets: ['U0LEAD'], afterMinutes: 15 }, 'U0LEAD');
    await callbacks.escalate(alert, { level: 3, name: 'L3', targets: ['!channel'], afterMinutes: 30 }, '!channel');
    const replies = slack.thread('C0INCIDENTS', postTs).slice(1);
    expect(replies.map((r) => r.text)).toEqual([
      ':rotating_light: *Escalation L1* <!subteam^S0ONCALL>: P0 alert *StuckDetected* has been unacknowledged for 10 min (SLA 5 min). Acknowledge it with the button above.',
      ':rotating_light: *Escalation L2* <@U0LEAD>: P0 alert *StuckDetected* has been unacknowledged for 10 min (SLA 5 min). Acknowledge it with the button above.',
    ]);
    expect(logged).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ alertId: 7, msg: 'escalation target is not a Slack user or user-group id; not paged' }),
      ]),
    );
    expect(slack.unknownMethods).toEqual([]);
  });
});
