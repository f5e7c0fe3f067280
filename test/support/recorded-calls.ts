import type { RecordedCall, SlackEmulator } from '../../src/emulator/slack-emulator';

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

/** The text of the first file a recorded files.completeUploadExternal shared (the bytes the bot uploaded). */
export function uploadedText(slack: SlackEmulator, complete: RecordedCall): string {
  const fileId = (complete.args.files as { id: string }[])[0]!.id;
  const file = slack.uploadedFiles().find((f) => f.id === fileId);
  if (!file) throw new Error(`file ${fileId} was shared but never uploaded`);
  return file.bytes.toString('utf8');
}

/** The body of a Markdown `## heading` section, trimmed ('' when there is none). */
export function markdownSection(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) return '';
  const body = markdown.slice(start + heading.length + 5);
  const end = body.search(/\n## /);
  return (end < 0 ? body : body.slice(0, end)).trim();
}
