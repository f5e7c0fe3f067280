import type { FixtureAnswer } from '../test/support/incident-replay';

/** How a draft compares with a fixture's answer key. */
export interface DraftScore {
  actionItems: {
    extracted: number;
    real: number;
    truePositives: number;
    matchedKeys: number;
    ownersRight: number;
    precision: number;
    recall: number;
    wrong: string[];
    missed: string[];
  };
  timeline: {
    listed: number;
    keyMoments: number;
    truePositives: number;
    matchedKeys: number;
    precision: number;
    recall: number;
    missed: string[];
  };
  metrics: Array<{ field: string; expected: string; got: string; ok: boolean }>;
  rootCause: boolean;
  impactQuestions: number;
}

/** The body of `## Heading` (up to the next `## `). */
export function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) return '';
  const body = markdown.slice(start + heading.length + 5);
  const end = body.search(/\n## /);
  return (end < 0 ? body : body.slice(0, end)).trim();
}

const toMinutes = (hhmm: string): number => {
  const [h, m, s] = hhmm.split(':').map(Number);
  return h! * 60 + m! + (s ?? 0) / 60;
};

/** `1 h 18 min`, `9 min 30 s`, `< 1 min`, `43 min` → minutes. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^< ?1 min/.test(t)) return 0.5;
  const re = /(\d+(?:\.\d+)?)\s*(d|h|min|s)\b/g;
  let total = 0;
  let found = false;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t))) {
    found = true;
    const n = Number(m[1]);
    total += m[2] === 'd' ? n * 1440 : m[2] === 'h' ? n * 60 : m[2] === 'min' ? n : n / 60;
  }
  return found ? total : undefined;
}

function metricLine(metrics: string, label: string): string {
  const line = metrics.split('\n').find((l) => l.replace(/^-\s*/, '').toLowerCase().startsWith(label.toLowerCase()));
  return line
    ? line
        .replace(/^-\s*/, '')
        .slice(label.length)
        .replace(/^[^:]*:\s*/, '')
    : '';
}

/** Scores one draft against its answer key: action items and timeline moments by pattern, Metrics field by field. */
export function scoreDraft(markdown: string, answer: FixtureAnswer): DraftScore {
  // Action items: the checklist lines of the section (candidates to confirm count as extracted).
  const actionLines = section(markdown, 'Action Items')
    .split('\n')
    .filter((l) => /^\s*- \[[ x]\]/.test(l) && !/\[FILL IN\]/.test(l));
  const keyHit = answer.action_items.map(() => false);
  let tp = 0;
  let ownersRight = 0;
  const wrong: string[] = [];
  for (const line of actionLines) {
    const i = answer.action_items.findIndex((k, j) => !keyHit[j] && new RegExp(k.match, 'i').test(line));
    if (i < 0) {
      wrong.push(line.slice(0, 140));
      continue;
    }
    keyHit[i] = true;
    tp += 1;
    const owner = /\(owner: @([\w.-]+)\)/.exec(line)?.[1];
    if (owner === answer.action_items[i]!.owner) ownersRight += 1;
  }
  const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);

  // Timeline: rows `- **HH:MM:SS** …`; a key moment is found by a row within 2 minutes that matches its pattern.
  const rows = section(markdown, 'Timeline')
    .split('\n')
    .map((l) => /^- \*\*(?:\d{4}-\d{2}-\d{2} )?(\d{2}:\d{2}(?::\d{2})?)\*\*(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ at: toMinutes(m[1]!), text: m[2]! }));
  const momentHit = answer.timeline.map(() => false);
  let rowTp = 0;
  for (const r of rows) {
    const i = answer.timeline.findIndex(
      (k, j) => !momentHit[j] && Math.abs(toMinutes(k.at) - r.at) <= 2 && new RegExp(k.match, 'i').test(r.text),
    );
    if (i >= 0) {
      momentHit[i] = true;
      rowTp += 1;
    }
  }

  // Metrics.
  const metrics = section(markdown, 'Metrics');
  const m = answer.metrics;
  const timeOf = (label: string) => /(\d{2}:\d{2}(?::\d{2})?)/.exec(metricLine(metrics, label))?.[1] ?? '';
  const sameTime = (got: string, want: string) => got !== '' && Math.abs(toMinutes(got) - toMinutes(want)) <= (want.length === 5 ? 1 : 0.1);
  const durOf = (label: string) => parseDuration(metricLine(metrics, label).split('(')[0] ?? '');
  const sameDur = (got: number | undefined, want: number) => got !== undefined && Math.abs(got - want) <= 1;
  const ackLine = metricLine(metrics, 'Acknowledged');
  const slaLine = metrics.split('\n').find((l) => /Response SLA/i.test(l)) ?? '';
  const fields: DraftScore['metrics'] = [
    { field: 'start of impact', expected: m.start, got: timeOf('Start of impact'), ok: sameTime(timeOf('Start of impact'), m.start) },
    { field: 'detected', expected: m.detected, got: timeOf('Detected'), ok: sameTime(timeOf('Detected'), m.detected) },
    {
      field: 'acknowledged',
      expected: `${m.acknowledged} by ${m.acknowledged_by}`,
      got: ackLine.slice(0, 60),
      ok: sameTime(timeOf('Acknowledged'), m.acknowledged) && ackLine.includes(`@${m.acknowledged_by}`),
    },
    { field: 'mitigated', expected: m.mitigated, got: timeOf('Mitigated'), ok: sameTime(timeOf('Mitigated'), m.mitigated) },
    { field: 'resolved', expected: m.resolved, got: timeOf('Resolved'), ok: sameTime(timeOf('Resolved'), m.resolved) },
    {
      field: 'time to acknowledge',
      expected: `${m.time_to_acknowledge_min} min`,
      got: metricLine(metrics, 'Time to acknowledge').slice(0, 40),
      ok: sameDur(durOf('Time to acknowledge'), m.time_to_acknowledge_min),
    },
    {
      field: 'time to resolve',
      expected: `${m.time_to_resolve_min} min`,
      got: metricLine(metrics, 'Time to resolve').slice(0, 40),
      ok: sameDur(durOf('Time to resolve'), m.time_to_resolve_min),
    },
    {
      field: 'impact duration',
      expected: `${m.impact_duration_min} min`,
      got: metricLine(metrics, 'Impact duration').slice(0, 40),
      ok: sameDur(durOf('Impact duration'), m.impact_duration_min),
    },
    {
      field: 'response SLA',
      expected: `${answer.severity_at_detection}: ${m.sla}`,
      got: slaLine.replace(/^-\s*/, '').slice(0, 80),
      ok: slaLine.includes(answer.severity_at_detection) && new RegExp(`:\\s*${m.sla}\\b`).test(slaLine),
    },
  ];

  const impact = section(markdown, 'Impact');
  return {
    actionItems: {
      extracted: actionLines.length,
      real: answer.action_items.length,
      truePositives: tp,
      matchedKeys: keyHit.filter(Boolean).length,
      ownersRight,
      precision: ratio(tp, actionLines.length),
      recall: ratio(keyHit.filter(Boolean).length, answer.action_items.length),
      wrong,
      missed: answer.action_items.filter((_k, i) => !keyHit[i]).map((k) => `${k.match} (@${k.owner})`),
    },
    timeline: {
      listed: rows.length,
      keyMoments: answer.timeline.length,
      truePositives: rowTp,
      matchedKeys: momentHit.filter(Boolean).length,
      precision: ratio(rowTp, rows.length),
      recall: ratio(momentHit.filter(Boolean).length, answer.timeline.length),
      missed: answer.timeline.filter((_k, i) => !momentHit[i]).map((k) => `${k.at} ${k.match}`),
    },
    metrics: fields,
    rootCause: new RegExp(answer.root_cause, 'i').test(section(markdown, 'Root Cause Analysis')),
    impactQuestions: impact.split('\n').filter((l) => /\?\s*(—|$)/.test(l)).length,
  };
}
