import type { Catalog } from '../runbooks';

/** One alert the playground's menu can post: every alert of every runbook in the catalog. */
export interface SeedAlert {
  name: string;
  runbook: string;
  severity: string;
  summary?: string;
  labels: Record<string, string>;
}

/** What Alertmanager's default `slack_configs` templates post: a bot message with empty text and one attachment. */
export interface AlertmanagerSlackPost {
  text: '';
  username: string;
  bot_id: string;
  subtype: 'bot_message';
  attachments: Array<{ color: string; fallback: string; title: string; title_link: string; text: string; mrkdwn_in: string[] }>;
}

export const ALERTMANAGER_BOT_ID = 'B0ALERTMGR';
const ALERTMANAGER_LINK = 'http://alertmanager.demo:9093/#/alerts?receiver=slack-incidents';
const SEVERITY_LABEL: Record<string, string> = { P0: 'critical', P1: 'high', P2: 'warning', P3: 'info' };

/** Label values the demo targets have something for (worker-7 is the stuck worker); other labels get `<label>-1`. */
const DEMO_LABEL_VALUES: Record<string, string> = { agent: 'agent-7', worker: 'worker-7' };

export function seedAlerts(catalog: Catalog): SeedAlert[] {
  return catalog.runbooks.flatMap((rb) =>
    rb.alerts.map((a) => {
      const labels: Record<string, string> = { alertname: a.name, env: 'demo', job: rb.id };
      for (const l of a.labels ?? []) labels[l] = DEMO_LABEL_VALUES[l] ?? `${l}-1`;
      labels.severity = SEVERITY_LABEL[a.severity] ?? 'warning';
      return { name: a.name, runbook: rb.id, severity: a.severity, ...(a.summary ? { summary: a.summary } : {}), labels };
    }),
  );
}

/** The Slack post Alertmanager makes for one firing alert, e.g. title `[FIRING:1] StuckDetected (demo memory-daemon agent-7 high)`. */
export function alertmanagerPost(alert: SeedAlert, opts: { labels?: Record<string, string> } = {}): AlertmanagerSlackPost {
  const labels = { ...alert.labels, ...opts.labels };
  const values = Object.entries(labels)
    .filter(([k]) => k !== 'alertname')
    .map(([, v]) => v)
    .join(' ');
  const title = `[FIRING:1] ${alert.name} (${values})`;
  const text = [
    `*Alert:* ${alert.name} - \`${labels.severity ?? 'warning'}\``,
    `*Summary:* ${alert.summary ?? `${alert.name} is firing`}`,
    `*Description:* posted from the incident-bot playground (runbook ${alert.runbook})`,
    '*Details:*',
    ...Object.entries(labels).map(([k, v]) => `  • *${k}:* \`${v}\``),
    '',
  ].join('\n');
  return {
    text: '',
    username: 'Alertmanager',
    bot_id: ALERTMANAGER_BOT_ID,
    subtype: 'bot_message',
    attachments: [
      {
        color: 'a30200',
        fallback: `${title} | ${ALERTMANAGER_LINK}`,
        title,
        title_link: ALERTMANAGER_LINK,
        text,
        mrkdwn_in: ['fallback', 'pretext', 'text'],
      },
    ],
  };
}
