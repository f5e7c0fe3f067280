import type { ProbeStatus } from '../probes/types';
import type { DiagnosisResult } from './run-diagnosis';

const MARK: Record<ProbeStatus, string> = { ok: 'OK  ', warn: 'WARN', crit: 'CRIT', unknown: '??  ' };

/** Plain-text rendering for the terminal (`incident-bot diagnose`). */
export function formatDiagnosisText(r: DiagnosisResult): string {
  const lines: string[] = [];
  const labels = Object.entries(r.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  lines.push(`${r.alert.name} (${r.alert.severity}) — ${r.runbook.title}${labels ? `  [${labels}]` : ''}`);
  const took = r.finishedAt ? ` in ${((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)} s` : '';
  lines.push(
    `Overall: ${r.status.toUpperCase()} — ${r.probes.length} check${r.probes.length === 1 ? '' : 's'}${took}${r.pending.length ? `, ${r.pending.length} pending` : ''}`,
  );
  lines.push('');
  for (const p of r.probes) {
    lines.push(`  ${MARK[p.status]}  ${p.title} [${p.kind}, ${p.durationMs} ms]: ${p.summary}${p.assumed ? ' (assumed metric)' : ''}`);
    if (p.figures.length) lines.push(`        ${p.figures.map((f) => `${f.label}: ${f.value}${f.unit ? ` ${f.unit}` : ''}`).join(' · ')}`);
    if (p.evidence.excerpt) {
      for (const l of p.evidence.excerpt.split('\n').slice(0, 5)) lines.push(`        | ${l.slice(0, 160)}`);
    }
  }
  for (const p of r.pending) lines.push(`  ...   ${p.title} [${p.kind}]: running`);
  if (r.causes.length) {
    lines.push('', 'Likely causes:');
    for (const c of r.causes) lines.push(`  - ${c.cause} (${c.probe} is ${c.status}): ${c.fix}`);
  }
  if (r.manualSteps.length) {
    lines.push('', 'Manual steps:');
    for (const s of r.manualSteps) lines.push(`  [ ] ${s}`);
  }
  if (r.remediations.length) {
    lines.push('', 'Remediations offered (request them from Slack; each needs an approval):');
    for (const m of r.remediations) lines.push(`  - ${m.title} (${m.id}, risk ${m.risk})`);
  }
  for (const d of r.dashboards) lines.push(`Dashboard: ${d.title}: ${d.url}`);
  if (r.runbook.link) lines.push('', `Runbook: ${r.runbook.link}`);
  return `${lines.join('\n')}\n`;
}
