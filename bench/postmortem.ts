import { LogLevel, WebClient } from '@slack/web-api';
import path from 'node:path';
import pino from 'pino';
import { createManualClock } from '../src/clock';
import { startSlackEmulator } from '../src/emulator/slack-emulator';
import { createIncidentService } from '../src/incidents/incident-service';
import { createPostmortemService, loadPostmortemTemplate } from '../src/postmortem';
import { escapeMrkdwn } from '../src/slack/blocks/mrkdwn';
import { createSlackThreadReader } from '../src/slack/slack-thread-reader';
import { createAlertStore } from '../src/store/alert-store';
import { createIncidentStore } from '../src/store/incident-store';
import { createPostmortemStore } from '../src/store/postmortem-store';
import { createTimelineStore } from '../src/store/timeline-store';
import { createMigratedDatabase } from '../test/support/migrated-database';
import { ms, summarize, type Row } from './lib';

const MESSAGES = 5_000;
const RUNS = 3;

/** A post-mortem draft from a 5,000-message thread served by the emulator (no rate-limit waits): time and peak RSS. */
export async function postmortemBench(): Promise<Row[]> {
  const silent = pino({ level: 'silent' });
  const slack = await startSlackEmulator();
  const users = ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE', 'U0ERIN'];
  users.forEach((id) => slack.addUser({ id, name: id.slice(3).toLowerCase() }));
  const { db, drop } = await createMigratedDatabase('bench_postmortem');
  const clock = createManualClock(new Date('2026-01-11T10:00:00Z'));
  const incidents = createIncidentService({
    transaction: (fn) => db.transaction(fn),
    incidents: createIncidentStore(db),
    timeline: createTimelineStore(db),
    alerts: createAlertStore(db),
    clock,
  });
  const client = new WebClient('xoxb-test-token', { slackApiUrl: slack.url, logLevel: LogLevel.ERROR });
  const postmortems = createPostmortemService({
    incidents,
    drafts: createPostmortemStore(db),
    threadReader: createSlackThreadReader({ client, logger: silent, callsPerMinute: 100_000 }),
    template: await loadPostmortemTemplate(path.resolve(__dirname, '../../templates')),
    escapeMrkdwn,
    clock,
    logger: silent,
  });

  const phrases = [
    'checking the dashboards',
    'TODO: add an index on agent_id',
    'root cause: the pool was exhausted by a leaked connection',
    'we will roll back',
    'impact: 30% of requests failed',
    '<@U0BOB> can you look?',
    '```SELECT * FROM pg_stat_activity```',
    'AI: @carol to write the runbook step',
  ];
  const messages = Array.from({ length: MESSAGES + 1 }, (_, i) => ({
    user: users[i % users.length],
    text: i === 0 ? 'INC opened: database pool exhausted' : `${phrases[i % phrases.length]} (${i})`,
    ts: `${1768125600 + i}.000100`,
  }));
  const threadTs = slack.seedThread('C0BENCH', messages);
  const inc = await incidents.open({ title: 'Pool exhausted', severity: 'P1', actor: 'U0ALICE', channelId: 'C0BENCH', threadTs });

  const times: number[] = [];
  let peak = process.memoryUsage().rss;
  const baseline = peak;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  let stats: unknown;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const d = await postmortems.draft(inc.id, { actor: 'U0ALICE' });
    times.push(performance.now() - t0);
    stats = d.stats;
  }
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  await slack.close();
  await drop();
  const t = summarize(times);
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
  return [
    {
      bench: 'postmortem',
      measure: `draft from a ${MESSAGES.toLocaleString('en')}-message thread, median / max of ${RUNS}`,
      value: `${ms(t.p50)} / ${ms(t.max)}`,
      target: '≤ 3 s',
      verdict: t.max <= 3000 ? 'met' : 'missed',
    },
    {
      bench: 'postmortem',
      measure: 'peak RSS of the process drafting it (bench process, emulator included)',
      value: `${mb(peak)} (baseline before drafting ${mb(baseline)})`,
      target: '≤ 200 MB',
      verdict: peak <= 200 * 2 ** 20 ? 'met' : 'missed',
    },
    { bench: 'postmortem', measure: 'draft stats', value: JSON.stringify(stats).slice(0, 120), target: 'info', verdict: 'info' },
  ];
}
