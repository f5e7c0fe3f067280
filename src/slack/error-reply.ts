import type { RespondFn } from '@slack/bolt';
import { BotError, isConnectionError, storageUnavailable } from '../errors';
import type { Logger } from '../logger';

const SLACK_CHANNEL_ERRORS: Record<string, string> = {
  not_in_channel: 'I am not in this channel, so I cannot post here: invite me with `/invite @incident-bot` and try again.',
  channel_not_found: 'I cannot see this channel: invite me with `/invite @incident-bot` (private channels need an invitation).',
  is_archived: 'This channel is archived; run the command in an active channel.',
};

/**
 * Answers a failed command or click ephemerally: a BotError in its own words, an unreachable database as such, Slack's
 * channel refusals with what to do; anything else is a bug, logged with its stack and answered politely.
 */
export async function respondWithError(err: unknown, respond: RespondFn, log: Logger, what: string): Promise<void> {
  if (err instanceof BotError) {
    log.warn({ code: err.code, what }, err.userMessage);
    await respond({ response_type: 'ephemeral', text: err.userMessage }).catch(() => undefined);
    return;
  }
  if (isConnectionError(err)) {
    log.warn({ what, err: { message: (err as Error).message } }, 'storage unavailable');
    await respond({ response_type: 'ephemeral', text: storageUnavailable(err).userMessage }).catch(() => undefined);
    return;
  }
  const slackError = (err as { data?: { error?: string } }).data?.error;
  if (slackError && SLACK_CHANNEL_ERRORS[slackError]) {
    log.warn({ slackError, what }, 'Slack refused the post');
    await respond({ response_type: 'ephemeral', text: SLACK_CHANNEL_ERRORS[slackError] }).catch(() => undefined);
    return;
  }
  log.error({ err, what }, 'command failed');
  await respond({
    response_type: 'ephemeral',
    text: `Sorry, \`${what}\` failed on our side. It has been logged; try again, and tell the bot's maintainers if it keeps happening.`,
  }).catch(() => undefined);
}
