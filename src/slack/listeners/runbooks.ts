import type { Catalog } from '../../runbooks';
import { cutFormatted, escapeMrkdwn } from '../blocks/mrkdwn';
import type { CommandInvocation } from './incident-command-dispatch';

/** `/incident runbooks`: what the catalog covers, ephemerally. */
export function runbooksCommandHandler(catalog: Catalog) {
  return async (inv: CommandInvocation<{ name: 'runbooks' }>): Promise<void> => {
    const lines = catalog.runbooks.map((rb) => {
      const alerts = rb.alerts.map((a) => `${escapeMrkdwn(a.name)} (${a.severity})`).join(', ');
      const remediations = rb.remediations.length
        ? `\n    remediations: ${rb.remediations.map((r) => `\`${escapeMrkdwn(r.kind)}\` ${escapeMrkdwn(r.title)}`).join(', ')}`
        : '';
      return `• *${escapeMrkdwn(rb.title)}* — ${rb.probes.length} checks${rb.link && /^[^<>|\s]+$/.test(rb.link) ? `, <${rb.link}|runbook>` : ''}\n    alerts: ${alerts}${remediations}`;
    });
    await inv.respond({
      response_type: 'ephemeral',
      text: cutFormatted(
        `*Runbooks in the catalog* (${catalog.runbooks.length})\n${lines.join('\n')}\n\`/incident diagnose <AlertName> [label=value ...]\` runs an alert's checks.`,
        3000,
      ),
    });
  };
}
