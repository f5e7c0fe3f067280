/** The signed-request sender lives beside the emulator so the local playground can use it too; tests import it from here. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { newTriggerId } from '../../src/emulator/slack-signing';

export * from '../../src/emulator/slack-signing';

export interface ButtonClick {
  userId: string;
  channel: string;
  messageTs: string;
  threadTs?: string;
  actionId: string;
  value: string;
  blockId?: string;
  responseUrl: string;
  triggerId?: string;
}

/** A `block_actions` payload for one button click, shaped like the captured fixture `slack/block-actions.json`. */
export function buttonClickPayload(click: ButtonClick): Record<string, unknown> {
  const base = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'slack', 'block-actions.json'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  const thread = click.threadTs ? { thread_ts: click.threadTs } : {};
  return {
    ...base,
    user: { ...base.user, id: click.userId, username: click.userId.toLowerCase(), name: click.userId.toLowerCase() },
    trigger_id: click.triggerId ?? newTriggerId(),
    channel: { id: click.channel, name: 'incidents' },
    container: { type: 'message', message_ts: click.messageTs, channel_id: click.channel, is_ephemeral: false, ...thread },
    message: { ...base.message, ts: click.messageTs, thread_ts: click.threadTs },
    response_url: click.responseUrl,
    actions: [
      {
        action_id: click.actionId,
        block_id: click.blockId ?? 'b',
        type: 'button',
        value: click.value,
        text: { type: 'plain_text', text: click.actionId },
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
}
