import type { RecordedCall } from '../../src/emulator/slack-emulator';

/** A button as the bot rendered it. */
export interface RenderedButton {
  action_id: string;
  value?: string;
  url?: string;
}

/** The text of a recorded post, update or answer. */
export const textOf = (c: RecordedCall): string => String(c.args.text);

/** The blocks of a recorded call as JSON, for `toContain` checks ('[]' when it has none). */
export const blocksOf = (c: RecordedCall): string => JSON.stringify(c.args.blocks ?? []);

/** The ts Slack gave the message a recorded chat.postMessage posted. */
export const tsOf = (c: RecordedCall): string => (c.response as { ts: string }).ts;

/** Every button in `blocks`, wherever it sits (actions blocks and section accessories alike), in order. */
export function buttonsOf(blocks: unknown): RenderedButton[] {
  const found: RenderedButton[] = [];
  JSON.stringify(blocks, (_k, v: unknown) => {
    const b = v as { type?: string; action_id?: string };
    if (b && b.type === 'button' && typeof b.action_id === 'string') found.push(v as RenderedButton);
    return v;
  });
  return found;
}
