import { WebClient } from '@slack/web-api';
import pino from 'pino';
import { createManualClock } from '../../src/clock';
import { createMemoryCoordination } from '../../src/coordination/memory-coordination';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { createFollowUpExporter } from '../../src/followups/follow-up-export';
import { createFollowUpService, DEFAULT_FOLLOW_UP_DAYS, type FollowUpService } from '../../src/followups/follow-up-service';
import { createIncidentService, type IncidentService } from '../../src/incidents/incident-service';
import { remindOverdueFollowUps } from '../../src/slack/listeners/follow-ups';
import { createSlackPoster } from '../../src/slack/slack-poster';
import type { Database } from '../../src/store/database';
import { createFollowUpStore } from '../../src/store/follow-up-store';
import { createIncidentStore } from '../../src/store/incident-store';
import { createTimelineStore } from '../../src/store/timeline-store';
import { startGithubEmulator, type GithubEmulator } from '../support/github-emulator';
import { createMigratedDatabase } from '../support/migrated-database';

const DAY = 24 * 3600_000;
const GITHUB_TOKEN = 'ghp_followups_0123456789abcdef';

/** Follow-ups on real PostgreSQL: the service the post-mortem calls, overdue reminders through the Slack emulator, the export. */
describe('follow-ups', () => {
  let db: Database;
  let drop: () => Promise<void>;
  let slack: SlackEmulator;
  let github: GithubEmulator;
  const clock = createManualClock('2026-11-26T08:00:00Z');
  const logger = pino({ level: 'silent' });
  let incidents: IncidentService;
  let followUps: FollowUpService;
  let incidentId: string;
  let threadTs: string;

  beforeAll(async () => {
    ({ db, drop } = await createMigratedDatabase('follow_ups'));
    slack = await startSlackEmulator();
    github = await startGithubEmulator({ token: GITHUB_TOKEN });
    const timeline = createTimelineStore(db);
    incidents = createIncidentService({ transaction: (fn) => db.transaction(fn), incidents: createIncidentStore(db), timeline, clock });
    followUps = createFollowUpService({
      transaction: (fn) => db.transaction(fn),
      store: createFollowUpStore(db),
      timeline,
      getIncident: (id) => incidents.get(id),
      commanderOf: async () => undefined,
      clock,
    });
    const inc = await incidents.open({ title: 'Queue stuck', severity: 'P1', actor: 'U0OPENER1', channelId: 'C0ROOM' });
    threadTs = slack.seedThread('C0ROOM', [{ text: 'INCIDENT: Queue stuck' }]);
    incidentId = (await incidents.setThread(inc.id, 'C0ROOM', threadTs)).id;
  }, 60_000);
  afterAll(async () => {
    await github?.close();
    await slack?.close();
    await drop?.();
  });

  it('createFollowUp records an action item with its owner, a due date two weeks out and a timeline event', async () => {
    const f = await followUps.createFollowUp({
      incidentId: incidentId.toLowerCase(),
      text: '  Alert on queue   age ',
      owner: 'U0ALICE01',
      createdBy: 'U0BOBBY01',
      source: 'postmortem',
    });
    expect(f).toMatchObject({
      incidentId,
      text: 'Alert on queue age',
      owner: 'U0ALICE01',
      status: 'open',
      source: 'postmortem',
      createdBy: 'U0BOBBY01',
    });
    expect(f.dueAt.getTime() - clock.now().getTime()).toBe(DEFAULT_FOLLOW_UP_DAYS * DAY);
    const events = (await incidents.timeline(incidentId)).filter((e) => e.kind === 'follow_up_added');
    expect(events).toEqual([
      expect.objectContaining({
        actor: 'U0BOBBY01',
        text: `Follow-up #${f.id}: Alert on queue age`,
        data: { followUpId: f.id, owner: 'U0ALICE01' },
      }),
    ]);
    expect((await followUps.listOwnedBy('U0ALICE01')).map((x) => x.id)).toEqual([f.id]);
  });

  it('creates one follow-up per post-mortem action item, however often it is confirmed', async () => {
    const first = await followUps.createFollowUp({
      incidentId,
      text: 'Page on queue age',
      owner: 'U0ALICE01',
      createdBy: 'U0BOBBY01',
      source: 'postmortem',
      sourceKey: '0123456789abcdef',
    });
    const again = await followUps.createFollowUp({
      incidentId,
      text: 'Page on queue age',
      owner: 'U0ALICE01',
      createdBy: 'U0CAROL01',
      source: 'postmortem',
      sourceKey: '0123456789abcdef',
    });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ id: first.id, created: false, createdBy: 'U0BOBBY01' });
    const events = (await incidents.timeline(incidentId)).filter((e) => e.kind === 'follow_up_added' && e.data.followUpId === first.id);
    expect(events).toHaveLength(1);
  });

  it('refuses what it cannot track, with the reason', async () => {
    await expect(followUps.createFollowUp({ incidentId, text: '   ', createdBy: 'U0BOBBY01' })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(followUps.createFollowUp({ incidentId, text: 'x'.repeat(501), createdBy: 'U0BOBBY01' })).rejects.toMatchObject({
      userMessage: expect.stringContaining('at most 500'),
    });
    await expect(followUps.createFollowUp({ incidentId, text: 'ok', owner: 'S0GROUP', createdBy: 'U0BOBBY01' })).rejects.toMatchObject({
      userMessage: expect.stringContaining('must be a person'),
    });
    await expect(followUps.createFollowUp({ incidentId: 'INC-20000101000000', text: 'ok', createdBy: 'U0BOBBY01' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(followUps.markDone(999_999, 'U0BOBBY01')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reminds an overdue follow-up once a day, once across two replicas, in the incident thread; a done one never', async () => {
    const due = await followUps.createFollowUp({
      incidentId,
      text: 'Document the restart',
      owner: 'U0ALICE01',
      dueAt: new Date(clock.now().getTime() + DAY),
      createdBy: 'U0BOBBY01',
    });
    const closed = await followUps.createFollowUp({
      incidentId,
      text: 'Already handled',
      dueAt: new Date(clock.now().getTime() + DAY),
      createdBy: 'U0BOBBY01',
    });
    await expect(followUps.markDone(closed.id, 'U0BOBBY01')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await followUps.markDone(closed.id, 'U0OPENER1');
    await expect(followUps.markDone(closed.id, 'U0BOBBY01')).rejects.toMatchObject({ code: 'CONFLICT' });
    const client = new WebClient('xoxb-test-token', { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
    const poster = createSlackPoster({ client, coordination: createMemoryCoordination(), logger, sleep: async () => undefined });
    const remind = () => remindOverdueFollowUps({ followUps, incidents, poster, logger });
    const reminders = () => slack.thread('C0ROOM', threadTs).filter((m) => m.text.includes('was due'));

    await remind();
    expect(reminders()).toHaveLength(0);
    clock.advance(DAY + 60_000);
    await Promise.all([remind(), remind()]);
    expect(reminders().map((m) => m.text)).toEqual([
      `:alarm_clock: <@U0ALICE01>, follow-up *#${due.id}* of ${incidentId} was due 2026-11-27: Document the restart`,
    ]);
    clock.advance(3600_000);
    await remind();
    expect(reminders()).toHaveLength(1);
    clock.advance(DAY);
    await remind();
    expect(reminders()).toHaveLength(2);
  });

  it('exports to GitHub once whatever the concurrent clicks; without configuration it says what to set', async () => {
    const f = await followUps.createFollowUp({ incidentId, text: 'Add a queue-age panel', createdBy: 'U0BOBBY01' });
    const exporter = createFollowUpExporter({
      store: createFollowUpStore(db),
      getIncident: (id) => incidents.get(id),
      github: { token: GITHUB_TOKEN, repo: 'acme/ops', apiUrl: github.url },
      clock,
    });
    const results = await Promise.allSettled([exporter.exportToGithub(f.id, {}), exporter.exportToGithub(f.id, {})]);
    expect(github.issues('acme', 'ops')).toHaveLength(1);
    expect(github.violations()).toEqual([]);
    const created = results.filter((r) => r.status === 'fulfilled' && r.value.created);
    expect(created).toHaveLength(1);
    const again = await exporter.exportToGithub(f.id, {});
    expect(again).toMatchObject({ created: false, url: github.issues('acme', 'ops')[0]!.html_url });

    const off = createFollowUpExporter({ store: createFollowUpStore(db), getIncident: (id) => incidents.get(id), clock });
    await expect(off.exportToGithub(f.id, {})).rejects.toMatchObject({
      code: 'NOT_CONFIGURED',
      userMessage: 'Export to GitHub Issues is not configured: set GITHUB_TOKEN and GITHUB_REPO.',
    });

    github.failNext(403);
    const refused = await followUps.createFollowUp({ incidentId, text: 'Refused one', createdBy: 'U0BOBBY01' });
    await expect(exporter.exportToGithub(refused.id, {})).rejects.toMatchObject({
      userMessage: expect.stringContaining('it needs Issues: write'),
    });
    // A refused export can be tried again.
    expect((await exporter.exportToGithub(refused.id, {})).created).toBe(true);
  });
});
