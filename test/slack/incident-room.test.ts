import { WebClient } from '@slack/web-api';
import pino from 'pino';
import { createManualClock } from '../../src/clock';
import type { IncidentRoomConfig } from '../../src/config';
import { createMemoryCoordination } from '../../src/coordination/memory-coordination';
import type { AlertRecord } from '../../src/domain/alert';
import type { RunbookContact } from '../../src/domain/escalation';
import type { Incident } from '../../src/domain/incident';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { createIncidentService } from '../../src/incidents/incident-service';
import { createIncidentRoles } from '../../src/incidents/room/incident-roles';
import { createChannelAccess } from '../../src/slack/channel-access';
import { createIncidentRooms, type IncidentRooms, type OpenRoomContext } from '../../src/slack/incident-room';
import { createSlackPoster } from '../../src/slack/slack-poster';
import { createUsergroupMembership } from '../../src/slack/usergroup-membership';
import { createMemoryStores } from '../../src/store/fakes/memory-stores';

const HUB = 'C0HUB';
const ALERTS = 'C0ALERTS';
const OPENER = 'U0OPENER';
const LEASE_MS = 60_000;

/**
 * The incident room on the in-memory stores and the Slack emulator: the runbook contacts it invites (and the ones it
 * cannot resolve, said so), and an opening left half-way by a replica that stopped, resumed by another after the lease.
 */
describe('incident room: runbook contacts and unfinished openings', () => {
  let slack: SlackEmulator;
  let client: WebClient;
  const logged: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });

  beforeAll(async () => {
    slack = await startSlackEmulator();
    client = new WebClient('xoxb-test-token', { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
    for (const id of [OPENER, 'U0ONCALL1', 'U0ONCALL2', 'U0DBA1']) slack.addUser({ id, name: id.toLowerCase() });
    slack.addUsergroup('S0ONCALL', ['U0ONCALL1', 'U0ONCALL2']);
    slack.addUsergroup('S0EMPTY', []);
    slack.addChannel({ id: ALERTS, name: 'alerts' }); // public: its incidents' rooms are public too
  });
  afterAll(async () => slack.close());

  const contacts: RunbookContact[] = [
    { role: 'Primary On-Call', level: 'L1', variable: 'CONTACT_ONCALL', ids: ['S0ONCALL'] },
    { role: 'Database Admin', area: 'database', level: 'L2', variable: 'CONTACT_DBA', ids: ['U0DBA1', 'U0GONE'] },
    { role: 'Infrastructure Lead', area: 'infrastructure', level: 'L2', variable: 'CONTACT_INFRA_LEAD', ids: [] },
    { role: 'Application Lead', level: 'L3', variable: 'CONTACT_DEV_TEAM', ids: ['S0NOSUCH'] },
    { role: 'Team Lead', level: 'L2', variable: 'CONTACT_TEAM_LEAD', ids: ['S0EMPTY'] },
  ];

  function setup(t0: string) {
    const clock = createManualClock(t0);
    const stores = createMemoryStores();
    const incidents = createIncidentService({
      transaction: stores.transaction,
      incidents: stores.incidents,
      timeline: stores.timeline,
      alerts: stores.alerts,
      jobs: stores.jobs,
      clock,
    });
    const roles = createIncidentRoles({
      transaction: stores.transaction,
      getIncident: (id) => incidents.get(id),
      rooms: stores.rooms,
      timeline: stores.timeline,
      clock,
    });
    const poster = createSlackPoster({ client, coordination: createMemoryCoordination(), logger, sleep: async () => undefined });
    const config: IncidentRoomConfig = { channels: true, channelPrefix: 'inc-', hubChannel: HUB, leaseMs: LEASE_MS };
    const replica = (owner: string): IncidentRooms =>
      createIncidentRooms({
        config,
        rooms: stores.rooms,
        roles,
        incidents,
        timeline: stores.timeline,
        client,
        access: createChannelAccess(client),
        poster,
        membership: createUsergroupMembership({ client, logger }),
        linksFor: () => ({ dashboards: [] }),
        respondersOf: () => [],
        contactsOf: () => contacts,
        owner,
        coordination: createMemoryCoordination(),
        clock,
        logger,
      });
    const context = (incident: Incident, alert?: AlertRecord): OpenRoomContext => ({
      opener: OPENER,
      origin: { channelId: ALERTS },
      ...(alert ? { alert } : {}),
      announce: async (channelId) => {
        const posted = await poster.post({ channel: channelId, text: `INCIDENT ${incident.id}` });
        return incidents.setThread(incident.id, posted.channel, posted.ts);
      },
    });
    return { clock, stores, incidents, replica, context };
  }
  const alert = { id: 1, name: 'ConnectionPoolExhausted', acknowledgedBy: null, escalationLevel: 0 } as unknown as AlertRecord;

  it('invites the users the contacts resolve to, lists each one it cannot resolve with the reason, and mentions the groups on the hub', async () => {
    const { stores, incidents, replica, context } = setup('2026-03-02T09:00:00Z');
    const incident = await incidents.open({ title: 'Pool exhausted', severity: 'P0', actor: OPENER, channelId: ALERTS });
    const opened = await replica('replica-a').open(incident, context(incident, alert));

    const room = (await stores.rooms.get(incident.id))!;
    expect(opened.channelId).toBe(room.channelId);
    expect(slack.channelInfo(room.channelId!)!.members.sort()).toEqual(
      ['U0INCIDENTBOT', OPENER, 'U0ONCALL1', 'U0ONCALL2', 'U0DBA1'].sort(),
    );
    expect(room.contacts).toEqual([
      { role: 'Primary On-Call', groups: ['S0ONCALL'], invited: ['U0ONCALL1', 'U0ONCALL2'], unresolved: [] },
      { role: 'Database Admin', groups: [], invited: ['U0DBA1'], unresolved: ['U0GONE could not be invited (user_not_found)'] },
      { role: 'Infrastructure Lead', groups: [], invited: [], unresolved: ['CONTACT_INFRA_LEAD is not set'] },
      {
        role: 'Application Lead',
        groups: ['S0NOSUCH'],
        invited: [],
        unresolved: ['user group S0NOSUCH could not be read (no_such_subteam)'],
      },
      { role: 'Team Lead', groups: ['S0EMPTY'], invited: [], unresolved: ['user group S0EMPTY has no members'] },
    ]);
    const said = slack.messages(room.channelId!).find((m) => m.text.includes('Runbook contacts'))!;
    expect(said.text.split('\n')).toEqual([
      ':busts_in_silhouette: *Runbook contacts*',
      '• *Primary On-Call*: 2 invited',
      '• *Database Admin*: 1 invited — not resolved: U0GONE could not be invited (user_not_found)',
      '• *Infrastructure Lead*: nobody invited — not resolved: CONTACT_INFRA_LEAD is not set',
      '• *Application Lead*: nobody invited — not resolved: user group S0NOSUCH could not be read (no_such_subteam)',
      '• *Team Lead*: nobody invited — not resolved: user group S0EMPTY has no members',
    ]);
    const [hub] = slack.messages(HUB);
    expect(hub!.text).toContain(
      '\nContacts: <!subteam^S0ONCALL> (Primary On-Call) · Database Admin · Infrastructure Lead: nobody invited · ' +
        'Application Lead: nobody invited (<!subteam^S0NOSUCH>) · Team Lead: nobody invited (<!subteam^S0EMPTY>)',
    );
    expect((await stores.rooms.get(incident.id))!.openedAt).not.toBeNull();
  });

  it('opened without an alert (no runbook), nobody but the opener is invited and nothing is said about contacts', async () => {
    const { stores, incidents, replica, context } = setup('2026-03-02T10:00:00Z');
    const incident = await incidents.open({ title: 'Checkout slow', severity: 'P2', actor: OPENER, channelId: ALERTS });
    await replica('replica-a').open(incident, context(incident));
    const room = (await stores.rooms.get(incident.id))!;
    expect(slack.channelInfo(room.channelId!)!.members.sort()).toEqual(['U0INCIDENTBOT', OPENER].sort());
    expect(room.contacts).toEqual([]);
    expect(slack.messages(room.channelId!).some((m) => m.text.includes('Runbook contacts'))).toBe(false);
  });

  it('an opening whose replica stopped after creating the channel is resumed by another after the lease: same channel, one hub message', async () => {
    const { clock, stores, incidents, replica, context } = setup('2026-03-02T11:00:00Z');
    const incident = await incidents.open({ title: 'Queue stuck', severity: 'P1', actor: OPENER, channelId: ALERTS });
    const stopped = { ...context(incident, alert), announce: () => Promise.reject(new Error('the process was killed')) };
    await expect(replica('replica-a').open(incident, stopped)).rejects.toThrow('the process was killed');
    const halfway = (await stores.rooms.get(incident.id))!;
    expect(halfway).toMatchObject({ claimedBy: 'replica-a', openedAt: null, introTs: null, hubTs: null });
    expect(halfway.channelId).toMatch(/^C/);
    const creates = slack.callsTo('conversations.create').length;

    const b = replica('replica-b');
    // Within the lease the opening may still be running: nobody takes it.
    clock.advance(LEASE_MS - 1000);
    expect(await b.recoverUnopened(async (inc) => context(inc, alert))).toBe(0);
    clock.advance(2000);
    expect(await b.recoverUnopened(async (inc) => context(inc, alert))).toBe(1);

    const room = (await stores.rooms.get(incident.id))!;
    expect(room).toMatchObject({ claimedBy: 'replica-b', channelId: halfway.channelId });
    expect(room.openedAt).toEqual(clock.now());
    expect(slack.callsTo('conversations.create')).toHaveLength(creates);
    expect((await incidents.get(incident.id)).channelId).toBe(halfway.channelId);
    const texts = slack.messages(halfway.channelId!).map((m) => m.text);
    expect(texts.filter((t) => t === `INCIDENT ${incident.id}`)).toHaveLength(1);
    expect(texts.filter((t) => t.startsWith('Incident room for'))).toHaveLength(1);
    expect(slack.messages(HUB).filter((m) => m.text.includes(incident.id))).toHaveLength(1);
    expect(logged.some((l) => l.incidentId === incident.id && String(l.msg).includes('resuming it here'))).toBe(true);
    // Finished: the next run finds nothing, even long after.
    clock.advance(10 * LEASE_MS);
    expect(await b.recoverUnopened(async (inc) => context(inc, alert))).toBe(0);
  });

  it('a replica that was overtaken does not record the channel it created late, and stops there', async () => {
    const { clock, stores, incidents, replica, context } = setup('2026-03-02T12:00:00Z');
    const incident = await incidents.open({ title: 'Disk full', severity: 'P2', actor: OPENER, channelId: ALERTS });
    // replica-a claimed and stalled before creating anything; replica-b takes over after the lease and finishes.
    await stores.rooms.claim(incident.id, 'replica-a', clock.now(), { channelId: ALERTS });
    clock.advance(LEASE_MS + 1000);
    expect(await replica('replica-b').recoverUnopened(async (inc) => context(inc))).toBe(1);
    const finished = (await stores.rooms.get(incident.id))!;
    expect(finished).toMatchObject({ claimedBy: 'replica-b' });
    expect(finished.openedAt).not.toBeNull();
    // replica-a wakes up: its channel is not recorded.
    expect(await stores.rooms.setChannel(incident.id, 'C0LATE', 'inc-late', 'replica-a')).toBe(false);
    expect((await stores.rooms.get(incident.id))!.channelId).toBe(finished.channelId);
  });
});
