import type { StormPublisher } from '../alerts/alert-storm';
import { renderAlertGroup } from './blocks/alert-group-blocks';
import { renderStormSummary } from './blocks/storm-blocks';
import type { SlackPoster } from './slack-poster';

// A thread message lists at most this many alerts (Block Kit's 50 blocks); a bigger batch takes several.
const ALERTS_PER_THREAD_MESSAGE = 40;

/** The storm summary in Slack: posted once per storm in its channel, edited in place, alerts listed in its thread. */
export function createStormMessenger(deps: { poster: SlackPoster }): StormPublisher {
  return {
    postSummary: async (summary, key) => {
      const { text, blocks } = renderStormSummary(summary);
      const posted = await deps.poster.post({ channel: summary.channel, text, blocks, unfurl_links: false }, { idempotencyKey: key });
      return posted.ts;
    },
    editSummary: async (ts, summary) => {
      const { text, blocks } = renderStormSummary(summary);
      await deps.poster.update({ channel: summary.channel, ts, text, blocks });
    },
    listAlerts: async (channel, ts, alerts) => {
      for (let i = 0; i < alerts.length; i += ALERTS_PER_THREAD_MESSAGE) {
        const list = renderAlertGroup({ id: 0 }, alerts.slice(i, i + ALERTS_PER_THREAD_MESSAGE), {
          kind: 'reply',
          context: "alerts of the storm · each alert's actions are in its ⋯ menu",
        });
        await deps.poster.post({ channel, thread_ts: ts, text: list.text, blocks: list.blocks, unfurl_links: false });
      }
    },
  };
}
