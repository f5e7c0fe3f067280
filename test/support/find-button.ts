import type { RecordedCall } from '../../src/emulator/slack-emulator';

/** The first button with this action_id (and a value containing `contains`) in a recorded post or update. */
export function findButton(call: RecordedCall, actionId: string, contains?: string): { value: string } {
  const found: { value: string }[] = [];
  JSON.stringify(call.args.blocks, (_k, v: unknown) => {
    const b = v as { type?: string; action_id?: string; value?: string };
    if (b && b.type === 'button' && b.action_id === actionId && (!contains || String(b.value).includes(contains)))
      found.push({ value: String(b.value) });
    return v;
  });
  if (!found[0])
    throw new Error(`no ${actionId} button${contains ? ` for ${contains}` : ''} in ${JSON.stringify(call.args.blocks).slice(0, 2000)}`);
  return found[0];
}
