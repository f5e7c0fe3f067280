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
  /**
   * The notification group it was sent in: Alertmanager's group key (webhook), or what a Slack title shows of it
   * (the alert name and group label values). Alerts of one group in one channel share one message.
   */
  groupKey?: string;
  /** Where the label names came from; absent means the sender listed them. */
  labelsFrom?: LabelsOrigin;
  /**
   * A title-only post (`labelsFrom: 'title'`): the title after its `[FIRING:n]`, as Alertmanager's default template
   * renders it: the group label values, then the other common label values in parentheses (`agent-7 (prod critical)`).
   * A value may itself contain spaces, so it is matched against the labels of candidate alerts, never split.
   */
  titleShows?: string;
}

/**
 * `sender`: the alert came with its labels. `alertmanager`: the post carried only values and the labels were read
 * from Alertmanager's API. `title`: only values are known (no ALERTMANAGER_URL, or Alertmanager had no such alert).
 */
export type LabelsOrigin = 'sender' | 'alertmanager' | 'title';

export type AlertSource = 'alertmanager-slack' | 'grafana-slack' | 'pattern' | 'alertmanager-webhook';
