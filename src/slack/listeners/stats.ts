import type { App } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Clock } from '../../clock';
import type { ReportStore, TopAlert } from '../../domain/report';
import { SEVERITIES } from '../../domain/severity';
import { BotError, isConnectionError, storageUnavailable } from '../../errors';
import { formatSeconds, incidentStats, type IncidentStats } from '../../reports/incident-stats';
import { weeklyChartPng, weeklyFigures } from '../../reports/weekly-chart';
import type { Logger } from '../../logger';
import { escapeMrkdwn } from '../blocks/mrkdwn';
import { onButton } from '../button-router';
import type { SubcommandHandlers } from './incident-command-dispatch';

import { STATS_CHART_ACTION_ID } from '../blocks/stats-blocks';
import { createChannelReader, slackErrorCode, type ChannelAccess } from '../channel-access';
const WINDOWS = new Set(['7', '30', '90']);

/** Slack shares a file only where the bot is a member (chat:write.public does not cover uploads). */
const CHART_REFUSALS: Record<string, string> = {
  not_in_channel:
    'I cannot share the chart here: I am not a member of this channel, and Slack lets me upload files only where I am. Invite me with `/invite @incident-bot` and press the button again.',
  channel_not_found:
    'I cannot share the chart here: this is a private channel or a conversation I am not in. Invite me with `/invite @incident-bot` and press the button again, or run `/incident stats` in a channel I am in.',
  is_archived: 'I cannot share the chart here: this channel is archived.',
};

export interface StatsDeps {
  store: ReportStore;
  clock: Clock;
  client: WebClient;
  logger: Logger;
}

export function renderStats(s: IncidentStats): { text: string; blocks: KnownBlock[] } {
  const sev = SEVERITIES.map((x) => `${x} ${s.bySeverity[x]}`).join(' · ');
  const breaches = s.slaBreaches.slice(0, 10).map((b) => `${escapeMrkdwn(b.id)} (${b.severity}, +${b.minutesLate} min)`);
  const fields = [
    `*Incidents*\n${s.total} — ${sev}`,
    `*SLA breaches*\n${s.slaBreaches.length}${breaches.length ? `: ${breaches.join(', ')}` : ''}`,
    `*MTTA* (${s.mtta.count} acknowledged)\nmedian ${formatSeconds(s.mtta.medianSeconds)} · p90 ${formatSeconds(s.mtta.p90Seconds)}`,
    `*MTTR* (${s.mttr.count} resolved)\nmedian ${formatSeconds(s.mttr.medianSeconds)} · p90 ${formatSeconds(s.mttr.p90Seconds)}`,
    `*Top alerts*\n${s.topAlerts.length ? s.topAlerts.map((a) => `${escapeMrkdwn(a.name)} ×${a.alerts}`).join(', ') : 'none'}`,
    `*Follow-ups*\n${s.followUps.open} open · ${s.followUps.overdue} overdue`,
  ].map((t) => ({ type: 'mrkdwn' as const, text: t.slice(0, 2000) }));
  const title = `Incident report, last ${s.days} days (${s.since.toISOString().slice(0, 10)} – ${s.until.toISOString().slice(0, 10)})`;
  return {
    text: `${title}: ${s.total} incidents, MTTA median ${formatSeconds(s.mtta.medianSeconds)}, MTTR median ${formatSeconds(s.mttr.medianSeconds)}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
      { type: 'section', fields },
      {
        type: 'actions',
        block_id: 'stats_actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Share weekly chart in channel' },
            action_id: STATS_CHART_ACTION_ID,
            value: String(s.days),
          },
        ],
      },
    ],
  };
}

/**
 * `/incident stats [7d|30d|90d]`: the report, to whoever asked (ephemeral). An alert name seen in a channel the asker
 * cannot read (private, not a member, or Slack cannot say) is not shown: it is counted as "in a private channel".
 */
export function statsCommandHandler(
  deps: Pick<StatsDeps, 'store' | 'clock'> & { access: Pick<ChannelAccess, 'privacy' | 'isMember'> },
): NonNullable<SubcommandHandlers['stats']> {
  return async (inv) => {
    const stats = await incidentStats(deps, inv.command.days);
    const reader = createChannelReader(deps.access, { userId: inv.userId, channelId: inv.channelId });
    const readable = async (channelId: string) => (await reader.canRead(channelId)) === true;
    const topAlerts: TopAlert[] = [];
    for (const a of stats.topAlerts) {
      const shown = (await Promise.all(a.channels.map(readable))).every(Boolean);
      topAlerts.push(shown ? a : { ...a, name: 'an alert in a private channel' });
    }
    const { text, blocks } = renderStats({ ...stats, topAlerts });
    await inv.respond({ response_type: 'ephemeral', text, blocks: blocks as never });
  };
}

/** The chart button: the weekly MTTA/MTTR medians as a PNG, uploaded to the channel the report was asked in. */
export function registerStatsChart(app: App, deps: StatsDeps): void {
  onButton(app, STATS_CHART_ACTION_ID, async ({ ack, action, body, respond, context }) => {
    await ack();
    const log = (context.log as Logger | undefined) ?? deps.logger;
    const tell = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);
    const days = action.value ?? '';
    const channel = body.channel?.id;
    if (!WINDOWS.has(days) || !channel) {
      await tell('That button does not belong to a report this bot made.');
      return;
    }
    try {
      const until = deps.clock.now();
      const rows = await deps.store.incidentsSince(new Date(until.getTime() - Number(days) * 24 * 3600_000));
      const weeks = weeklyFigures(rows, until, Number(days));
      const summary = weeks
        .map((w) => `${w.start.toISOString().slice(5, 10)}: MTTA ${w.mttaMinutes ?? '—'} min, MTTR ${w.mttrMinutes ?? '—'} min`)
        .join('; ');
      await deps.client.filesUploadV2({
        channel_id: channel,
        file: weeklyChartPng(weeks),
        filename: `incident-mtta-mttr-${days}d.png`,
        title: `Weekly MTTA / MTTR (median), last ${days} days`,
        alt_text: `Weekly median time to acknowledge and to resolve, in minutes: ${summary}`.slice(0, 1000),
        initial_comment: `<@${body.user.id}> shared the weekly MTTA / MTTR of the last ${days} days.`,
      });
    } catch (err) {
      const refusal = CHART_REFUSALS[slackErrorCode(err) ?? ''];
      if (err instanceof BotError) await tell(err.userMessage);
      else if (isConnectionError(err)) await tell(storageUnavailable(err).userMessage);
      else if (refusal) {
        log.warn({ slackError: slackErrorCode(err), channel }, 'Slack refused the chart upload');
        await tell(refusal);
      } else {
        log.error({ err }, 'the stats chart failed');
        await tell('Sorry, the chart failed on our side. It has been logged; try again.');
      }
    }
  });
}
