import { WebClient } from '@slack/web-api';
import { validateBlocks, validateView } from '../../src/emulator/block-kit-limits';
import { startSlackEmulator, type SlackEmulator } from '../../src/emulator/slack-emulator';
import { silentSlackLogger } from '../support/silent-slack-logger';

const plain = (text: string): { type: 'plain_text'; text: string } => ({ type: 'plain_text', text });
const mrkdwn = (text: string): { type: 'mrkdwn'; text: string } => ({ type: 'mrkdwn', text });
const button = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'button',
  action_id: 'approve',
  text: plain('Approve'),
  value: 'rem_1',
  ...over,
});
const section = (text: string): Record<string, unknown> => ({ type: 'section', text: mrkdwn(text) });

/** Each limit: the largest valid payload and the smallest invalid one, with the problem Slack reports. */
const LIMITS: Array<{ name: string; ok: unknown[]; bad: unknown[]; problem: string }> = [
  {
    name: 'more than 50 blocks',
    ok: Array.from({ length: 50 }, () => ({ type: 'divider' })),
    bad: Array.from({ length: 51 }, () => ({ type: 'divider' })),
    problem: 'no more than 50 items allowed [json-pointer:/blocks]',
  },
  {
    name: 'section text over 3000 characters',
    ok: [section('s'.repeat(3000))],
    bad: [section('s'.repeat(3001))],
    problem: 'must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
  },
  {
    name: 'header over 150 characters',
    ok: [{ type: 'header', text: plain('h'.repeat(150)) }],
    bad: [{ type: 'header', text: plain('h'.repeat(151)) }],
    problem: 'must be less than 151 characters [json-pointer:/blocks/0/text/text]',
  },
  {
    name: 'button value over 2000 characters',
    ok: [{ type: 'actions', elements: [button({ value: 'v'.repeat(2000) })] }],
    bad: [{ type: 'actions', elements: [button({ value: 'v'.repeat(2001) })] }],
    problem: 'must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]',
  },
  {
    name: 'button text over 75 characters',
    ok: [{ type: 'actions', elements: [button({ text: plain('t'.repeat(75)) })] }],
    bad: [{ type: 'actions', elements: [button({ text: plain('t'.repeat(76)) })] }],
    problem: 'must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]',
  },
  {
    name: 'action_id over 255 characters',
    ok: [{ type: 'section', text: mrkdwn('x'), accessory: button({ action_id: 'a'.repeat(255) }) }],
    bad: [{ type: 'section', text: mrkdwn('x'), accessory: button({ action_id: 'a'.repeat(256) }) }],
    problem: 'must be less than 256 characters [json-pointer:/blocks/0/accessory/action_id]',
  },
  {
    name: 'more than 25 elements in an actions block',
    ok: [{ type: 'actions', elements: Array.from({ length: 25 }, (_, i) => button({ action_id: `a${i}` })) }],
    bad: [{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button({ action_id: `a${i}` })) }],
    problem: 'no more than 25 items allowed [json-pointer:/blocks/0/elements]',
  },
  {
    name: 'more than 10 fields in a section',
    ok: [{ type: 'section', fields: Array.from({ length: 10 }, () => mrkdwn('f')) }],
    bad: [{ type: 'section', fields: Array.from({ length: 11 }, () => mrkdwn('f')) }],
    problem: 'no more than 10 items allowed [json-pointer:/blocks/0/fields]',
  },
  {
    name: 'a section field over 2000 characters',
    ok: [{ type: 'section', fields: [mrkdwn('f'), mrkdwn('f'.repeat(2000))] }],
    bad: [{ type: 'section', fields: [mrkdwn('f'), mrkdwn('f'.repeat(2001))] }],
    problem: 'must be less than 2001 characters [json-pointer:/blocks/0/fields/1/text]',
  },
];

describe('validateBlocks', () => {
  it.each(LIMITS)('accepts the limit and reports $name', ({ ok, bad, problem }) => {
    expect(validateBlocks(ok)).toEqual([]);
    expect(validateBlocks(bad)).toEqual([problem]);
  });

  it('reports structural problems Slack rejects', () => {
    expect(validateBlocks('nope')).toEqual(['must be an array [json-pointer:/blocks]']);
    expect(validateBlocks([{ text: mrkdwn('x') }])).toEqual(['missing required field: type [json-pointer:/blocks/0/type]']);
    expect(validateBlocks([{ type: 'sektion' }])).toEqual(['unsupported block type: sektion [json-pointer:/blocks/0/type]']);
    expect(validateBlocks([{ type: 'section' }])).toEqual(['must provide either text or fields [json-pointer:/blocks/0]']);
    expect(validateBlocks([section('')])).toEqual(['must be more than 0 characters [json-pointer:/blocks/0/text/text]']);
    expect(validateBlocks([{ type: 'header', text: mrkdwn('*bold*') }])).toEqual([
      'must be one of: plain_text [json-pointer:/blocks/0/text/type]',
    ]);
  });

  it('lists every problem, not only the first', () => {
    const problems = validateBlocks([section('s'.repeat(3001)), { type: 'header', text: plain('h'.repeat(151)) }]);
    expect(problems).toHaveLength(2);
  });

  it('allows 100 blocks in a modal', () => {
    const blocks = Array.from({ length: 100 }, () => ({ type: 'divider' }));
    expect(validateView({ type: 'modal', title: plain('Incident'), blocks })).toEqual([]);
    expect(validateView({ type: 'modal', title: plain('Incident'), blocks: [...blocks, { type: 'divider' }] })).toEqual([
      'no more than 100 items allowed [json-pointer:/view/blocks]',
    ]);
  });
});

describe('the emulator rejects what Slack rejects', () => {
  let emulator: SlackEmulator;
  let slack: WebClient;

  beforeAll(async () => {
    emulator = await startSlackEmulator();
    slack = new WebClient('xoxb-test-token', { slackApiUrl: emulator.url, logger: silentSlackLogger, retryConfig: { retries: 0 } });
  });

  afterAll(async () => {
    await emulator.close();
  });

  it.each(LIMITS)('chat.postMessage with $name → invalid_blocks naming the limit', async ({ ok, bad, problem }) => {
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'fallback', blocks: ok as never })).resolves.toMatchObject({ ok: true });
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'fallback', blocks: bad as never })).rejects.toMatchObject({
      data: { ok: false, error: 'invalid_blocks', response_metadata: { messages: [`[ERROR] ${problem}`] } },
    });
  });

  it.each(LIMITS)('chat.update and chat.postEphemeral with $name → invalid_blocks', async ({ bad }) => {
    const { ts } = await slack.chat.postMessage({ channel: 'C2', text: 'original' });
    await expect(slack.chat.update({ channel: 'C2', ts: ts!, text: 'x', blocks: bad as never })).rejects.toMatchObject({
      data: { error: 'invalid_blocks' },
    });
    await expect(slack.chat.postEphemeral({ channel: 'C2', user: 'U1', text: 'x', blocks: bad as never })).rejects.toMatchObject({
      data: { error: 'invalid_blocks' },
    });
    expect(emulator.messages('C2').find((m) => m.ts === ts)?.text).toBe('original');
  });

  it('rejects message text over 40,000 characters with msg_too_long', async () => {
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'x'.repeat(40_000) })).resolves.toMatchObject({ ok: true });
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'x'.repeat(40_001) })).rejects.toMatchObject({
      data: { error: 'msg_too_long', response_metadata: { messages: [expect.stringContaining('[json-pointer:/text]')] } },
    });
  });

  it('rejects blocks that are not JSON with invalid_blocks_format', async () => {
    const res = await fetch(`${emulator.url}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer xoxb-test-token' },
      body: new URLSearchParams({ channel: 'C1', text: 'x', blocks: '[{"type":' }).toString(),
    });
    expect(await res.json()).toEqual({ ok: false, error: 'invalid_blocks_format' });
  });

  it('checks blocks inside attachments too', async () => {
    await expect(
      slack.chat.postMessage({ channel: 'C1', text: 'x', attachments: [{ blocks: [{ type: 'header', text: plain('h'.repeat(151)) }] }] }),
    ).rejects.toMatchObject({
      data: {
        error: 'invalid_attachments',
        response_metadata: { messages: ['[ERROR] must be less than 151 characters [json-pointer:/attachments/0/blocks/0/text/text]'] },
      },
    });
  });
});
