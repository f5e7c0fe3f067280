import { StormChannelRefusedError, type StormPublisher } from '../alerts/alert-storm';
import { renderAlertGroup } from './blocks/alert-group-blocks';
import { renderStormSummary } from './blocks/storm-blocks';
import { slackErrorCode } from './channel-access';
import type { SlackPoster } from './slack-poster';

// A thread message lists at most this many alerts (Block Kit's 50 blocks); a bigger batch takes several.
const ALERTS_PER_THREAD_MESSAGE = 40;

/**
 * Slack's answers that no retry changes: the bot is not in the channel (or cannot see it), the channel is archived,
 * posting there is restricted, the summary (or its thread) was deleted.
 */
const REFUSALS = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'channel_is_archived',
  'restricted_action',
  'restricted_action_read_only_channel',
  'restricted_action_thread_only_channel',
  'ekm_access_denied',
  'team_access_not_granted',
  'message_not_found',
  'cant_update_message',
  'thread_not_found',
]);

/** Runs a Slack call of the storm; a refusal becomes the storm's own error, so that it gives up instead of retrying. */
async function refusedAs<T>(channel: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const code = slackErrorCode(err);
    if (code && REFUSALS.has(code)) throw new StormChannelRefusedError(channel, code);
    throw err;
  }
}

/** The storm summary in Slack: posted once per storm in its channel, edited in place, alerts listed in its thread. */
export function createStormMessenger(deps: { poster: SlackPoster }): StormPublisher {
  return {
    postSummary: async (summary, key) => {
      const { text, blocks } = renderStormSummary(summary);
      const posted = await refusedAs(summary.channel, () =>
        deps.poster.post({ channel: summary.channel, text, blocks, unfurl_links: false }, { idempotencyKey: key }),
      );
      return posted.ts;
    },
    editSummary: async (ts, summary) => {
      const { text, blocks } = renderStormSummary(summary);
      await refusedAs(summary.channel, () => deps.poster.update({ channel: summary.channel, ts, text, blocks }));
    },
    listAlerts: async (channel, ts, alerts) => {
      for (let i = 0; i < alerts.length; i += ALERTS_PER_THREAD_MESSAGE) {
        const list = renderAlertGroup({ id: 0 }, alerts.slice(i, i + ALERTS_PER_THREAD_MESSAGE), {
          kind: 'reply',
          context: "alerts of the storm · each alert's actions are in its ⋯ menu",
        });
        await refusedAs(channel, () =>
          deps.poster.post({ channel, thread_ts: ts, text: list.text, blocks: list.blocks, unfurl_links: false }),
        );
      }
    },
  };
}
