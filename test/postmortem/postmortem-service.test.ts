import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogLevel, WebClient } from '@slack/web-api';
import pino from 'pino';
import { Registry } from 'prom-client';
import { alertFingerprint } from '../../src/alerts/alert-event';
import { createAlertService, type AlertService } from '../../src/alerts/alert-service';
import { createMemoryCoordination } from '../../src/coordination/memory-coordination';
import { createDiagnosisMetrics, createDiagnosisRecorder } from '../../src/diagnosis';
import { createRemediationService, type RemediationService } from '../../src/remediations/remediation-service';
import { loadCatalog, type Catalog } from '../../src/runbooks';
import { diagnoseInChannel, type DiagnoseDeps } from '../../src/slack/listeners/diagnose';
import { createSlackPoster } from '../../src/slack/slack-poster';
import { createAuditStore } from '../../src/store/audit-store';
import { createRemediationStore } from '../../src/store/remediation-store';
import { createManualClock } from '../../src/clock';
import { startSlackEmulator, type EmulatedMessage, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { createIncidentService, type IncidentService } from '../../src/incidents/incident-service';
import { runPostmortemCli } from '../../src/postmortem/postmortem-cli';
import { createPostmortemService, type PostmortemService } from '../../src/postmortem/postmortem-service';
import { loadPostmortemTemplate } from '../../src/postmortem/postmortem-template';
import { escapeMrkdwn } from '../../src/slack/blocks/mrkdwn';
import { createSlackThreadReader } from '../../src/slack/slack-thread-reader';
import { createAlertStore } from '../../src/store/alert-store';
import type { Database } from '../../src/store/database';
import { createIncidentStore } from '../../src/store/incident-store';
import { createPostmortemStore } from '../../src/store/postmortem-store';
import { createTimelineStore } from '../../src/store/timeline-store';
import { createMigratedDatabase } from '../support/migrated-database';

const silent = pino({ level: 'silent' });
const TEMPLATES = join(__dirname, '..', '..', 'templates');
const COMMANDS_DIR = join(__dirname, '..', '..', 'commands');
const fixture = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'slack', 'conversations-replies-incident-thread.json'), 'utf8'),
) as {
  messages: Partial<EmulatedMessage>[];
};
const MIN = 60_000;
const T0 = new Date('2026-01-11T10:00:00Z'); // the alert starts; the fixture thread is on the same clock

let db: Database;
let dbUrl: string;
let drop: () => Promise<void>;
let slack: SlackEmulator;
let shared: string;
const WORKER = 'worker-7';
const clock = createManualClock(T0);
let incidents: IncidentService;
let alerts: AlertService;
let remediations: RemediationService;
let catalog: Catalog;
let diagnose: DiagnoseDeps;
let postmortems: PostmortemService;

beforeAll(async () => {
  ({ db, url: dbUrl, drop } = await createMigratedDatabase('postmortem_service'));
  slack = await startSlackEmulator();
  for (const [id, name] of [
    ['U0ALICE', 'alice'],
    ['U0BOB', 'bob'],
    ['U0CAROL', 'carol'],
    ['U0DAVE', 'dave'],
  ] as const)
    slack.addUser({ id, name });
  shared = await mkdtemp(join(tmpdir(), 'ib-postmortem-shared-'));
  catalog = await loadCatalog(COMMANDS_DIR, { WORKERS_SHARED_DIR: shared, WORKER_NAMES: WORKER });
  const alertStore = createAlertStore(db);
  const timeline = createTimelineStore(db);
  alerts = createAlertService({ alerts: alertStore, timeline, clock });
  incidents = createIncidentService({
    transaction: (fn) => db.transaction(fn),
    incidents: createIncidentStore(db),
    timeline,
    alerts: alertStore,
    clock,
  });
  remediations = createRemediationService({
    store: createRemediationStore(db),
    audit: createAuditStore(db),
    coordination: createMemoryCoordination(),
    clock,
    logger: silent,
    resolveTarget: ({ runbookId, target }) => catalog.runbooks.find((r) => r.id === runbookId)?.targets[target],
    timeline,
  });
  const client = new WebClient('xoxb-test-token', {
    slackApiUrl: slack.url,
    logLevel: LogLevel.ERROR,
    retryConfig: { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 20 },
  });
  diagnose = {
    catalog,
    client,
    poster: createSlackPoster({ client, coordination: createMemoryCoordination(), logger: silent }),
    logger: silent,
    metrics: createDiagnosisMetrics(new Registry()),
    now: () => clock.now(),
    onDiagnosed: createDiagnosisRecorder({ incidents }),
  };
  postmortems = createPostmortemService({
    incidents,
    drafts: createPostmortemStore(db),
    threadReader: createSlackThreadReader({ client, logger: silent }),
    template: await loadPostmortemTemplate(TEMPLATES),
    escapeMrkdwn,
    clock,
    logger: silent,
  });
}, 60_000);
afterAll(async () => {
  await slack.close();
  await drop();
  await rm(shared, { recursive: true, force: true });
});
afterEach(() => expect(slack.unknownMethods).toEqual([]));

const at = (minutes: number, seconds = 0) => clock.set(new Date(T0.getTime() + minutes * MIN + seconds * 1000));

/** Real task, lock and heartbeat files for the worker-crashes runbook's file probes and remediations. */
async function writeWorkerFiles(): Promise<void> {
  const old = new Date(T0.getTime() - 30 * MIN);
  await writeHeartbeat(new Date(T0.getTime() - 15 * MIN)); // 20 min old at the first diagnosis (10:05)
  for (const state of ['pending', 'active', 'completed', 'failed']) await mkdir(join(shared, 'tasks', WORKER, state), { recursive: true });
  await mkdir(join(shared, 'locks'), { recursive: true });
  for (const [state, n] of [
    ['pending', 2],
    ['active', 3],
  ] as const) {
    for (let i = 0; i < n; i++) {
      const file = join(shared, 'tasks', WORKER, state, `task-${state}-${i}.json`);
      await writeFile(file, JSON.stringify({ id: `${state}-${i}`, retry_count: 0 }));
      await utimes(file, old, old);
    }
  }
  const lock = join(shared, 'locks', `${WORKER}_task-active-0.lock`);
  await writeFile(lock, '4242');
  await utimes(lock, old, old);
}

const writeHeartbeat = (at: Date) =>
  mkdir(join(shared, 'workers', WORKER), { recursive: true }).then(() =>
    writeFile(join(shared, 'workers', WORKER, 'heartbeat.json'), JSON.stringify({ timestamp: at.toISOString() })),
  );

/**
 * A diagnosis as the bot runs it: the runbook's probes against the real files, posted in the thread, recorded by the production
 * recorder.
 */
async function diagnoseInThread(threadTs: string, userId: string) {
  const out = await diagnoseInChannel(diagnose, {
    alert: 'WatcherHeartbeatMissing',
    labels: { worker: WORKER },
    channel: 'C0INCIDENTS',
    threadTs,
    userId,
  });
  if (out.kind !== 'diagnosed') throw new Error(`expected a diagnosis, got ${out.kind}`);
  return out;
}

/** A remediation from the catalog, requested in the incident thread and decided by another person, as the buttons do it. */
async function remediate(id: string, threadTs: string, by: { requester: string; decider: string; approve: boolean }) {
  const runbook = catalog.runbooks.find((r) => r.id === 'worker-crashes')!;
  const incidentId = (await incidents.concerning({ channelId: 'C0INCIDENTS', threadTs }))?.id;
  const r = await remediations.request({
    declaration: runbook.remediations.find((d) => d.id === id)!,
    runbookId: runbook.id,
    labels: { worker: WORKER },
    requestedBy: by.requester,
    incidentId,
    channelId: 'C0INCIDENTS',
    threadTs,
  });
  if (r.kind !== 'created') throw new Error(`expected a request, got ${JSON.stringify(r).slice(0, 300)}`);
  return by.approve ? remediations.approve(r.request.id, by.decider) : remediations.deny(r.request.id, by.decider);
}

/** An incident opened from an alert, acknowledged, diagnosed, remediated and resolved, every step through the production services. */
async function resolvedIncidentWithEverything(): Promise<{ id: string; threadTs: string }> {
  await writeWorkerFiles();
  const threadTs = slack.seedThread('C0INCIDENTS', fixture.messages);
  clock.set(new Date(T0.getTime() + 30_000));
  const labels = { alertname: 'StuckDetected', agent: 'worker-7' };
  const recorded = await alerts.record(
    {
      name: 'StuckDetected',
      status: 'firing',
      labels,
      annotations: {},
      fingerprint: alertFingerprint('StuckDetected', labels),
      startsAt: T0,
      source: 'alertmanager-slack',
    },
    { catalogSeverity: 'P1', deliveryKey: `C0INCIDENTS:${threadTs}`, post: { channelId: 'C0INCIDENTS', ts: threadTs } },
  );
  if (recorded.kind !== 'new') throw new Error(`expected a new alert, got ${recorded.kind}`);
  at(1);
  const inc = await incidents.open({
    title: 'Workers stuck',
    severity: 'P1',
    actor: 'U0ALICE',
    channelId: 'C0INCIDENTS',
    alertId: recorded.alert.id,
  });
  await incidents.setThread(inc.id, 'C0INCIDENTS', threadTs);
  at(3);
  await incidents.acknowledge(inc.id, 'U0ALICE');
  at(3, 30);
  await alerts.acknowledge(recorded.alert.id, 'U0ALICE');
  at(5);
  await diagnoseInThread(threadTs, 'U0ALICE');
  at(6);
  await incidents.changeSeverity(inc.id, 'P0', 'U0BOB');
  at(7);
  await incidents.postStatusUpdate(inc.id, 'Restarting worker-7, <@U0CAROL> watches the queue', 'U0BOB');
  at(8);
  const requeued = await remediate('requeue-stuck-tasks', threadTs, { requester: 'U0BOB', decider: 'U0ALICE', approve: true });
  expect(requeued).toMatchObject({ kind: 'ran', outcome: 'succeeded' });
  at(9);
  expect(await remediate('remove-stale-locks', threadTs, { requester: 'U0BOB', decider: 'U0CAROL', approve: false })).toMatchObject({
    kind: 'denied',
  });
  await writeHeartbeat(new Date(T0.getTime() + 9 * MIN + 30_000));
  at(10);
  await diagnoseInThread(threadTs, 'U0BOB');
  at(12);
  await incidents.mitigate(inc.id, 'U0ALICE', 'restarted worker-7');
  at(30);
  await incidents.resolve(inc.id, {
    actor: 'U0ALICE',
    summary: 'worker-7 restarted, backlog drained',
    rootCause: 'Consumer group lock lost after the Redis failover',
  });
  return { id: inc.id, threadTs };
}

describe('PostmortemService.draft', () => {
  let id: string;
  let first: Awaited<ReturnType<PostmortemService['draft']>>;

  beforeAll(async () => {
    ({ id } = await resolvedIncidentWithEverything());
    at(45);
    first = await postmortems.draft(id, { actor: 'U0CAROL' });
  });

  it('reads the whole thread and reports what it found', () => {
    expect(first.version).toBe(1);
    expect(first.filename).toBe(`postmortem-${id}-v1.md`);
    expect(first.stats).toMatchObject({
      messages: fixture.messages.length + 2, // and the bot's two diagnoses
      pages: 1,
      timelineEvents: 16, // the alert's firing is recorded when it joins the incident
      actionItems: 5,
      rootCauseStatements: 1,
      impactStatements: 1,
      decisions: 1,
      peakValues: 10,
      participants: 3,
    });
    expect(first.stats.threadProblem).toBeUndefined();
  });

  it('has the header, times and metrics right', () => {
    const md = first.markdown;
    expect(md).toMatch(new RegExp(`^# Post-mortem: Workers stuck \\(${id}\\)`));
    expect(md).toContain('**Date:** 2026-01-11');
    expect(md).toContain('**Duration:** 30 min');
    expect(md).toContain('**Severity:** P0 (critical)');
    expect(md).toContain('**Status:** Resolved');
    expect(md).toContain('- Start of impact: 2026-01-11 10:00:00 UTC (alert fired)');
    expect(md).toContain('- Detected: 2026-01-11 10:00:00 UTC (alert StuckDetected fired)');
    expect(md).toContain('- Acknowledged: 2026-01-11 10:03:00 UTC by @alice (the incident)');
    expect(md).toContain('- Mitigated: 2026-01-11 10:12:00 UTC');
    expect(md).toContain('- Resolved: 2026-01-11 10:30:00 UTC');
    expect(md).toContain('- Time to acknowledge: 3 min (from detection)');
    expect(md).toContain('- Time to mitigate: 12 min (from detection)');
    expect(md).toContain('- Time to resolve: 30 min (from detection)');
    expect(md).toContain('- Impact duration: 12 min (start of impact to mitigation)');
    // Raised to P0 after detection: the SLA is the one of P1, the severity when it was detected.
    expect(md).toContain('- Response SLA (P1 at detection, 15 min): met (acknowledged after 3 min)');
  });

  it('takes the peak of each figure the probes reported over every diagnosis', () => {
    const peaks = section(first.markdown, 'Metrics').split('Peak values seen by the diagnostic checks:')[1]!;
    // The heartbeat was 20 min old at the first diagnosis, fresh at the second.
    expect(peaks).toContain('- Watcher heartbeat: age: 1200 s (2026-01-11 10:05 UTC)');
    // Three stuck tasks before the requeue; five pending after it.
    expect(peaks).toContain('- Tasks and locks (deadlock check): active: 3 (2026-01-11 10:05 UTC)');
    expect(peaks).toContain('- Tasks and locks (deadlock check): stuck > 10 min: 3 (2026-01-11 10:05 UTC)');
    expect(peaks).toContain('- Tasks and locks (deadlock check): pending: 5 (2026-01-11 10:10 UTC)');
    expect(peaks).toContain('- Tasks and locks (deadlock check): oldest active: 35 min (2026-01-11 10:05 UTC)');
    expect(peaks).toContain('- Tasks and locks (deadlock check): locks > 5 min: 1 (2026-01-11 10:05 UTC)');
    // The disk is the machine's real volume: its use may grow between the two diagnoses, so either may hold the peak.
    expect(peaks).toMatch(/- Disk space of the shared volume: used: [\d.]+% \(2026-01-11 10:(05|10) UTC\)/);
    expect(first.markdown).not.toContain('Peak latency: [FILL IN]');
  });

  it('merges the recorded timeline with the thread, oldest first, each thread line linked', () => {
    const timeline = section(first.markdown, 'Timeline');
    const lines = timeline.split('\n').filter((l) => l.startsWith('- **'));
    const order = [
      'alert: Alert StuckDetected fired', // at the alert's start, before the incident existed
      '@alice: Opened: Workers stuck (P1)',
      '@alice: Acknowledged',
      '@alice: Alert StuckDetected acknowledged',
      '@alice: Diagnosis of WatcherHeartbeatMissing: crit (age 1200 s, pending 2, active 3, completed 0, failed 0, stuck > 10 min 3, …)',
      '@bob: Severity P1 → P0',
      '@bob: Restarting worker-7, @carol watches the queue',
      '@bob: Remediation requested: “Move stuck active tasks back to pending” (medium risk)',
      '@alice: Remediation “Move stuck active tasks back to pending” approved',
      'bot: Remediation “Move stuck active tasks back to pending” succeeded: moved 3 of 3 tasks to tasks/worker-7/pending',
      '@bob: Remediation requested: “Remove stale lock files (> 5 min)” (low risk)',
      '@carol: Remediation “Remove stale lock files (> 5 min)” denied',
      '@bob: Diagnosis of WatcherHeartbeatMissing: warn (age 30 s, pending 5, active 0',
      '@alice: Mitigated: restarted worker-7',
      '@alice: @here worker-7 is back, tasks draining. Root cause: the consumer group lost its lock after the Redis failover _(edited)_',
      '@alice: Resolved: worker-7 restarted, backlog drained',
    ];
    let from = -1;
    for (const text of order) {
      const i = lines.findIndex((l, n) => n > from && l.includes(text));
      expect([text, i > from]).toEqual([text, true]);
      from = i;
    }
    expect(lines[0]).toMatch(/^- \*\*10:00:00\*\* alert: Alert StuckDetected fired$/);
    // Opened from the alert: "Alert StuckDetected linked" in the same second says nothing more.
    expect(timeline).not.toContain('Alert StuckDetected linked');
    // This bot's own posts are already the recorded events: not listed twice; neither is the alert's post.
    expect(timeline).not.toContain('Remediation requested* by');
    expect(timeline).not.toContain('INCIDENT: Workers stuck');
    expect(timeline).not.toContain('[FIRING:1]');
    // Discussion is counted and linked, not listed ("ack, looking", the decision, the action items, the dashboard link).
    expect(timeline).toContain(
      '… and 10 other messages of discussion in [the thread](https://emulated-t0emulated.slack.com/archives/C0INCIDENTS/p1768125630000100)',
    );
    const editedLine = lines.find((l) => l.includes('_(edited)_'))!;
    expect(editedLine).toContain(
      '([message](https://emulated-t0emulated.slack.com/archives/C0INCIDENTS/p1768126320000900?thread_ts=1768125630.000100&cid=C0INCIDENTS))',
    );
  });

  it('lists the action items with owners and links; the TODO inside a code block is not one', () => {
    const items = section(first.markdown, 'Action Items')
      .split('\n')
      .filter((l) => l.startsWith('- ['));
    expect(items.map((l) => l.replace(/ — .*$/, ''))).toEqual([
      '- [ ] Add XAUTOCLAIM on consumer start @bob (owner: @bob)',
      '- [ ] Alert on XPENDING > 1000',
      '- [ ] Document the failover in runbook 004',
      '- [ ] Review supervisor limits (owner: @alice)',
      '- [ ] Post-mortem review on Thursday',
    ]);
    expect(items[0]).toContain(
      '— said by @carol, [message](https://emulated-t0emulated.slack.com/archives/C0INCIDENTS/p1768126560001100?thread_ts=1768125630.000100&cid=C0INCIDENTS)',
    );
    expect(first.markdown).not.toContain('inside code is not an action item (owner');
  });

  it('fills root cause, impact, resolution, decisions, lessons and participants from the record and the thread', () => {
    const md = first.markdown;
    expect(section(md, 'Root Cause Analysis')).toMatch(
      /^- Recorded at resolution: Consumer group lock lost after the Redis failover\n- the consumer group lost its lock after the Redis failover — @alice, \[message\]\(https:\/\/emulated/,
    );
    expect(section(md, 'Impact')).toMatch(
      /^- Redis stream `agent:worker-7:events` is stuck, XLEN 48210\. Impact: ~1,200 customer tasks delayed & retried — @bob, \[message\]/,
    );
    expect(md).toContain('**Impact:** Redis stream `agent:worker-7:events` is stuck');
    expect(section(md, 'Resolution')).toBe(
      [
        '- Recorded at resolution: worker-7 restarted, backlog drained',
        '- 2026-01-11 10:08 UTC: Remediation “Move stuck active tasks back to pending” succeeded: moved 3 of 3 tasks to tasks/worker-7/pending (verification: 3 task files now in pending, none left in active) (bot)',
        '- 2026-01-11 10:12 UTC: Mitigated: restarted worker-7 (@alice)',
      ].join('\n'),
    );
    expect(section(md, 'Decisions')).toMatch(/^- We decided to keep the supervisor restart limit at 3\. cc @oncall in #ops — @carol/);
    expect(section(md, 'Impact').split('\n')).toHaveLength(1);
    expect(section(md, 'Lessons Learned')).toMatch(/^\*\*Lessons learned\*\*\n\n- A failover drill would have caught this — @carol/);
    expect(section(md, 'Participants')).toBe('@alice, @bob, @carol');
    expect(section(md, 'Summary')).toBe('worker-7 restarted, backlog drained');
  });

  it('leaves nothing in the draft or the summary that could ping anyone', () => {
    expect(first.markdown).not.toMatch(/<[@!#]/);
    expect(first.summary).not.toMatch(/<[@!#]/);
    expect(first.markdown).toContain('@here worker-7 is back');
  });

  it('writes a short summary for the thread', () => {
    expect(first.summary.split('\n')).toEqual([
      `:memo: *Post-mortem draft v1: Workers stuck* (${id})`,
      '*Duration:* 30 min · *Time to acknowledge:* 3 min (P1 SLA 15 min at detection: met) · *Time to resolve:* 30 min',
      'From 18 messages and 16 timeline events: 5 action items, 1 root-cause statement, 1 impact statement, 1 decision, 10 peak values.',
      '*Action items:*',
      '• Add XAUTOCLAIM on consumer start @bob (bob)',
      '• Alert on XPENDING &gt; 1000',
      '• Document the failover in runbook 004',
      '• Review supervisor limits (alice)',
      '• Post-mortem review on Thursday',
      `The full draft is attached (postmortem-${id}-v1.md); fill in every [FILL IN]. \`incident-bot postmortem ${id}\` exports the latest version.`,
    ]);
  });

  it('stores every version; latest and export return the newest', async () => {
    at(50);
    const second = await postmortems.draft(id, { actor: 'U0ALICE' });
    expect(second.version).toBe(2);
    expect(second.markdown).toContain('_Draft 2, generated 2026-01-11 10:50 UTC');
    expect(await postmortems.latest(id)).toMatchObject({ version: 2, createdBy: 'U0ALICE', markdown: second.markdown });
    expect(await postmortems.export(id.toLowerCase())).toEqual({ markdown: second.markdown, version: 2, created: false });
    const rows = await db.query<{ version: number; created_by: string }>(
      'SELECT version, created_by FROM postmortem_drafts WHERE incident_id = $1 ORDER BY version',
      [id],
    );
    expect(rows.rows).toEqual([
      { version: 1, created_by: 'U0CAROL' },
      { version: 2, created_by: 'U0ALICE' },
    ]);
  });

  it('numbers concurrent drafts without a gap or a clash', async () => {
    const made = await Promise.all([1, 2, 3].map(() => postmortems.draft(id, { actor: 'U0BOB' })));
    expect(made.map((m) => m.version).sort()).toEqual([3, 4, 5]);
    for (const m of made) expect(m.markdown).toContain(`_Draft ${m.version}, generated`);
  });
});

describe('PostmortemService.draft on sparse incidents', () => {
  it('says so when the thread has no action items, and leaves [FILL IN] where the thread says nothing', async () => {
    const threadTs = slack.seedThread('C0QUIET', [
      { user: 'U0ALICE', text: 'payments latency is up' },
      { user: 'U0BOB', text: 'looking' },
      { user: 'U0BOB', text: 'restarted the pool, back to normal' },
    ]);
    at(100);
    const inc = await incidents.open({ title: 'Payments slow', severity: 'P2', actor: 'U0ALICE', channelId: 'C0QUIET' });
    await incidents.setThread(inc.id, 'C0QUIET', threadTs);
    at(130);
    await incidents.resolve(inc.id, { actor: 'U0BOB' });
    const draft = await postmortems.draft(inc.id, { actor: 'U0BOB' });
    const md = draft.markdown;
    expect(section(md, 'Action Items')).toBe(
      'No commitments ("I\'ll …", a request and its acceptance) were found in the 3 messages read. [FILL IN]\n\n- [ ] [FILL IN]',
    );
    expect(section(md, 'Root Cause Analysis')).toBe('[FILL IN]');
    expect(section(md, 'Impact')).toMatch(/^\[FILL IN\]/);
    expect(md).toContain('**Impact:** [FILL IN]');
    // One list: a blank line would split the Metrics in two where the draft is rendered.
    expect(md).toContain(
      '): met (resolved after 30 min)\n- Peak latency: [FILL IN]\n- Tasks affected: [FILL IN]\n- Error rate: [FILL IN]\n',
    );
    expect(md).toContain('- Time to acknowledge: not acknowledged');
    // Never acknowledged: resolution 30 min in is the first response, within P2's hour.
    expect(md).toContain('- Response SLA (P2 at detection, 1 h): met (resolved after 30 min)');
    expect(md).not.toContain('## Decisions');
    expect(draft.summary).toContain('No commitments ("I\'ll …", a request and its acceptance) were found in the messages');
    expect(draft.stats).toMatchObject({ messages: 3, actionItems: 0 });
  });

  it('drafts from the recorded timeline when the incident has no thread, and says why', async () => {
    at(200);
    const inc = await incidents.open({ title: 'Disk filling', severity: 'P3', actor: 'U0DAVE' });
    const draft = await postmortems.draft(inc.id, { actor: 'U0DAVE' });
    expect(draft.stats.threadProblem).toBe('the incident has no Slack thread');
    expect(draft.summary).toContain('_The incident has no Slack thread; the draft uses the 1 recorded timeline event._');
    expect(draft.markdown).toContain('**Duration:** < 1 min (ongoing)');
    expect(draft.markdown).toContain('- Response SLA (P3 at detection, 1 d): not due yet (not acknowledged)');
    expect(section(draft.markdown, 'Participants')).toBe('@dave');
  });

  it('reports a thread Slack refuses to give, and still drafts', async () => {
    at(300);
    const inc = await incidents.open({ title: 'Ghost thread', severity: 'P2', actor: 'U0ALICE', channelId: 'C0GONE' });
    await incidents.setThread(inc.id, 'C0GONE', '1768130000.000100');
    const draft = await postmortems.draft(inc.id, { actor: 'U0ALICE' });
    expect(draft.stats.threadProblem).toBe('the thread could not be read (thread_not_found)');
    expect(draft.version).toBe(1);
  });

  it('refuses an unknown incident with a message people can act on', async () => {
    await expect(postmortems.draft('INC-20990101000000', { actor: 'U0ALICE' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(postmortems.draft('nonsense', { actor: 'U0ALICE' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});

describe('incident-bot postmortem (runPostmortemCli)', () => {
  const env = () => ({ DATABASE_URL: dbUrl, TEMPLATES_DIR: TEMPLATES, LOG_LEVEL: 'silent' });

  it('prints the latest stored draft on stdout', async () => {
    at(400);
    const inc = await incidents.open({ title: 'CLI export', severity: 'P2', actor: 'U0ALICE' });
    const stored = await postmortems.draft(inc.id, { actor: 'U0ALICE' });
    const out: string[] = [];
    const err: string[] = [];
    expect(await runPostmortemCli([inc.id], { env: env(), stdout: (t) => out.push(t), stderr: (t) => err.push(t) })).toBe(0);
    expect(out.join('')).toBe(stored.markdown);
    expect(err).toEqual([]);
  });

  it('makes a draft from the timeline when none is stored, and a new version with --new', async () => {
    at(500);
    const inc = await incidents.open({ title: 'Never drafted', severity: 'P1', actor: 'U0BOB' });
    const out: string[] = [];
    const err: string[] = [];
    const io = { env: env(), stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), clock };
    expect(await runPostmortemCli([inc.id], io)).toBe(0);
    expect(out.join('')).toContain(`# Post-mortem: Never drafted (${inc.id})`);
    expect(err.join('')).toBe(`no draft was stored for ${inc.id}: made v1 from the recorded timeline\n`);
    expect(await runPostmortemCli([inc.id, '--new'], io)).toBe(0);
    expect(err.at(-1)).toBe(`stored draft v2 of ${inc.id} (the incident has no Slack thread)\n`);
  });

  it('exits 1 with a readable message for an unknown incident or bad arguments', async () => {
    const err: string[] = [];
    const io = { env: env(), stdout: () => undefined, stderr: (t: string) => err.push(t) };
    expect(await runPostmortemCli(['INC-20990101000000'], io)).toBe(1);
    expect(err.pop()).toMatch(/^There is no incident INC-20990101000000/);
    expect(await runPostmortemCli([], io)).toBe(1);
    expect(err.pop()).toMatch(/^usage: incident-bot postmortem <INC-ID>/);
    expect(await runPostmortemCli(['INC-1', '--pdf'], io)).toBe(1);
    expect(err.pop()).toMatch(/^unknown option --pdf/);
  });
});

/** The body of a `## heading` section, trimmed. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) return '';
  const body = markdown.slice(start + heading.length + 5);
  const end = body.search(/\n## /);
  return (end < 0 ? body : body.slice(0, end)).trim();
}
