import type { ReportIncidentRow } from '../domain/report';
import { percentile } from './incident-stats';
import { createCanvas, type Rgb } from './png-canvas';

export interface WeekFigures {
  /** First day of the week (UTC). */
  start: Date;
  /** Median minutes; null when no incident of the week was acknowledged / resolved. */
  mttaMinutes: number | null;
  mttrMinutes: number | null;
}

const WEEK_MS = 7 * 24 * 3600_000;

/** The window cut into weeks ending at `until`, each with the median MTTA and MTTR of the incidents that began in it. */
export function weeklyFigures(rows: readonly ReportIncidentRow[], until: Date, days: number): WeekFigures[] {
  const weeks = Math.max(1, Math.ceil(days / 7));
  return Array.from({ length: weeks }, (_, i) => {
    const start = new Date(until.getTime() - (weeks - i) * WEEK_MS);
    const end = start.getTime() + WEEK_MS;
    const these = rows.filter((r) => r.startedAt.getTime() >= start.getTime() && r.startedAt.getTime() < end);
    const median = (values: number[]) => {
      const m = percentile(
        [...values].sort((a, b) => a - b),
        50,
      );
      return m === null ? null : Math.round(m * 10) / 10;
    };
    return {
      start,
      mttaMinutes: median(these.flatMap((r) => (r.acknowledgedAt ? [(r.acknowledgedAt.getTime() - r.startedAt.getTime()) / 60_000] : []))),
      mttrMinutes: median(these.flatMap((r) => (r.resolvedAt ? [(r.resolvedAt.getTime() - r.startedAt.getTime()) / 60_000] : []))),
    };
  });
}

export const CHART_COLORS = {
  background: [255, 255, 255],
  axis: [97, 96, 97],
  mtta: [18, 100, 163],
  mttr: [224, 30, 90],
  text: [29, 28, 29],
} as const satisfies Record<string, Rgb>;

/** A bar chart of the weekly medians (minutes): MTTA and MTTR side by side per week, axis labels, a legend. */
export function weeklyChartPng(weeks: readonly WeekFigures[]): Buffer {
  const W = 760;
  const H = 380;
  const left = 70;
  const right = 20;
  const top = 50;
  const bottom = 50;
  const c = createCanvas(W, H, CHART_COLORS.background);
  c.text(left, 16, 'WEEKLY MTTA / MTTR (MEDIAN, MIN)', CHART_COLORS.text, 2);
  const values = weeks.flatMap((w) => [w.mttaMinutes ?? 0, w.mttrMinutes ?? 0]);
  const max = niceCeiling(Math.max(1, ...values));
  const plotH = H - top - bottom;
  const plotW = W - left - right;
  c.fillRect(left, top, 2, plotH, CHART_COLORS.axis);
  c.fillRect(left, top + plotH, plotW, 2, CHART_COLORS.axis);
  for (const tick of [0, max / 2, max]) {
    const y = top + plotH - (tick / max) * plotH;
    const label = formatTick(tick);
    c.text(left - 8 - c.textWidth(label, 2), Math.round(y) - 7, label, CHART_COLORS.text, 2);
    c.fillRect(left - 4, Math.round(y), 4, 1, CHART_COLORS.axis);
  }
  const group = plotW / weeks.length;
  const bar = Math.max(2, Math.min(28, Math.floor(group / 3)));
  weeks.forEach((w, i) => {
    const x0 = left + i * group + group / 2 - bar;
    for (const [k, v, color] of [
      [0, w.mttaMinutes, CHART_COLORS.mtta],
      [1, w.mttrMinutes, CHART_COLORS.mttr],
    ] as const) {
      if (v === null) continue;
      const h = Math.max(1, (v / max) * plotH);
      c.fillRect(x0 + k * bar, top + plotH - h, bar - 1, h, color);
    }
    const label = w.start.toISOString().slice(5, 10);
    if (weeks.length <= 13)
      c.text(Math.round(left + i * group + group / 2 - c.textWidth(label) / 2), top + plotH + 10, label, CHART_COLORS.text);
  });
  c.fillRect(W - 200, 18, 12, 12, CHART_COLORS.mtta);
  c.text(W - 182, 20, 'MTTA', CHART_COLORS.text);
  c.fillRect(W - 120, 18, 12, 12, CHART_COLORS.mttr);
  c.text(W - 102, 20, 'MTTR', CHART_COLORS.text);
  return c.toPng();
}

function niceCeiling(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function formatTick(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
