import type { Severity } from '../domain/severity';

/**
 * Where an incident's notifications are copied by tier (seed 000: P0 "Notify team in Slack: #…-critical", P1 "Post in
 * #…-alerts"): CRITICAL_CHANNEL and ALERTS_CHANNEL, as channel ids.
 */
export interface SeverityChannels {
  P0?: string;
  P1?: string;
}

/** The channel that also gets the incident's notifications; none for P2/P3, when unset, or when it already lives there. */
export function routedChannel(inc: { severity: Severity; channelId: string | null }, channels: SeverityChannels): string | undefined {
  const target = inc.severity === 'P0' ? channels.P0 : inc.severity === 'P1' ? channels.P1 : undefined;
  return target && target !== inc.channelId ? target : undefined;
}
