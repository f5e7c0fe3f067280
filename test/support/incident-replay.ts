import fs from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import YAML from 'yaml';
import { createApp, type BotApp } from '../../src/app';
import { createManualClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { startSlackEmulator, type EmulatedMessage, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { sendInteraction, sendSigned, sendSlashCommand } from '../../src/emulator/slack-signing';
import { blockActionsPayload, messageEventBody } from '../../src/playground/slack-payloads';
import { createMigratedDatabase } from './migrated-database';

/** One incident thread as people and alerts wrote it, with the answer a reviewer expects from the draft. */
export interface IncidentFixture {
  title: string;
  date: string;
  channel: string;
  users: Record<string, string>;
  steps: FixtureStep[];
  answer: FixtureAnswer;
}

export type FixtureStep = { at: string } & (
  | { who: string; say: string; in: string; id?: string }
  | { alert: string; name: string; summary?: string; labels: Record<string, string> }
  | { resolved: string }
  | { who: string; click: 'acknowledge' | 'open_incident'; alert: string }
  | { who: string; command: string }
);

export interface FixtureAnswer {
  severity_at_detection: string;
  metrics: {
    start: string;
    detected: string;
    acknowledged: string;
    acknowledged_by: string;
    mitigated: string;
    resolved: string;
    time_to_acknowledge_min: number;
    time_to_resolve_min: number;
    impact_duration_min: number;
    sla: 'met' | 'missed';
  };
  root_cause: string;
  action_items: Array<{ owner: string; match: string }>;
  timeline: Array<{ at: string; match: string }>;
}

/** The incident threads (compiled bench code runs from dist-bench/test/support, the tests from test/support). */
export const FIXTURE_DIR = path.resolve(
  __dirname,
  __dirname.includes('dist-bench') ? '../../../test/fixtures/incidents' : '../fixtures/incidents',
);

export async function loadFixtures(dir = FIXTURE_DIR): Promise<Array<{ name: string; fixture: IncidentFixture }>> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(
    files.map(async (f) => ({
      name: f.replace(/\.yaml$/, ''),
      fixture: YAML.parse(await fs.readFile(path.join(dir, f), 'utf8')) as IncidentFixture,
    })),
  );
}

const SECRET = 'bench-postmortem-replay';
const TOKEN = 'xoxb-test-token';
const ALERTMANAGER_BOT_ID = 'B0ALERTMGR';
const WORKSPACE = 'https://emulated.slack.com';

/**
 * Replays a fixture through the bot: createApp (the bot main.ts starts, on real PostgreSQL) in this process with a
 * clock the replay sets to each step's time, and the Slack emulator on the same clock. People's messages are posted
 * in the emulator as Slack stores them; alerts arrive as Alertmanager's Slack posts and their `message` events;
 * clicks and `/incident` commands are signed requests to the bot. At the end `/incident postmortem` is sent and the
 * uploaded Markdown file is returned.
 */
/** What a caller can do once the thread is replayed and drafted: click a button of a message, send a command. */
export interface ReplayContext {
  slack: SlackEmulator;
  channel: string;
  incidentId: string;
  clock: ReturnType<typeof createManualClock>;
  click(who: string, message: EmulatedMessage, action: { actionId: string; value?: string; blockId?: string }): Promise<void>;
  command(who: string, text: string): Promise<void>;
  /** Waits until the bot has made no Slack call for a quarter of a second. */
  settle(): Promise<void>;
}

export async function replayFixture(
  fixture: IncidentFixture,
  opts: { afterDraft?: (ctx: ReplayContext) => Promise<void> } = {},
): Promise<{ markdown: string; incidentId: string; refused: string[] }> {
  const at = (hhmmss: string) => new Date(`${fixture.date}T${hhmmss.length === 5 ? `${hhmmss}:00` : hhmmss}Z`);
  const clock = createManualClock(at(fixture.steps[0]!.at));
  const slack = await startSlackEmulator({ botToken: TOKEN, clock: () => clock.now().getTime() });
  for (const [name, id] of Object.entries(fixture.users)) slack.addUser({ id, name, real_name: name, tz: 'UTC' });
  const database = await createMigratedDatabase('bench_pm_replay');
  await database.db.close();
  let bot: BotApp | undefined;
  try {
    const config = loadConfig({
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      DATABASE_URL: database.url,
      PORT: '0',
      LOG_LEVEL: 'error',
      SHUTDOWN_TIMEOUT_MS: '2000',
      // The fixture threads are incidents run in the alert channel's thread, as their teams ran them.
      INCIDENT_CHANNELS: 'off',
    });
    bot = await createApp(config, { clock, logger: pino({ level: 'silent' }), host: '127.0.0.1', env: {} });
    const events = `http://127.0.0.1:${await bot.start()}/slack/events`;
    const channel = fixture.channel;
    const named = new Map<string, string>();
    const alerts = new Map<string, { ts: string; labels: Record<string, string>; name: string; summary?: string }>();
    let incidentId = '';
    let incidentTs = '';
    const refused: string[] = [];

    const settle = async (): Promise<void> => {
      let seen = -1;
      const until = Date.now() + 15_000;
      while (Date.now() < until) {
        await new Promise((r) => setTimeout(r, 250));
        if (slack.calls.length === seen) return;
        seen = slack.calls.length;
      }
    };
    const people = new Set(Object.values(fixture.users));
    const findIncident = () => {
      for (const m of slack.messages(channel)) {
        if (m.bot_id === ALERTMANAGER_BOT_ID || (m.user && people.has(m.user))) continue;
        const id = /INC-\d{14}/.exec(m.text ?? '')?.[0];
        if (id) {
          incidentId = id;
          incidentTs = m.ts;
          return;
        }
      }
    };
    const threadOf = (where: string): string | undefined => {
      if (where === 'channel') return undefined;
      if (where === 'incident') return incidentTs || undefined;
      if (where.startsWith('alert:')) return alerts.get(where.slice(6))?.ts;
      if (where.startsWith('thread:')) return named.get(where.slice(7));
      throw new Error(`unknown place ${where}`);
    };
    const userOf = (who: string) => ({ id: fixture.users[who]!, name: who, real_name: who });
    const alertPost = (a: { name: string; summary?: string; labels: Record<string, string> }, state: 'FIRING' | 'RESOLVED') => {
      const labels: Record<string, string> = { alertname: a.name, ...a.labels };
      const values = Object.entries(labels)
        .filter(([k]) => k !== 'alertname')
        .map(([, v]) => v)
        .join(' ');
      const title = `[${state}${state === 'FIRING' ? ':1' : ''}] ${a.name} (${values})`;
      const text = [
        `*Alert:* ${a.name} - \`${labels.severity ?? 'warning'}\``,
        `*Summary:* ${a.summary ?? `${a.name} is firing`}`,
        '*Details:*',
        ...Object.entries(labels).map(([k, v]) => `  • *${k}:* \`${v}\``),
        '',
      ].join('\n');
      return {
        text: '',
        username: 'Alertmanager',
        bot_id: ALERTMANAGER_BOT_ID,
        subtype: 'bot_message',
        attachments: [
          {
            color: state === 'FIRING' ? 'a30200' : '2eb886',
            fallback: title,
            title,
            title_link: 'http://alertmanager.internal:9093/#/alerts',
            text,
            mrkdwn_in: ['text'],
          },
        ],
      };
    };
    const deliver = async (m: EmulatedMessage) => {
      await sendSigned(events, { signingSecret: SECRET }, JSON.stringify(messageEventBody(m)), 'application/json');
    };

    for (const step of fixture.steps) {
      clock.set(at(step.at));
      if ('say' in step) {
        const thread = threadOf(step.in);
        if (step.in !== 'channel' && !thread) throw new Error(`${step.at}: nothing to reply to in ${step.in}`);
        const m = slack.postAs(channel, { user: fixture.users[step.who]!, text: step.say, ...(thread ? { thread_ts: thread } : {}) });
        if (step.id) named.set(step.id, m.ts);
        continue;
      }
      if ('alert' in step && 'name' in step) {
        const m = slack.postAs(channel, alertPost(step, 'FIRING') as never);
        alerts.set(step.alert, { ts: m.ts, labels: step.labels, name: step.name, ...(step.summary ? { summary: step.summary } : {}) });
        await deliver(m);
      } else if ('resolved' in step) {
        const a = alerts.get(step.resolved)!;
        await deliver(slack.postAs(channel, alertPost(a, 'RESOLVED') as never));
      } else if ('click' in step) {
        const a = alerts.get(step.alert)!;
        const actionId = step.click === 'acknowledge' ? 'alert_acknowledge' : 'alert_open_incident';
        const reply = slack.thread(channel, a.ts).find((m) => JSON.stringify(m.blocks ?? []).includes(actionId));
        if (!reply) throw new Error(`${step.at}: the bot's reply to alert ${step.alert} has no ${actionId} button`);
        const button = findAction(reply.blocks, actionId)!;
        const payload = blockActionsPayload({
          user: userOf(step.who),
          channel: { id: channel, name: channel.toLowerCase() },
          message: reply,
          ephemeral: false,
          action: { actionId, value: button.value, ...(button.block_id ? { blockId: button.block_id } : {}) },
          responseUrl: slack.responseUrl({ channel, messageTs: reply.ts, userId: fixture.users[step.who]! }),
          nowMs: clock.now().getTime(),
        });
        await sendInteraction(events, { signingSecret: SECRET }, payload);
      } else if ('command' in step) {
        const text = step.command
          .replace(
            /\{permalink:([\w-]+)\}/g,
            (_m, key: string) => `${WORKSPACE}/archives/${channel}/p${alerts.get(key)!.ts.replace('.', '')}`,
          )
          .replace(/\{INC\}/g, incidentId);
        const user = fixture.users[step.who]!;
        const before = slack.ephemeralMessages(channel).length;
        const res = await sendSlashCommand(
          events,
          { signingSecret: SECRET },
          { text, channel_id: channel, user_id: user, user_name: step.who, response_url: slack.responseUrl({ channel, userId: user }) },
        );
        await settle();
        const answers = [
          res.body,
          ...slack
            .ephemeralMessages(channel)
            .slice(before)
            .map((e) => e.text ?? ''),
        ].filter((t) => t && t.trim());
        const refusal = answers.find((t) => /not an \/incident subcommand|not possible|is not|usage|Sorry/i.test(t));
        if (refusal) refused.push(`${step.at} /incident ${text.slice(0, 40)}: ${refusal.slice(0, 120)}`);
      }
      await settle();
      if (!incidentTs) findIncident();
    }
    if (!incidentId) throw new Error('no incident was opened');
    clock.advance(5 * 60_000);
    const user = Object.values(fixture.users)[0]!;
    await sendSlashCommand(
      events,
      { signingSecret: SECRET },
      { text: `postmortem ${incidentId}`, channel_id: channel, user_id: user, response_url: slack.responseUrl({ channel, userId: user }) },
    );
    await slack.waitForCall('files.completeUploadExternal', () => true, 30_000);
    const file = slack.uploadedFiles().find((f) => f.name.startsWith(`postmortem-${incidentId}`));
    if (!file) throw new Error('no draft was uploaded');
    await settle();
    if (opts.afterDraft) {
      await opts.afterDraft({
        slack,
        channel,
        incidentId,
        clock,
        settle,
        click: async (who, message, action) => {
          const payload = blockActionsPayload({
            user: userOf(who),
            channel: { id: channel, name: channel.toLowerCase() },
            message,
            ephemeral: false,
            action,
            responseUrl: slack.responseUrl({
              channel,
              messageTs: message.ts,
              userId: fixture.users[who]!,
              ...(message.thread_ts ? { threadTs: message.thread_ts } : {}),
            }),
            nowMs: clock.now().getTime(),
          });
          await sendInteraction(events, { signingSecret: SECRET }, payload);
          await settle();
        },
        command: async (who, text) => {
          const u = fixture.users[who]!;
          await sendSlashCommand(
            events,
            { signingSecret: SECRET },
            { text, channel_id: channel, user_id: u, user_name: who, response_url: slack.responseUrl({ channel, userId: u }) },
          );
          await settle();
        },
      });
    }
    return { markdown: file.bytes.toString('utf8'), incidentId, refused };
  } finally {
    await bot?.stop().catch(() => undefined);
    await slack.close();
    await database.drop();
  }
}

function findAction(blocks: unknown, actionId: string): { value?: string; block_id?: string } | undefined {
  for (const b of (blocks ?? []) as Array<{ block_id?: string; elements?: Array<{ action_id?: string; value?: string }> }>) {
    const e = b.elements?.find((x) => x.action_id === actionId);
    if (e) return { ...(e.value !== undefined ? { value: e.value } : {}), ...(b.block_id ? { block_id: b.block_id } : {}) };
  }
  return undefined;
}
