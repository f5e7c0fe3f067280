import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { App, LogLevel } from '@slack/bolt';
import pino from 'pino';
import { createManualClock } from '../../src/clock';
import { startSlackEmulator, type EmulatedMessage, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { createIncidentService, type IncidentService } from '../../src/incidents/incident-service';
import { createPostmortemService } from '../../src/postmortem/postmortem-service';
import { loadPostmortemTemplate } from '../../src/postmortem/postmortem-template';
import { escapeMrkdwn } from '../../src/slack/blocks/mrkdwn';
import { registerIncidentCommand } from '../../src/slack/listeners/incident-command-dispatch';
import { postmortemButton, postmortemCommandHandler, registerPostmortem, type PostmortemDeps } from '../../src/slack/listeners/postmortem';
import { createSlackThreadReader } from '../../src/slack/slack-thread-reader';
import type { Database } from '../../src/store/database';
import { createIncidentStore } from '../../src/store/incident-store';
import { createPostmortemStore } from '../../src/store/postmortem-store';
import { createTimelineStore } from '../../src/store/timeline-store';
import { createMigratedDatabase } from '../support/migrated-database';
import { sendInteraction, sendSlashCommand } from '../support/slack-signing';
import { silentSlackLogger } from '../support/silent-slack-logger';

const SECRET = 'postmortem-listener-signing-secret';
const FIXTURES = join(__dirname, '..', 'fixtures', 'slack');
const fixture = <T>(name: string): T => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
const thread = fixture<{ messages: Partial<EmulatedMessage>[] }>('conversations-replies-incident-thread.json');
const silent = pino({ level: 'silent' });

let db: Database;
let drop: () => Promise<void>;
let slack: SlackEmulator;
let app: App;
let endpoint: string;
let incidents: IncidentService;
let drafts: ReturnType<typeof createPostmortemStore>;
const clock = createManualClock('2026-01-11T10:01:00Z');
let incidentId: string;
let threadTs: string;

beforeAll(async () => {
  ({ db, drop } = await createMigratedDatabase('postmortem_listener'));
  slack = await startSlackEmulator();
  for (const [id, name] of [
    ['U0ALICE', 'alice'],
    ['U0BOB', 'bob'],
    ['U0CAROL', 'carol'],
  ] as const)
    slack.addUser({ id, name });
  app = new App({
    token: 'xoxb-test-token',
    signingSecret: SECRET,
    logger: silentSlackLogger,
    clientOptions: {
      slackApiUrl: slack.url,
      logLevel: LogLevel.ERROR,
      retryConfig: { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 20 },
    },
  });
  incidents = createIncidentService({
    transaction: (fn) => db.transaction(fn),
    incidents: createIncidentStore(db),
    timeline: createTimelineStore(db),
    clock,
  });
  drafts = createPostmortemStore(db);
  const deps: PostmortemDeps = {
    postmortems: createPostmortemService({
      incidents,
      drafts,
      threadReader: createSlackThreadReader({ client: app.client, logger: silent }),
      template: await loadPostmortemTemplate(join(__dirname, '..', '..', 'templates')),
      escapeMrkdwn,
      clock,
      logger: silent,
    }),
    incidents,
    recentIncidentsInChannel: (c, n) => drafts.recentIncidentsInChannel(c, n),
    client: app.client,
    logger: silent,
  };
  registerPostmortem(app, deps);
  registerIncidentCommand(app, { postmortem: postmortemCommandHandler(deps) }, silent);
  const server = await app.start(0);
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;

  // A resolved incident whose thread holds an alert, an ack, a mitigation and a discussion.
  threadTs = slack.seedThread('C0INCIDENTS', thread.messages);
  const inc = await incidents.open({ title: 'Workers stuck', severity: 'P1', actor: 'U0ALICE', channelId: 'C0INCIDENTS' });
  await incidents.setThread(inc.id, 'C0INCIDENTS', threadTs);
  clock.advance(2 * 60_000);
  await incidents.acknowledge(inc.id, 'U0ALICE');
  clock.advance(6 * 60_000);
  await incidents.mitigate(inc.id, 'U0ALICE', 'restarted worker-7');
  clock.advance(21 * 60_000);
  await incidents.resolve(inc.id, { actor: 'U0ALICE', summary: 'worker-7 restarted' });
  incidentId = inc.id;
}, 60_000);

afterAll(async () => {
  await app.stop();
  await slack.close();
  await drop();
});
afterEach(() => expect(slack.unknownMethods).toEqual([]));

/** The bot's post-mortem messages in the incident thread: summaries and files, oldest first. */
function delivered(version: number): { summary?: EmulatedMessage; file?: EmulatedMessage } {
  const replies = slack.thread('C0INCIDENTS', threadTs);
  return {
    summary: replies.find((m) => m.user === 'U0INCIDENTBOT' && m.text.startsWith(`:memo: *Post-mortem draft v${version}:`)),
    file: replies.find((m) => m.files?.some((f) => f.name === `postmortem-${incidentId}-v${version}.md`)),
  };
}

async function expectDelivered(version: number): Promise<void> {
  await slack.waitForCall(
    'files.completeUploadExternal',
    (c) => String(c.args.files).includes(`v${version}.md`) || JSON.stringify(c.args.files).includes(`v${version}`),
    10_000,
  );
  const { summary, file } = delivered(version);
  expect(summary?.thread_ts).toBe(threadTs);
  expect(summary!.text).not.toMatch(/<[@!#]/);
  expect(summary!.text).toContain('*Time to acknowledge:* 2 min (P1 SLA 15 min: met)');
  expect(summary!.text).toContain('• Add XAUTOCLAIM on consumer start @bob (bob)');
  // Each action item comes with ✅ Confirm / ✖ Drop.
  expect(JSON.stringify(summary!.blocks)).toMatch(
    /"action_id":"postmortem_item_confirm","text":\{"type":"plain_text","text":"✅ Confirm","emoji":true\},"style":"primary","value":"INC-\d{14}:[0-9a-f]{16}"/,
  );
  expect(file?.thread_ts).toBe(threadTs);
  const uploaded = slack.uploadedFiles().find((f) => f.name === `postmortem-${incidentId}-v${version}.md`)!;
  const stored = await drafts.latest(incidentId);
  expect(stored?.version).toBe(version);
  expect(uploaded.bytes.toString('utf8')).toBe(stored!.markdown);
  expect(uploaded.title).toBe(`Post-mortem draft v${version}: ${incidentId}`);
  expect(uploaded.channels).toEqual(['C0INCIDENTS']);
}

describe('post-mortem in Slack (Bolt HTTPReceiver, signed requests, the emulator)', () => {
  it('the resolution button drafts it: a summary and the Markdown file land in the incident thread', async () => {
    const payload = fixture<Record<string, unknown>>('block-actions.json');
    const button = postmortemButton(incidentId);
    const resolvedTs = '1768127400.001600';
    payload.container = { type: 'message', message_ts: resolvedTs, channel_id: 'C0INCIDENTS', is_ephemeral: false, thread_ts: threadTs };
    payload.message = {
      ...(payload.message as object),
      ts: resolvedTs,
      thread_ts: threadTs,
      text: 'RESOLVED: Workers stuck',
      blocks: [{ type: 'actions', block_id: 'incident-resolved', elements: [button] }],
    };
    payload.actions = [{ ...button, block_id: 'incident-resolved', action_ts: '1768127500.000001' }];
    payload.response_url = slack.responseUrl({ channel: 'C0INCIDENTS', messageTs: resolvedTs, userId: 'U0ONCALL01' });
    const res = await sendInteraction(endpoint, { signingSecret: SECRET }, payload);
    expect(res.status).toBe(200);
    await expectDelivered(1);
    // The whole thread was read, page by page, and names were asked once per person.
    expect(slack.callsTo('conversations.replies').every((c) => c.args.limit === '200')).toBe(true);
    expect(
      slack
        .callsTo('users.info')
        .map((c) => c.args.user)
        .sort(),
    ).toEqual(['U0ALICE', 'U0BOB', 'U0CAROL']);
    const markdown = (await drafts.latest(incidentId))!.markdown;
    expect(markdown).toContain('- [ ] Add XAUTOCLAIM on consumer start @bob (owner: @bob)');
    expect(markdown).toContain('Mitigated: restarted worker-7 (@alice)');
  });

  it('the message shortcut on any message of the thread drafts the next version there', async () => {
    slack.resetCalls();
    const res = await sendInteraction(endpoint, { signingSecret: SECRET }, fixture('message-shortcut.json'));
    expect(res.status).toBe(200);
    await expectDelivered(2);
    // The second draft knows everyone already: no users.info again.
    expect(slack.callsTo('users.info')).toEqual([]);
  });

  it('the shortcut outside an incident thread explains, ephemerally', async () => {
    slack.resetCalls();
    const other = slack.seedThread('C0INCIDENTS', [{ user: 'U0BOB', text: 'lunch?' }]);
    const payload = fixture<Record<string, any>>('message-shortcut.json'); // eslint-disable-line @typescript-eslint/no-explicit-any
    payload.message_ts = other;
    payload.message = { ...payload.message, ts: other, thread_ts: undefined, text: 'lunch?' };
    expect((await sendInteraction(endpoint, { signingSecret: SECRET }, payload)).status).toBe(200);
    const call = await slack.waitForCall('chat.postEphemeral');
    expect(call.args).toMatchObject({ channel: 'C0INCIDENTS', user: 'U0CAROL' });
    expect(String(call.args.text)).toMatch(/^This message is not in an incident's thread/);
    expect(slack.callsTo('files.getUploadURLExternal')).toEqual([]);
  });

  it("/incident postmortem without an ID drafts the channel's latest incident", async () => {
    slack.resetCalls();
    const responseUrl = slack.responseUrl({ channel: 'C0INCIDENTS', userId: 'U0ALICE' });
    const res = await sendSlashCommand(
      endpoint,
      { signingSecret: SECRET },
      { text: 'postmortem', channel_id: 'C0INCIDENTS', user_id: 'U0ALICE', response_url: responseUrl },
    );
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(3000);
    await expectDelivered(3);
    const ack = slack.callsTo('response_url')[0]!;
    expect(ack.args).toMatchObject({
      response_type: 'ephemeral',
      text: `Drafting the post-mortem of ${incidentId} from its thread and timeline…`,
    });
  });

  it('/incident postmortem with an ID works from any channel; an unknown ID is answered ephemerally', async () => {
    slack.resetCalls();
    await sendSlashCommand(
      endpoint,
      { signingSecret: SECRET },
      { text: `postmortem ${incidentId.toLowerCase()}`, channel_id: 'C0ELSEWHERE', response_url: slack.responseUrl() },
    );
    await expectDelivered(4);

    slack.resetCalls();
    await sendSlashCommand(
      endpoint,
      { signingSecret: SECRET },
      { text: 'postmortem INC-20990101000000', response_url: slack.responseUrl() },
    );
    const reply = await slack.waitForCall('response_url');
    expect(reply.args).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(/^There is no incident INC-20990101000000/),
    });
  });

  it('/incident postmortem without an ID in a channel with several active incidents lists them', async () => {
    slack.resetCalls();
    const a = await incidents.open({ title: 'Disk <!channel> filling', severity: 'P2', actor: 'U0BOB', channelId: 'C0BUSY' });
    const b = await incidents.open({ title: 'Queue backlog', severity: 'P3', actor: 'U0BOB', channelId: 'C0BUSY' });
    await sendSlashCommand(
      endpoint,
      { signingSecret: SECRET },
      { text: 'postmortem', channel_id: 'C0BUSY', response_url: slack.responseUrl() },
    );
    const reply = await slack.waitForCall('response_url');
    const text = String(reply.args.text);
    expect(text).toMatch(/^2 incidents are active in this channel; name one:/);
    expect(text).toContain(`\`/incident postmortem ${a.id}\` P2 Disk &lt;!channel&gt; filling (open)`);
    expect(text).toContain(`\`/incident postmortem ${b.id}\``);
    expect(slack.callsTo('files.getUploadURLExternal')).toEqual([]);

    slack.resetCalls();
    await sendSlashCommand(
      endpoint,
      { signingSecret: SECRET },
      { text: 'postmortem', channel_id: 'C0EMPTY', response_url: slack.responseUrl() },
    );
    expect(String((await slack.waitForCall('response_url')).args.text)).toMatch(/^There is no incident in this channel/);
  });
});
