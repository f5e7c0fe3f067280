import type { StormPublisher } from '../alerts/alert-storm';
import type { Logger } from '../logger';
import { renderAlertGroup } from './blocks/alert-group-blocks';
import { renderStormSummary } from './blocks/storm-blocks';
import type { SlackPoster } from './slack-poster';

// A thread message lists at most this many alerts (Block Kit's 50 blocks); a bigger batch takes several.
const ALERTS_PER_THREAD_MESSAGE = 40;

/** The storm summary in Slack: posted once per storm in its channel, edited in place, alerts listed in its thread. */
export function createStormMessenger(deps: { poster: SlackPoster; logger: Logger }): StormPublisher {
  const summaries = new Map<string, { ts: string; startedAt: number }>();
  return {
    showStorm: async (summary, newAlerts) => {
      const { text, blocks } = renderStormSummary(summary);
      let current = summaries.get(summary.channel);
      if (current && current.startedAt !== summary.startedAt.getTime()) current = undefined;
      if (!current) {
        const posted = await deps.poster.post({ channel: summary.channel, text, blocks, unfurl_links: false });
        current = { ts: posted.ts, startedAt: summary.startedAt.getTime() };
        summaries.set(summary.channel, current);
      } else {
        await deps.poster.update({ channel: summary.channel, ts: current.ts, text, blocks });
      }
      for (let i = 0; i < newAlerts.length; i += ALERTS_PER_THREAD_MESSAGE) {
        const batch = newAlerts.slice(i, i + ALERTS_PER_THREAD_MESSAGE);
        const list = renderAlertGroup({ id: 0 }, batch, {
          kind: 'reply',
          context: "alerts of the storm · each alert's actions are in its ⋯ menu",
        });
        await deps.poster.post({
          channel: summary.channel,
          thread_ts: current.ts,
          text: list.text,
          blocks: list.blocks,
          unfurl_links: false,
        });
      }
      if (summary.endedAt) summaries.delete(summary.channel);
    },
  };
}
