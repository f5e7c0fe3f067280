import type { Incident } from '../../src/domain/incident';

/** The instant the fixture incident opened and started. */
export const T0 = new Date('2026-01-11T10:02:00Z');

/** Text that would ping or link if it reached Slack unescaped. */
export const HOSTILE = '<!channel> <@U0BOSS> <https://evil.example|x> &';
export const noPing = (s: string) => expect(s).not.toMatch(/<!channel>|<@U0BOSS>|<https:/);

/** An open P1 incident as the store returns it, for the pure block renderers. */
export function incidentFixture(over: Partial<Incident> = {}): Incident {
  return {
    id: 'INC-20260111100200',
    title: 'Database down',
    severity: 'P1',
    status: 'open',
    channelId: 'C0OPS',
    threadTs: '1768125720.000100',
    createdBy: 'U0ONCALL01',
    createdAt: T0,
    startedAt: T0,
    acknowledgedAt: null,
    acknowledgedBy: null,
    mitigatedAt: null,
    mitigatedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    impact: null,
    summary: null,
    rootCause: null,
    resolution: null,
    lastUpdateAt: null,
    nextUpdateDueAt: null,
    ...over,
  };
}
