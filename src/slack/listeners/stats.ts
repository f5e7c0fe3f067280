import type { KnownBlock } from '@slack/types';
import type { Clock } from '../../clock';
import { SEVERITIES } from '../../domain/severity';
import { formatSeconds, incidentStats, type IncidentStats } from '../../reports/incident-stats';
import type { ReportStore } from '../../domain/report';
import { escapeMrkdwn } from '../blocks/mrkdwn';
import type { SubcommandHandlers } from './incident-command-dispatch';

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
    blocks: [{ type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } }, { type: 'section', fields }],
  };
}

/** `/incident stats [7d|30d|90d]`: the report, to whoever asked (ephemeral). */
export function statsCommandHandler(deps: { store: ReportStore; clock: Clock }): NonNullable<SubcommandHandlers['stats']> {
  return async (inv) => {
    const { text, blocks } = renderStats(await incidentStats(deps, inv.command.days));
    await inv.respond({ response_type: 'ephemeral', text, blocks: blocks as never });
  };
}
