import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startSlackEmulator, type RecordedCall } from '../src/emulator/slack-emulator';
import { startBot } from '../test/support/bot-process';
import { sendEvent, sendInteraction, sendSlashCommand } from '../test/support/slack-signing';
import { type Row } from './lib';

const SECRET = 'bench-embedded-burst';
const TOKEN = 'xoxb-test-token';
const OPENS = 40;
const ALERTS = 200;
const DIAGNOSES = 10;
const DRAIN_TIMEOUT_MS = 120_000;

const RUNBOOK = `id: burst
title: Burst runbook
targets:
  svc: { kind: http, url: '\${BURST_HTTP_URL}' }
probes:
  - { id: health, title: Health, kind: http, target: svc, params: { path: /health } }
alerts:
  - { name: BurstAlert, severity: P2 }
`;

/**
 * The README's first command under bursts: the built bot on the embedded database (no DATABASE_URL, no REDIS_URL).
 * 40 concurrent `/incident open` and 200 alert posts at once (one channel each, so the bot's pacing of posts per
 * channel stays out of the figure), then 10 concurrent Diagnose clicks. For each: errors (failed answers, lost work, error logs) and
 * the time
 * until the last answer reached Slack.
 */
export async function embeddedBurstBench(): Promise<Row[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-bench-burst-'));
  const commands = path.join(dir, 'commands');
  await fs.mkdir(commands);
  await fs.writeFile(path.join(commands, 'burst.yaml'), RUNBOOK);
  const target = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const slack = await startSlackEmulator({ botToken: TOKEN });
  const bot = await startBot({
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.url,
    DATA_DIR: path.join(dir, 'data'),
    COMMANDS_DIR: commands,
    BURST_HTTP_URL: `http://127.0.0.1:${(target.address() as AddressInfo).port}`,
    LOG_LEVEL: 'warn',
  });
  const events = `${bot.url}/slack/events`;
  const signed = { signingSecret: SECRET };
  const errorLogs = () => bot.logs().filter((l) => l.level === 'error' || l.level === 'fatal').length;
  const failedAnswers = () =>
    slack.callsTo('response_url').filter((c) => /failed on our side|unavailable/.test(String(c.args.text))).length;
  /** Waits until `done()` counts `want`, or until nothing more can come; the time until the last one arrived. */
  const drain = async (t0: number, want: number, done: () => RecordedCall[]): Promise<{ got: number; ms: number }> => {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (done().length < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const calls = done();
    const last = Math.max(...calls.map((c) => c.at));
    return { got: calls.length, ms: calls.length ? last - t0 : NaN };
  };

  try {
    await bot.waitForReady(60_000);
    const rows: Row[] = [];
    const row = (measure: string, want: number, got: number, failures: number, errors: number, drainMs: number): Row => ({
      bench: 'embedded-burst',
      measure,
      value: `${want - got + failures} / ${errors} errors; drained in ${(drainMs / 1000).toFixed(2)} s`,
      target: '0 errors',
      verdict: got === want && failures === 0 && errors === 0 ? 'met' : 'missed',
    });

    // 40 people open an incident at the same moment.
    let errorsBefore = errorLogs();
    let failuresBefore = failedAnswers();
    let t0 = Date.now();
    const opens = await Promise.all(
      Array.from({ length: OPENS }, (_, i) =>
        sendSlashCommand(events, signed, {
          text: `open burst ${i} P2`,
          channel_id: `C0BURSTOPEN${i}`,
          user_id: `U0BURST${i}`,
          response_url: slack.responseUrl({ channel: `C0BURSTOPEN${i}` }),
        }),
      ),
    );
    const notified = await drain(t0, OPENS, () =>
      slack
        .callsTo('chat.postMessage')
        // Each incident gets its own channel (the default), so its notification is looked for there, not where it was opened.
        .filter((c) => /INCIDENT: burst \d+/.test(String(c.args.text))),
    );
    rows.push(
      row(
        `${OPENS} concurrent /incident open: lost or failed / error logs`,
        OPENS,
        notified.got,
        failedAnswers() - failuresBefore + opens.filter((a) => a.status !== 200).length,
        errorLogs() - errorsBefore,
        notified.ms,
      ),
    );

    // 200 Alertmanager posts at once, each in its own channel.
    errorsBefore = errorLogs();
    const stamp = Math.floor(Date.now() / 1000);
    const channel = (i: number) => `C0BURSTAL${i}`;
    t0 = Date.now();
    const posts = await Promise.all(
      Array.from({ length: ALERTS }, (_, i) => {
        const ts = `${stamp}.${String(i).padStart(6, '0')}`;
        const title = `[FIRING:1] BurstAlert (prod agent-${i} warning)`;
        return sendEvent(events, signed, {
          event_id: `EvBURST${stamp}A${i}`,
          event: {
            type: 'message',
            subtype: 'bot_message',
            text: '',
            username: 'Alertmanager',
            bot_id: 'B0ALERTMGR',
            attachments: [
              {
                fallback: title,
                title,
                text: `*Details:*\n  • *alertname:* \`BurstAlert\`\n  • *instance:* \`agent-${i}\`\n  • *severity:* \`warning\`\n`,
              },
            ],
            ts,
            channel: channel(i),
            event_ts: ts,
            channel_type: 'channel',
          },
        });
      }),
    );
    const replies = await drain(t0, ALERTS, () =>
      slack
        .callsTo('chat.postMessage')
        .filter((c) => String(c.args.channel).startsWith('C0BURSTAL') && c.args.thread_ts && c.status === 200),
    );
    rows.push(
      row(
        `${ALERTS} concurrent alert posts: lost or failed / error logs`,
        ALERTS,
        replies.got,
        posts.filter((p) => p.status !== 200).length,
        errorLogs() - errorsBefore,
        replies.ms,
      ),
    );

    // 10 on-call engineers press Diagnose on ten of those alerts at once.
    errorsBefore = errorLogs();
    failuresBefore = failedAnswers();
    const targets = slack
      .callsTo('chat.postMessage')
      .filter((c) => String(c.args.channel).startsWith('C0BURSTAL') && c.args.thread_ts && c.status === 200)
      .slice(0, DIAGNOSES)
      .map((c) => {
        const actions = (c.args.blocks as { type: string; elements?: { value?: string }[] }[]).find((b) => b.type === 'actions');
        return {
          channel: String(c.args.channel),
          threadTs: String(c.args.thread_ts),
          ts: (c.response as { ts: string }).ts,
          alertId: String(actions?.elements?.[0]?.value),
        };
      });
    t0 = Date.now();
    const clicks = await Promise.all(
      targets.map((t, i) =>
        sendInteraction(events, signed, {
          type: 'block_actions',
          user: { id: `U0DIAG${i}`, username: `diag${i}`, team_id: 'T0EMULATED' },
          team: { id: 'T0EMULATED', domain: 'emulated' },
          api_app_id: 'A0INCIDENTBOT',
          trigger_id: `1.2.${i}`,
          response_url: slack.responseUrl({ channel: t.channel, messageTs: t.ts, userId: `U0DIAG${i}` }),
          channel: { id: t.channel, name: 'burst' },
          container: { type: 'message', message_ts: t.ts, channel_id: t.channel, is_ephemeral: false, thread_ts: t.threadTs },
          message: { ts: t.ts, thread_ts: t.threadTs, type: 'message', text: '' },
          actions: [
            { type: 'button', action_id: 'alert_diagnose', block_id: 'alert', value: t.alertId, action_ts: `${Date.now() / 1000}` },
          ],
        }),
      ),
    );
    const diagnosed = await drain(t0, targets.length, () =>
      slack
        .callsTo('chat.update')
        .filter(
          (c) => targets.some((t) => t.channel === c.args.channel) && JSON.stringify(c.args.blocks).includes('Diagnosis: BurstAlert'),
        ),
    );
    rows.push(
      row(
        `${DIAGNOSES} concurrent diagnoses: lost or failed / error logs`,
        DIAGNOSES,
        targets.length === DIAGNOSES ? diagnosed.got : 0,
        failedAnswers() - failuresBefore + clicks.filter((c) => c.status !== 200).length,
        errorLogs() - errorsBefore,
        diagnosed.ms,
      ),
    );
    return rows;
  } finally {
    await bot.stop();
    await slack.close();
    target.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
