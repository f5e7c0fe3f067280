import { WebClient } from '@slack/web-api';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { silentSlackLogger } from '../support/silent-slack-logger';

const TOKEN = 'xoxb-test-token';

/** The channel methods of the emulator answer as Slack does, refusals included. */
describe('Slack emulator: channels', () => {
  let slack: SlackEmulator;
  let client: WebClient;
  beforeAll(async () => {
    slack = await startSlackEmulator({ botToken: TOKEN });
    slack.addUser({ id: 'U0ALICE01', name: 'alice' });
    slack.addUser({ id: 'U0BOBBY01', name: 'bob' });
    client = new WebClient(TOKEN, { slackApiUrl: slack.url, logger: silentSlackLogger, retryConfig: { retries: 0 } });
  });
  afterAll(() => slack.close());

  const errorOf = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'ok';
    } catch (err) {
      return (err as { data?: { error?: string } }).data?.error;
    }
  };

  it('conversations.create applies Slack’s name rules and answers name_taken for a name in use', async () => {
    const created = await client.conversations.create({ name: 'inc-20261126-db-down' });
    expect(created.channel).toMatchObject({ name: 'inc-20261126-db-down', is_channel: true, is_member: true, num_members: 1 });
    expect(await errorOf(client.conversations.create({ name: 'inc-20261126-db-down' }))).toBe('name_taken');
    expect(await errorOf(client.conversations.create({ name: 'Incident DB' }))).toBe('invalid_name_specials');
    expect(await errorOf(client.conversations.create({ name: 'x'.repeat(81) }))).toBe('invalid_name_maxlength');
    expect(await errorOf(client.conversations.create({ name: 'x'.repeat(80) }))).toBe('ok');
    expect(await errorOf(client.conversations.create({ name: '--' }))).toBe('invalid_name_punctuation');
    expect(await errorOf(client.conversations.create({ name: '' }))).toBe('invalid_name_required');
    expect((await client.conversations.create({ name: 'inc-private', is_private: true })).channel).toMatchObject({
      is_private: true,
      is_group: true,
    });
  });

  it('conversations.invite adds members; without force one bad user fails the call, with force the others are invited', async () => {
    const id = (await client.conversations.create({ name: 'inc-invite' })).channel!.id!;
    expect(await errorOf(client.conversations.invite({ channel: id, users: 'U0ALICE01,U0NOBODY1' }))).toBe('user_not_found');
    expect(slack.channelInfo(id)!.members).toEqual(['U0INCIDENTBOT']);
    const forced = (await client.conversations.invite({ channel: id, users: 'U0ALICE01,U0NOBODY1', force: true })) as { errors?: unknown };
    expect(forced.errors).toEqual([{ user: 'U0NOBODY1', ok: false, error: 'user_not_found' }]);
    expect(slack.channelInfo(id)!.members).toEqual(['U0INCIDENTBOT', 'U0ALICE01']);
    expect(await errorOf(client.conversations.invite({ channel: id, users: 'U0ALICE01' }))).toBe('already_in_channel');
    expect(await errorOf(client.conversations.invite({ channel: id, users: 'U0INCIDENTBOT' }))).toBe('cant_invite_self');
    expect(await errorOf(client.conversations.invite({ channel: 'C0UNKNOWN', users: 'U0ALICE01' }))).toBe('channel_not_found');
  });

  it('conversations.setTopic keeps 250 characters at most and posts the channel_topic message', async () => {
    const id = (await client.conversations.create({ name: 'inc-topic' })).channel!.id!;
    await client.conversations.setTopic({ channel: id, topic: 'P1 · open · Lead: <@U0ALICE01>' });
    expect(slack.channelInfo(id)!.topic.value).toBe('P1 · open · Lead: <@U0ALICE01>');
    expect(slack.messages(id).map((m) => m.subtype)).toEqual(['channel_topic']);
    expect(await errorOf(client.conversations.setTopic({ channel: id, topic: 'x'.repeat(251) }))).toBe('too_long');
  });

  it('bookmarks.add takes http(s) links only', async () => {
    const id = (await client.conversations.create({ name: 'inc-bookmarks' })).channel!.id!;
    const r = await client.bookmarks.add({ channel_id: id, title: 'Runbook', type: 'link', link: 'https://wiki.corp.internal/rb' });
    expect(r.bookmark).toMatchObject({ title: 'Runbook', link: 'https://wiki.corp.internal/rb', type: 'link' });
    expect(await errorOf(client.bookmarks.add({ channel_id: id, title: 'x', type: 'link', link: 'javascript:alert(1)' }))).toBe(
      'invalid_link',
    );
    expect(slack.channelInfo(id)!.bookmarks).toHaveLength(1);
    expect((await client.conversations.info({ channel: id })).channel).toMatchObject({ name: 'inc-bookmarks', num_members: 1 });
  });

  it('knows channels people made (addChannel): a private one the bot is not in does not exist for it', async () => {
    slack.addChannel({ id: 'C0PUBLIC01', name: 'payments', members: ['U0ALICE01'] });
    slack.addChannel({ id: 'G0SECRET01', name: 'security-response', is_private: true, members: ['U0ALICE01'] });
    slack.addChannel({ id: 'G0SECRET02', name: 'hr-incidents', is_private: true, members: ['U0INCIDENTBOT', 'U0BOBBY01'] });

    expect((await client.conversations.info({ channel: 'C0PUBLIC01' })).channel).toMatchObject({
      is_private: false,
      is_member: false,
      num_members: 1,
    });
    expect((await client.conversations.info({ channel: 'G0SECRET02' })).channel).toMatchObject({ is_private: true, is_member: true });
    expect(await errorOf(client.conversations.info({ channel: 'G0SECRET01' }))).toBe('channel_not_found');
    expect(await errorOf(client.conversations.info({ channel: 'C0NEVERDECL' }))).toBe('channel_not_found');

    expect((await client.conversations.members({ channel: 'C0PUBLIC01' })).members).toEqual(['U0ALICE01']);
    expect(await errorOf(client.conversations.members({ channel: 'G0SECRET01' }))).toBe('channel_not_found');
    expect(await errorOf(client.conversations.members({ channel: 'C0PUBLIC01', limit: 5000 }))).toBe('invalid_limit');

    // chat:write.public posts in a public channel the bot is not in; a file share and the history need membership.
    expect(await errorOf(client.chat.postMessage({ channel: 'C0PUBLIC01', text: 'hello' }))).toBe('ok');
    expect(await errorOf(client.chat.postMessage({ channel: 'G0SECRET01', text: 'hello' }))).toBe('channel_not_found');
    expect(await errorOf(client.conversations.history({ channel: 'C0PUBLIC01' }))).toBe('not_in_channel');
    const upload = (channel_id: string) =>
      errorOf(client.filesUploadV2({ channel_id, file: Buffer.from('png'), filename: 'chart.png', title: 'chart' }));
    expect(await upload('C0PUBLIC01')).toBe('not_in_channel');
    expect(await upload('G0SECRET01')).toBe('channel_not_found');
    expect(await upload('G0SECRET02')).toBe('ok');
    expect(slack.createdChannels().map((c) => c.id)).not.toContain('C0PUBLIC01');
  });

  it('conversations.members pages with cursors as Slack does', async () => {
    const people = Array.from({ length: 5 }, (_, i) => `U0PAGE000${i}`);
    slack.addChannel({ id: 'C0PAGED001', name: 'paged', members: people });
    const first = await client.conversations.members({ channel: 'C0PAGED001', limit: 2 });
    expect(first.members).toEqual(people.slice(0, 2));
    const rest: string[] = [];
    let cursor = first.response_metadata?.next_cursor;
    while (cursor) {
      const page = await client.conversations.members({ channel: 'C0PAGED001', limit: 2, cursor });
      rest.push(...page.members!);
      cursor = page.response_metadata?.next_cursor;
    }
    expect(rest).toEqual(people.slice(2));
    expect(await errorOf(client.conversations.members({ channel: 'C0PAGED001', cursor: 'bm9wZQ==' }))).toBe('invalid_cursor');
  });
});
