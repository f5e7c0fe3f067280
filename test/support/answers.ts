import type { RecordedCall, SlackEmulator } from '../../src/emulator/slack-emulator';

/**
 * What the bot answered the person who clicked or typed: a post to the response_url, or chat.postEphemeral (a click
 * on a message in a thread is answered in that thread, which a response_url cannot do).
 */
export function isAnswer(c: RecordedCall): boolean {
  return c.method === 'response_url' || c.method === 'chat.postEphemeral';
}

/** Only the person sees it: chat.postEphemeral, or a response_url post that is neither in_channel nor an edit. */
export function isEphemeral(c: RecordedCall): boolean {
  if (c.method === 'chat.postEphemeral') return true;
  return (
    c.method === 'response_url' &&
    c.args.response_type !== 'in_channel' &&
    c.args.replace_original !== true &&
    c.args.delete_original !== true
  );
}

export function answers(slack: SlackEmulator): RecordedCall[] {
  return slack.calls.filter(isAnswer);
}

/** The first answer (already made or yet to come) that matches. */
export function waitForAnswer(
  slack: SlackEmulator,
  predicate: (c: RecordedCall) => boolean = () => true,
  timeoutMs = 5000,
): Promise<RecordedCall> {
  const matches = (c: RecordedCall) => isAnswer(c) && predicate(c);
  const found = slack.calls.find(matches);
  if (found) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const listener = (c: RecordedCall) => {
      if (!matches(c)) return;
      clearTimeout(timer);
      slack.off('call', listener);
      resolve(c);
    };
    const timer = setTimeout(() => {
      slack.off('call', listener);
      const seen = answers(slack)
        .map((c) => `${c.method}: ${String(c.args.text).slice(0, 160)}`)
        .join('\n  ');
      reject(new Error(`no matching answer within ${timeoutMs} ms; answers so far:\n  ${seen}`));
    }, timeoutMs);
    slack.on('call', listener);
  });
}
