import { WebClient } from '@slack/web-api';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { createChannelAccess, createChannelReader } from '../../src/slack/channel-access';
import { silentSlackLogger } from '../support/silent-slack-logger';

const BOT = 'U0INCIDENTBOT';
const ALICE = 'U0ALICE01';
const MALLORY = 'U0MALLORY1';
const PUBLIC = 'C0PUBLIC01';
const PRIVATE = 'G0PRIVATE1';
const HIDDEN = 'G0HIDDEN01';
const LOBBY = 'C0LOBBY001';

/** Who can read a channel, as the stats report, incident visibility and link-alert all ask it, against the emulator. */
describe('channel reader', () => {
  let slack: SlackEmulator;
  let client: WebClient;
  beforeAll(async () => {
    slack = await startSlackEmulator({ botUserId: BOT });
    for (const [id, name] of [
      [ALICE, 'alice'],
      [MALLORY, 'mallory'],
    ] as const)
      slack.addUser({ id, name });
    client = new WebClient('xoxb-test-token', { slackApiUrl: slack.url, logger: silentSlackLogger, retryConfig: { retries: 0 } });
    slack.addChannel({ id: PUBLIC, name: 'general', members: [ALICE] });
    slack.addChannel({ id: PRIVATE, name: 'security', is_private: true, members: [ALICE, BOT] });
    // A private channel the bot is not in: Slack answers channel_not_found, as for a channel that does not exist.
    slack.addChannel({ id: HIDDEN, name: 'payroll', is_private: true, members: [ALICE, MALLORY] });
  });
  afterAll(() => slack.close());
  beforeEach(() => slack.resetCalls());

  const reader = (userId: string, channelId = LOBBY) => createChannelReader(createChannelAccess(client), { userId, channelId });

  it('a public channel: anyone, member or not, without listing its members', async () => {
    expect(await reader(MALLORY).canRead(PUBLIC)).toBe(true);
    expect(slack.callsTo('conversations.members')).toHaveLength(0);
  });

  it('a private channel: its members yes, others no', async () => {
    expect(await reader(ALICE).canRead(PRIVATE)).toBe(true);
    expect(await reader(MALLORY).canRead(PRIVATE)).toBe(false);
  });

  it('a channel the bot cannot see, or that does not exist, is private and its membership unknown: not readable', async () => {
    const mallory = reader(MALLORY);
    expect(await mallory.privacy(HIDDEN)).toBe('private');
    expect(await mallory.canRead(HIDDEN)).toBe('unknown');
    expect(await reader(ALICE).canRead(HIDDEN)).toBe('unknown');
    expect(await mallory.privacy('C0NOSUCH01')).toBe('private');
    expect(await mallory.canRead('C0NOSUCH01')).toBe('unknown');
  });

  it('the channel the viewer asks from is theirs to read, without asking Slack', async () => {
    expect(await reader(MALLORY, HIDDEN).canRead(HIDDEN)).toBe(true);
    expect(slack.calls).toHaveLength(0);
  });

  it('a privacy the caller knows is used instead of Slack’s', async () => {
    expect(await reader(MALLORY).canRead(PUBLIC, 'private')).toBe(false);
    expect(await reader(MALLORY).canRead(PRIVATE, 'public')).toBe(true);
    expect(slack.callsTo('conversations.info')).toHaveLength(0);
  });

  it('a channel Slack does not say is public counts as private; with no member list either, the answer is unknown', async () => {
    slack.failNext('conversations.info', { status: 503 }, 2);
    expect(await reader(MALLORY).canRead(PUBLIC)).toBe(false);
    slack.failNext('conversations.members', { status: 503 });
    expect(await reader(ALICE).canRead(PUBLIC)).toBe('unknown');
  });

  it('one reader asks each channel’s privacy and membership once, however often it reads it', async () => {
    const alice = reader(ALICE);
    for (let i = 0; i < 3; i++) {
      expect(await alice.canRead(PRIVATE)).toBe(true);
      expect(await alice.canRead(PUBLIC)).toBe(true);
    }
    expect(await alice.privacy(PRIVATE)).toBe('private');
    expect(slack.callsTo('conversations.info').map((c) => c.args.channel)).toEqual([PRIVATE, PUBLIC]);
    expect(slack.callsTo('conversations.members').map((c) => c.args.channel)).toEqual([PRIVATE]);
  });
});
