import type { Severity } from '../domain/severity';
import type { Risk } from './types';

/** The target name of the silences the alert buttons create: Alertmanager at ALERTMANAGER_URL, not a catalog target. */
export const ALERT_SILENCE_TARGET = 'alertmanager-url';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The alert's full label set as exact matchers: a silence from a button never covers less than this one alert's labels. */
export function alertSilenceMatchers(alert: { name: string; labels: Readonly<Record<string, string>> }): Record<string, string> {
  const labels: Record<string, string> = { ...alert.labels, alertname: alert.labels.alertname ?? alert.name };
  return Object.fromEntries(Object.entries(labels).filter(([name, value]) => LABEL_NAME.test(name) && value !== ''));
}

/**
 * Why "Silence 1 h" needs an approval, or undefined when one click may do it: a silence that would match more than
 * this one alert, or one of a P0 alert, is as consequential as any other remediation.
 */
export function silenceApprovalReason(alert: { severity: Severity }, matchingAlerts: number): string | undefined {
  if (matchingAlerts > 1) return `it would silence ${matchingAlerts} alerts that are active now, not just this one`;
  if (alert.severity === 'P0') return 'the alert is P0';
  return undefined;
}

/** The remediation request for a silence that needs an approval: high risk, exact matchers, one hour. */
export function alertSilenceDeclaration(
  alert: { name: string; labels: Readonly<Record<string, string>> },
  requestedBy: string,
): { id: string; action: string; title: string; risk: Risk; target: string; params: Record<string, unknown> } {
  const title = `Silence ${alert.name} for 1 h`;
  return {
    id: 'silence-alert',
    action: 'alertmanager.silence',
    title: title.length > 75 ? `${title.slice(0, 74)}…` : title,
    risk: 'high',
    target: ALERT_SILENCE_TARGET,
    params: { matchers: alertSilenceMatchers(alert), duration: '1h', comment: `Silenced from Slack by ${requestedBy} for 1 h` },
  };
}
