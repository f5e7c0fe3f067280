/**
 * One alert notification, whatever sent it: an Alertmanager or Grafana post in Slack, another
 * sender matched by a configured pattern, or Alertmanager's webhook. Everything in it came from
 * outside and has been through `sanitizeLabels`.
 */
export interface AlertEvent {
  name: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Alertmanager's own fingerprint when it gave one, else `alertFingerprint(name, labels)`. */
  fingerprint: string;
  startsAt: Date;
  endsAt?: Date;
  source: AlertSource;
  generatorURL?: string;
}

export type AlertSource = 'alertmanager-slack' | 'grafana-slack' | 'pattern' | 'alertmanager-webhook';
