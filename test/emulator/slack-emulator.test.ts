import { WebClient, LogLevel, type Logger } from '@slack/web-api';
import WebSocket from 'ws';
import { SocketModeClient, LogLevel as SocketLogLevel } from '@slack/socket-mode';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';

const TOKEN = 'xoxb-test-token';

function quietLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (...msg: unknown[]): void => void lines.push(msg.map(String).join(' '));
  return {
    lines,
    debug: () => undefined,
    info: log,
    warn: log,
    error: log,
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

function client(emulator: SlackEmulator, opts: { token?: string; retries?: number } = {}): WebClient {
  return new WebClient(opts.token ?? TOKEN, {
    slackApiUrl: emulator.url,
    logger: quietLogger(),
    retryConfig: { retries: opts.retries ?? 0, minTimeout: 10, maxTimeout: 10 },
  });
}

let emulator: SlackEmulator;
let slack: WebClient;

beforeEach(async () => {
  emulator = await startSlackEmulator();
  slack = client(emulator);
});

afterEach(async () => {
  await emulator.close();
});

describe('identity and auth', () => {
  it('serves on 127.0.0.1 with a base URL ending in /api/', () => {
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
  });

  it('answers auth.test with the bot identity', async () => {
    const res = await slack.auth.test();
    expect(res).toMatchObject({ ok: true, team_id: 'T0EMULATED', user_id: 'U0INCIDENTBOT', bot_id: 'B0INCIDENTBOT' });
    expect(typeof res.url).toBe('string');
    expect(emulator.callsTo('auth.test')[0]).toMatchObject({ token: TOKEN, status: 200 });
  });

  it('rejects a wrong token with invalid_auth and records the rejected call', async () => {
    await expect(client(emulator, { token: 'xoxb-wrong' }).chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      data: { ok: false, error: 'invalid_auth' },
    });
    expect(emulator.calls).toHaveLength(1);
    expect(emulator.calls[0]).toMatchObject({
      method: 'chat.postMessage',
      token: 'xoxb-wrong',
      response: { ok: false, error: 'invalid_auth' },
    });
    expect(emulator.messages('C1')).toEqual([]);
  });

  it('answers not_authed when no token is sent', async () => {
    const res = await fetch(`${emulator.url}auth.test`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: false, error: 'not_authed' });
  });

  it('takes the token from a form field, but not from a JSON body (as Slack)', async () => {
    const form = await fetch(`${emulator.url}auth.test`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${TOKEN}`,
    });
    expect(await form.json()).toMatchObject({ ok: true });
    const json = await fetch(`${emulator.url}auth.test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(await json.json()).toMatchObject({ ok: false, error: 'not_authed' });
  });

  it('accepts JSON bodies with real arrays for blocks', async () => {
    const res = await fetch(`${emulator.url}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ channel: 'C1', text: 'fallback', blocks: [{ type: 'divider' }] }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C1' });
    expect(emulator.messages('C1')[0]?.blocks).toEqual([{ type: 'divider' }]);
  });

  it('answers invalid_json for a JSON body that does not parse', async () => {
    const res = await fetch(`${emulator.url}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: '{"channel":',
    });
    expect(await res.json()).toEqual({ ok: false, error: 'invalid_json' });
  });

  it('opens Socket Mode only for the app token, with a one-use ws:// URL on the emulator', async () => {
    const opened = await client(emulator, { token: 'xapp-test-token' }).apps.connections.open();
    expect(opened.url).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/link/\\?ticket=[0-9a-f]+&app_id=A0INCIDENTBOT$`));
    await expect(slack.apps.connections.open()).rejects.toMatchObject({ data: { error: 'not_allowed_token_type' } });
  });
});

describe('messages', () => {
  it('posts with unique, increasing Slack-style ts and keeps the channel state', async () => {
    const a = await slack.chat.postMessage({ channel: 'C1', text: 'first' });
    const b = await slack.chat.postMessage({ channel: 'C1', text: 'second' });
    expect(a.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(b.ts)).toBeGreaterThan(Number(a.ts));
    expect(a).toMatchObject({ ok: true, channel: 'C1', message: { text: 'first', user: 'U0INCIDENTBOT', bot_id: 'B0INCIDENTBOT' } });
    expect(emulator.messages('C1').map((m) => m.text)).toEqual(['first', 'second']);
  });

  it('decodes form-encoded blocks and attachments as WebClient sends them', async () => {
    await slack.chat.postMessage({
      channel: 'C1',
      text: 'fallback',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }],
      attachments: [{ color: '#ff0000', text: 'att' }],
    });
    const call = emulator.callsTo('chat.postMessage')[0];
    expect(call?.args.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }]);
    expect(call?.args.attachments).toEqual([{ color: '#ff0000', text: 'att' }]);
  });

  it('updates a message in place and rejects an unknown ts', async () => {
    const { ts } = await slack.chat.postMessage({ channel: 'C1', text: 'open' });
    const res = await slack.chat.update({ channel: 'C1', ts: ts!, text: 'resolved', blocks: [{ type: 'divider' }] });
    expect(res).toMatchObject({ ok: true, channel: 'C1', ts, text: 'resolved' });
    expect(emulator.messages('C1')).toHaveLength(1);
    expect(emulator.messages('C1')[0]).toMatchObject({ ts, text: 'resolved', blocks: [{ type: 'divider' }] });
    await expect(slack.chat.update({ channel: 'C1', ts: '1600000000.000001', text: 'x' })).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
  });

  it("refuses to update or delete someone else's message", async () => {
    const ts = emulator.seedThread('C1', [{ text: 'human', user: 'U0HUMAN' }]);
    await expect(slack.chat.update({ channel: 'C1', ts, text: 'x' })).rejects.toMatchObject({ data: { error: 'cant_update_message' } });
    await expect(slack.chat.delete({ channel: 'C1', ts })).rejects.toMatchObject({ data: { error: 'cant_delete_message' } });
  });

  it('answers channel_not_found without a channel and no_text without content', async () => {
    await expect(slack.apiCall('chat.postMessage', { text: 'x' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await expect(slack.apiCall('chat.postMessage', { channel: 'C1' })).rejects.toMatchObject({ data: { error: 'no_text' } });
  });

  it('threads replies under their parent and counts them', async () => {
    const parent = await slack.chat.postMessage({ channel: 'C1', text: 'INC opened' });
    await slack.chat.postMessage({ channel: 'C1', text: 'update 1', thread_ts: parent.ts! });
    await slack.chat.postMessage({ channel: 'C1', text: 'resolved', thread_ts: parent.ts!, reply_broadcast: true });
    const view = emulator.messages('C1');
    expect(view.map((m) => m.text)).toEqual(['INC opened', 'resolved']);
    expect(view[0]).toMatchObject({ thread_ts: parent.ts, reply_count: 2 });
    expect(view[0]?.replies?.map((m) => m.text)).toEqual(['update 1', 'resolved']);
    expect(view[1]).toMatchObject({ subtype: 'thread_broadcast', thread_ts: parent.ts });
  });

  it('posts ephemeral messages apart from the channel', async () => {
    const res = await slack.chat.postEphemeral({ channel: 'C1', user: 'U0ALICE', text: 'only you' });
    expect(res.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(emulator.messages('C1')).toEqual([]);
    expect(emulator.ephemeralMessages('C1')).toMatchObject([{ text: 'only you', recipient: 'U0ALICE' }]);
  });

  it('deletes a message', async () => {
    const { ts } = await slack.chat.postMessage({ channel: 'C1', text: 'oops' });
    await expect(slack.chat.delete({ channel: 'C1', ts: ts! })).resolves.toMatchObject({ ok: true, ts });
    expect(emulator.messages('C1')).toEqual([]);
    await expect(slack.chat.delete({ channel: 'C1', ts: ts! })).rejects.toMatchObject({ data: { error: 'message_not_found' } });
  });

  it('adds reactions and pins once each', async () => {
    const { ts } = await slack.chat.postMessage({ channel: 'C1', text: 'INC' });
    await slack.reactions.add({ channel: 'C1', timestamp: ts!, name: 'eyes' });
    await expect(slack.reactions.add({ channel: 'C1', timestamp: ts!, name: 'eyes' })).rejects.toMatchObject({
      data: { error: 'already_reacted' },
    });
    await slack.pins.add({ channel: 'C1', timestamp: ts! });
    await expect(slack.pins.add({ channel: 'C1', timestamp: ts! })).rejects.toMatchObject({ data: { error: 'already_pinned' } });
    await expect(slack.pins.add({ channel: 'C1', timestamp: '1.000001' })).rejects.toMatchObject({ data: { error: 'message_not_found' } });
    expect(emulator.messages('C1')[0]).toMatchObject({ reactions: [{ name: 'eyes', count: 1 }], pinned_to: ['C1'] });
  });
});

describe('reading conversations', () => {
  it('paginates conversations.replies with limit and cursor, seeded and posted messages in order', async () => {
    const parentTs = emulator.seedThread('C1', [
      { ts: '1700000000.000100', text: 'alert fired', user: 'U0ALICE' },
      { ts: '1700000001.000100', text: 'looking', user: 'U0ALICE' },
      { ts: '1700000002.000100', text: 'restarted', user: 'U0BOB' },
    ]);
    await slack.chat.postMessage({ channel: 'C1', thread_ts: parentTs, text: 'bot: diagnosis' });
    await slack.chat.postMessage({ channel: 'C1', thread_ts: parentTs, text: 'bot: resolved' });

    const first = await slack.conversations.replies({ channel: 'C1', ts: parentTs, limit: 2 });
    expect(first.messages?.map((m) => m.text)).toEqual(['alert fired', 'looking']);
    expect(first.has_more).toBe(true);
    const cursor = first.response_metadata?.next_cursor;
    expect(cursor).toBeTruthy();
    const second = await slack.conversations.replies({ channel: 'C1', ts: parentTs, limit: 2, cursor: cursor! });
    expect(second.messages?.map((m) => m.text)).toEqual(['restarted', 'bot: diagnosis']);

    const all: string[] = [];
    for await (const pageResult of slack.paginate('conversations.replies', { channel: 'C1', ts: parentTs, limit: 2 })) {
      all.push(...((pageResult as { messages?: Array<{ text: string }> }).messages ?? []).map((m) => m.text));
    }
    expect(all).toEqual(['alert fired', 'looking', 'restarted', 'bot: diagnosis', 'bot: resolved']);
    expect(emulator.callsTo('conversations.replies').at(-1)?.args.cursor).toBeDefined();

    expect(first.messages?.[0]).toMatchObject({ ts: parentTs, thread_ts: parentTs, reply_count: 4 });
    const botReply = (await slack.conversations.replies({ channel: 'C1', ts: parentTs })).messages?.at(-1);
    expect(botReply).toMatchObject({ bot_id: 'B0INCIDENTBOT', thread_ts: parentTs });
  });

  it('answers thread_not_found and invalid_cursor', async () => {
    await expect(slack.conversations.replies({ channel: 'C1', ts: '1.000001' })).rejects.toMatchObject({
      data: { error: 'thread_not_found' },
    });
    const ts = emulator.seedThread('C1', [{ text: 'p' }]);
    await expect(slack.conversations.replies({ channel: 'C1', ts, cursor: 'bogus' })).rejects.toMatchObject({
      data: { error: 'invalid_cursor' },
    });
  });

  it('lists conversations.history newest first without thread replies', async () => {
    const a = await slack.chat.postMessage({ channel: 'C1', text: 'a' });
    await slack.chat.postMessage({ channel: 'C1', text: 'reply', thread_ts: a.ts! });
    await slack.chat.postMessage({ channel: 'C1', text: 'b' });
    await slack.chat.postMessage({ channel: 'C1', text: 'c' });
    const page1 = await slack.conversations.history({ channel: 'C1', limit: 2 });
    expect(page1.messages?.map((m) => m.text)).toEqual(['c', 'b']);
    const page2 = await slack.conversations.history({ channel: 'C1', limit: 2, cursor: page1.response_metadata!.next_cursor! });
    expect(page2.messages?.map((m) => m.text)).toEqual(['a']);
    expect(page2.messages?.[0]).toMatchObject({ reply_count: 1 });
    expect(page2.has_more).toBe(false);
  });

  it('looks up users and user groups', async () => {
    emulator.addUser({ id: 'U0ALICE', name: 'alice', real_name: 'Alice Example' });
    emulator.addUsergroup('S0ONCALL', ['U0ALICE', 'U0BOB']);
    const res = await slack.users.info({ user: 'U0ALICE' });
    expect(res.user).toMatchObject({ id: 'U0ALICE', name: 'alice', real_name: 'Alice Example', profile: { real_name: 'Alice Example' } });
    await expect(slack.users.info({ user: 'U0NOBODY' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
    expect((await slack.usergroups.users.list({ usergroup: 'S0ONCALL' })).users).toEqual(['U0ALICE', 'U0BOB']);
  });
});

describe('views', () => {
  const modal = {
    type: 'modal' as const,
    callback_id: 'incident_open',
    title: { type: 'plain_text' as const, text: 'Open an incident' },
    submit: { type: 'plain_text' as const, text: 'Open' },
    blocks: [
      {
        type: 'input',
        block_id: 'title',
        label: { type: 'plain_text', text: 'Title' },
        element: { type: 'plain_text_input', action_id: 'value' },
      },
    ],
  };

  it('opens and updates a modal, enforcing the hash', async () => {
    const opened = await slack.views.open({ trigger_id: '123.456.abc', view: modal });
    const viewId = opened.view!.id!;
    expect(opened.view).toMatchObject({ callback_id: 'incident_open', type: 'modal' });
    const updated = await slack.views.update({
      view_id: viewId,
      hash: opened.view!.hash!,
      view: { ...modal, title: { type: 'plain_text', text: 'Opening…' } },
    });
    expect(updated.view).toMatchObject({ id: viewId, title: { text: 'Opening…' } });
    await expect(slack.views.update({ view_id: viewId, hash: opened.view!.hash!, view: modal })).rejects.toMatchObject({
      data: { error: 'hash_conflict' },
    });
    await expect(slack.views.update({ view_id: 'V0NOPE', view: modal })).rejects.toMatchObject({ data: { error: 'not_found' } });
  });

  it('rejects a reused trigger_id and a too-long modal title', async () => {
    await slack.views.open({ trigger_id: 't-1', view: modal });
    await expect(slack.views.open({ trigger_id: 't-1', view: modal })).rejects.toMatchObject({ data: { error: 'exchanged_trigger_id' } });
    await expect(
      slack.views.open({ trigger_id: 't-2', view: { ...modal, title: { type: 'plain_text', text: 'x'.repeat(25) } } }),
    ).rejects.toMatchObject({
      data: {
        error: 'invalid_arguments',
        response_metadata: { messages: ['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]'] },
      },
    });
  });
});

describe('failures and unknown methods', () => {
  it('records an unknown method and answers 404 unknown_method', async () => {
    await expect(slack.apiCall('conversations.archive', { channel: 'C1' })).rejects.toMatchObject({
      code: 'slack_webapi_http_error',
      statusCode: 404,
    });
    expect(emulator.unknownMethods).toEqual(['conversations.archive']);
    expect(emulator.calls[0]).toMatchObject({
      method: 'conversations.archive',
      status: 404,
      response: { ok: false, error: 'unknown_method' },
    });
  });

  it('answers 429 with Retry-After; WebClient waits and its retry succeeds', async () => {
    emulator.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 });
    const retrying = new WebClient(TOKEN, { slackApiUrl: emulator.url, logger: quietLogger(), retryConfig: { retries: 1 } });
    const res = await retrying.chat.postMessage({ channel: 'C1', text: 'after the storm' });
    expect(res.ok).toBe(true);
    const attempts = emulator.callsTo('chat.postMessage');
    expect(attempts.map((c) => c.status)).toEqual([429, 200]);
    expect(attempts[0]?.response).toEqual({ ok: false, error: 'ratelimited' });
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(950);
    expect(emulator.messages('C1')).toHaveLength(1);
  });

  it('sends the Retry-After header on 429', async () => {
    emulator.failNext('auth.test', { status: 429, retryAfterSeconds: 7 });
    const res = await fetch(`${emulator.url}auth.test`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
  });

  it('answers 5xx with an HTML body for the next N calls only', async () => {
    emulator.failNext('chat.postMessage', { status: 503 }, 2);
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({ statusCode: 503 });
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({ statusCode: 503 });
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'x' })).resolves.toMatchObject({ ok: true });
    const body = emulator.callsTo('chat.postMessage')[0]?.response;
    expect(typeof body === 'string' && body.startsWith('<html>')).toBe(true);
  });

  it('answers a platform error once', async () => {
    emulator.failNext('chat.update', { error: 'edit_window_closed' });
    const { ts } = await slack.chat.postMessage({ channel: 'C1', text: 'x' });
    await expect(slack.chat.update({ channel: 'C1', ts: ts!, text: 'y' })).rejects.toMatchObject({ data: { error: 'edit_window_closed' } });
    await expect(slack.chat.update({ channel: 'C1', ts: ts!, text: 'y' })).resolves.toMatchObject({ ok: true });
  });
});

describe('waiting and listening', () => {
  it('resolves for a call that already happened and for one still to come', async () => {
    await slack.chat.postMessage({ channel: 'C1', text: 'early' });
    await expect(emulator.waitForCall('chat.postMessage')).resolves.toMatchObject({ args: { text: 'early' } });
    const later = emulator.waitForCall('chat.postMessage', (c) => c.args.text === 'late', 2000);
    await slack.chat.postMessage({ channel: 'C1', text: 'late' });
    await expect(later).resolves.toMatchObject({ args: { channel: 'C1', text: 'late' } });
  });

  it('rejects with the method and the calls seen on timeout', async () => {
    await slack.auth.test();
    await expect(emulator.waitForCall('views.open', undefined, 50)).rejects.toThrow(
      "waitForCall('views.open'): no matching call within 50 ms; calls so far: auth.test(200)",
    );
  });

  it('emits every call to listeners', async () => {
    const seen: string[] = [];
    emulator.on('call', (c) => seen.push(c.method));
    await slack.auth.test();
    await slack.chat.postMessage({ channel: 'C1', text: 'x' });
    expect(seen).toEqual(['auth.test', 'chat.postMessage']);
  });
});

describe('response_url', () => {
  it('records posts and answers {ok:true}', async () => {
    const url = emulator.responseUrl();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/response\/[\w-]+$/);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Diagnosing…', response_type: 'ephemeral', replace_original: false }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(emulator.callsTo('response_url')[0]).toMatchObject({ args: { text: 'Diagnosing…', response_type: 'ephemeral' }, status: 200 });
  });

  it('posts in_channel responses, replaces the original and rejects invalid blocks', async () => {
    const { ts } = await slack.chat.postMessage({ channel: 'C1', text: 'Approve?' });
    const url = emulator.responseUrl({ channel: 'C1', messageTs: ts!, userId: 'U0ALICE' });
    const post = (body: unknown): Promise<Response> =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ text: 'Approved by alice', replace_original: true })).status).toBe(200);
    expect((await post({ text: 'Restarting worker-7', response_type: 'in_channel' })).status).toBe(200);
    expect((await post({ text: 'only for alice' })).status).toBe(200);
    const bad = await post({ text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(emulator.messages('C1').map((m) => m.text)).toEqual(['Approved by alice', 'Restarting worker-7']);
    expect(emulator.ephemeralMessages('C1')).toMatchObject([{ text: 'only for alice', recipient: 'U0ALICE' }]);
  });
});

describe('file uploads', () => {
  it('works end to end with WebClient.filesUploadV2', async () => {
    const parent = await slack.chat.postMessage({ channel: 'C1', text: 'INC-20240101120000 resolved' });
    const content = '# Post-mortem\n\nRoot cause: stuck agent.\n';
    const res = await slack.filesUploadV2({
      channel_id: 'C1',
      thread_ts: parent.ts!,
      file: Buffer.from(content),
      filename: 'postmortem.md',
      title: 'Post-mortem draft',
      initial_comment: 'Draft attached',
    });
    expect(res.ok).toBe(true);
    expect(emulator.calls.map((c) => c.method)).toEqual([
      'chat.postMessage',
      'files.getUploadURLExternal',
      'upload_url',
      'files.completeUploadExternal',
    ]);
    const [file] = emulator.uploadedFiles();
    expect(file).toMatchObject({ name: 'postmortem.md', title: 'Post-mortem draft', size: Buffer.byteLength(content), channels: ['C1'] });
    expect(file?.bytes.toString('utf8')).toBe(content);
    const thread = emulator.thread('C1', parent.ts!);
    expect(thread[1]).toMatchObject({ text: 'Draft attached', files: [{ id: file?.id, title: 'Post-mortem draft' }] });
  });

  it('refuses to complete an upload whose bytes never arrived', async () => {
    const { file_id } = await slack.files.getUploadURLExternal({ filename: 'a.txt', length: 3 });
    await expect(slack.files.completeUploadExternal({ files: [{ id: file_id! }], channel_id: 'C1' })).rejects.toMatchObject({
      data: { error: 'file_not_found' },
    });
  });
});

describe('postAs (people and other apps, for the playground)', () => {
  it("posts a person's message and another app's bot_message, and a reply into an existing thread", async () => {
    const alert = emulator.postAs('C1', {
      subtype: 'bot_message',
      bot_id: 'B0ALERTMGR',
      username: 'Alertmanager',
      attachments: [{ title: '[FIRING:1] X' }],
    });
    expect(alert.user).toBeUndefined();
    const reply = emulator.postAs('C1', { text: 'looking', user: 'U0ONCALL01', thread_ts: alert.ts });
    expect(Number(reply.ts)).toBeGreaterThan(Number(alert.ts));
    const [top] = emulator.messages('C1');
    expect(top).toMatchObject({
      ts: alert.ts,
      username: 'Alertmanager',
      reply_count: 1,
      replies: [{ text: 'looking', user: 'U0ONCALL01', parent_user_id: undefined }],
    });
    // The bot may reply in the thread but not edit the other app's post.
    await slack.chat.postMessage({ channel: 'C1', thread_ts: alert.ts, text: 'bot reply' });
    await expect(slack.chat.update({ channel: 'C1', ts: alert.ts, text: 'x' })).rejects.toMatchObject({
      data: { error: 'cant_update_message' },
    });
  });

  it('refuses a reply to a message that does not exist', () => {
    expect(() => emulator.postAs('C1', { text: 'orphan', thread_ts: '1.000001' })).toThrow(/no message 1.000001 in C1/);
  });
});

describe('Socket Mode', () => {
  function socketClient(): SocketModeClient {
    return new SocketModeClient({
      appToken: 'xapp-test-token',
      logLevel: SocketLogLevel.ERROR,
      clientOptions: { slackApiUrl: emulator.url, retryConfig: { retries: 0 } },
    });
  }

  it('says hello, pushes envelopes the client acks with their response payload, and survives refresh_requested', async () => {
    const sm = socketClient();
    const commands: string[] = [];
    sm.on('slash_commands', async ({ ack, body }: { ack: (r?: unknown) => Promise<void>; body: { text: string } }) => {
      commands.push(body.text);
      await ack({ text: `got ${body.text}` });
    });
    const events: string[] = [];
    sm.on('message', async ({ ack, event }: { ack: () => Promise<void>; event: { text: string } }) => {
      events.push(event.text);
      await ack();
    });
    try {
      await sm.start();
      expect(emulator.socketMode.connectionCount()).toBe(1);

      const first = emulator.socketMode.send('slash_commands', { command: '/incident', text: 'help' });
      const ack = await emulator.socketMode.waitForAck(first);
      expect(ack).toMatchObject({ type: 'slash_commands', payload: { text: 'got help' }, connection: 1 });

      emulator.socketMode.requestDisconnect('refresh_requested');
      // Sent while the client reconnects: held, then delivered on the new connection.
      const second = emulator.socketMode.send('events_api', { type: 'event_callback', event: { type: 'message', text: 'after' } });
      await emulator.socketMode.waitForConnection(2);
      expect(await emulator.socketMode.waitForAck(second)).toMatchObject({ type: 'events_api', connection: 2 });
      expect(emulator.callsTo('apps.connections.open')).toHaveLength(2);
      expect(commands).toEqual(['help']);
      expect(events).toEqual(['after']);
      expect(emulator.socketMode.acks().map((a) => a.envelopeId)).toEqual([first, second]);
    } finally {
      await sm.disconnect();
    }
  });

  it('refuses a connection URL used twice', async () => {
    const { url } = await client(emulator, { token: 'xapp-test-token' }).apps.connections.open();
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) {
      const ws = new WebSocket(url!);
      statuses.push(
        await new Promise<number>((resolve) => {
          ws.once('open', () => {
            ws.close();
            resolve(101);
          });
          ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          ws.once('error', () => undefined);
        }),
      );
    }
    expect(statuses).toEqual([101, 401]);
  });
});
