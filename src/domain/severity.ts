/** Severity levels and their response SLAs (seed 000: P0 5 min, P1 15 min, P2 1 h, P3 24 h). */
export const SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export type Severity = (typeof SEVERITIES)[number];

const ALIASES: Record<string, Severity> = {
  p0: 'P0',
  p1: 'P1',
  p2: 'P2',
  p3: 'P3',
  critical: 'P0',
  high: 'P1',
  medium: 'P2',
  low: 'P3',
};

export const RESPONSE_SLA_MINUTES: Record<Severity, number> = { P0: 5, P1: 15, P2: 60, P3: 24 * 60 };

export function parseSeverity(text: string): Severity | undefined {
  return ALIASES[text.trim().toLowerCase()];
}

export function isSeverityWord(text: string): boolean {
  return parseSeverity(text) !== undefined;
}
