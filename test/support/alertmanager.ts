/**
 * A real Alertmanager (Debian package `prometheus-alertmanager`, binary /usr/bin/prometheus-alertmanager; amtool is
 * /usr/bin/amtool) for integration tests, plus a webhook receiver that records what Alertmanager sends.
 * Install the binaries with `bash scripts/start-services.sh`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { findBinary, START_SERVICES_HINT, startReadyOnFreePort } from './services';

export const ALERTMANAGER_BINARY_NAME = 'prometheus-alertmanager';
export const AMTOOL_BINARY_NAME = 'amtool';

export interface StartAlertmanagerOptions {
  /** where the single receiver POSTs webhook (v4) notifications; without it the receiver sends nothing */
  webhookUrl?: string;
  /** route group_wait; default 1 s */
  groupWaitSeconds?: number;
  /** route group_interval; default 1 s */
  groupIntervalSeconds?: number;
  /** route repeat_interval; default 1 h */
  repeatIntervalSeconds?: number;
  /** route group_by; default ['alertname'] */
  groupBy?: string[];
  /** send_resolved on the webhook; default true */
  sendResolved?: boolean;
  /** sent as `Authorization: Bearer <token>` on every webhook (http_config.authorization, as the README shows) */
  webhookBearerToken?: string;
  /**
   * Slack receivers (`slack_configs`), each taking the alerts whose labels match `match`: Alertmanager POSTs its
   * Slack message to `apiUrl` exactly as it would to Slack. Without `title`/`text` its default templates apply.
   */
  slackReceivers?: {
    name: string;
    match: Record<string, string>;
    apiUrl: string;
    title?: string;
    text?: string;
    username?: string;
    footer?: string;
  }[];
}

export interface RunningAlertmanager {
  /** base URL, e.g. http://127.0.0.1:41235 (API under /api/v2) */
  url: string;
  stop(): Promise<void>;
  /** POST /api/v2/alerts */
  postAlerts(alerts: PostableAlert[]): Promise<void>;
  /** the process's recent log output */
  logs(): string;
}

export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export function alertmanagerBinary(): string {
  const bin = process.env.TEST_ALERTMANAGER_BIN ?? findBinary(ALERTMANAGER_BINARY_NAME) ?? findBinary('alertmanager');
  if (!bin) {
    throw new Error(`The Alertmanager binary (${ALERTMANAGER_BINARY_NAME}) is not installed: ${START_SERVICES_HINT}`);
  }
  return bin;
}

export async function postAlerts(alertmanagerUrl: string, alerts: PostableAlert[]): Promise<void> {
  const res = await fetch(`${alertmanagerUrl.replace(/\/$/, '')}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`Alertmanager rejected the alerts: HTTP ${res.status} ${text}`);
}

export async function startAlertmanager(opts: StartAlertmanagerOptions = {}): Promise<RunningAlertmanager> {
  const bin = alertmanagerBinary();
  const dir = await mkdtemp(join(tmpdir(), 'incident-bot-alertmanager-'));
  const receiver: Record<string, unknown> = { name: 'incident-bot' };
  if (opts.webhookUrl) {
    receiver.webhook_configs = [
      {
        url: opts.webhookUrl,
        send_resolved: opts.sendResolved ?? true,
        max_alerts: 0,
        ...(opts.webhookBearerToken ? { http_config: { authorization: { type: 'Bearer', credentials: opts.webhookBearerToken } } } : {}),
      },
    ];
  }
  const slack = opts.slackReceivers ?? [];
  const config = {
    route: {
      receiver: 'incident-bot',
      ...(slack.length
        ? {
            routes: slack.map((r) => ({
              receiver: r.name,
              matchers: Object.entries(r.match).map(([k, v]) => `${k}=${JSON.stringify(v)}`),
            })),
          }
        : {}),
      group_by: opts.groupBy ?? ['alertname'],
      group_wait: `${opts.groupWaitSeconds ?? 1}s`,
      group_interval: `${opts.groupIntervalSeconds ?? 1}s`,
      repeat_interval: `${opts.repeatIntervalSeconds ?? 3600}s`,
    },
    receivers: [
      receiver,
      ...slack.map((r) => ({
        name: r.name,
        slack_configs: [
          {
            api_url: r.apiUrl,
            channel: '#alerts',
            send_resolved: opts.sendResolved ?? true,
            ...(r.title !== undefined ? { title: r.title } : {}),
            ...(r.text !== undefined ? { text: r.text } : {}),
            ...(r.username !== undefined ? { username: r.username } : {}),
            ...(r.footer !== undefined ? { footer: r.footer } : {}),
          },
        ],
      })),
    ],
  };
  const configFile = join(dir, 'alertmanager.yml');
  await writeFile(configFile, stringify(config));

  const { proc, url } = await startReadyOnFreePort(bin, dir, 'Alertmanager', (port, url) => [
    `--config.file=${configFile}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.external-url=${url}`,
    // no gossip cluster: it would bind 0.0.0.0:9094 and collide between tests
    '--cluster.listen-address=',
    '--log.level=warn',
  ]);
  let stopped = false;
  return {
    url,
    logs: () => proc.output(),
    postAlerts: (alerts) => postAlerts(url, alerts),
    async stop() {
      if (stopped) return;
      stopped = true;
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Webhook receiver
// ---------------------------------------------------------------------------------------------------------------

/** Alertmanager webhook payload, version 4. */
export interface AlertmanagerWebhookPayload {
  version: string;
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: {
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }[];
}

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: AlertmanagerWebhookPayload;
}

export interface WebhookReceiver {
  /** the URL to give Alertmanager, http://127.0.0.1:PORT/webhook */
  url: string;
  received: ReceivedWebhook[];
  /** resolves with the first request (already received or future) matching `predicate` */
  waitFor(predicate: (w: ReceivedWebhook) => boolean, timeoutMs?: number): Promise<ReceivedWebhook>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      try {
        received.push({
          path: req.url ?? '/',
          headers: req.headers,
          rawBody,
          body: JSON.parse(rawBody) as AlertmanagerWebhookPayload,
        });
      } catch {
        res.writeHead(400).end('bad json');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      for (const w of waiters) w();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    received,
    waitFor(predicate, timeoutMs = 20_000) {
      return new Promise<ReceivedWebhook>((resolve, reject) => {
        const check = (): boolean => {
          const hit = received.find(predicate);
          if (!hit) return false;
          cleanup();
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `no matching Alertmanager webhook within ${timeoutMs} ms; received ${received.length}: ` +
                received.map((r) => `${r.body.status} ${r.body.groupKey}`).join(' | '),
            ),
          );
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(onRequest);
        };
        const onRequest = (): void => {
          check();
        };
        if (!check()) waiters.add(onRequest);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Slack receiver: stands where Slack's incoming-webhook URL would be
// ---------------------------------------------------------------------------------------------------------------

/** What Alertmanager's Slack notifier POSTs (the fields the bot reads). */
export interface SlackNotification {
  channel?: string;
  username?: string;
  text?: string;
  attachments?: {
    title?: string;
    title_link?: string;
    text?: string;
    pretext?: string;
    fallback?: string;
    footer?: string;
    color?: string;
  }[];
}

export interface SlackNotificationReceiver {
  /** `${base}/<name>`: one URL per receiver */
  urlFor(name: string): string;
  received: { path: string; body: SlackNotification }[];
  waitFor(
    predicate: (n: { path: string; body: SlackNotification }) => boolean,
    timeoutMs?: number,
  ): Promise<{ path: string; body: SlackNotification }>;
  close(): Promise<void>;
}

export async function startSlackNotificationReceiver(): Promise<SlackNotificationReceiver> {
  const received: { path: string; body: SlackNotification }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        received.push({ path: req.url ?? '/', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as SlackNotification });
      } catch {
        res.writeHead(400).end('bad json');
        return;
      }
      // Slack's incoming webhooks answer a plain "ok".
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    urlFor: (name) => `http://127.0.0.1:${port}/${name}`,
    received,
    waitFor: async (predicate, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = received.find(predicate);
        if (hit) return hit;
        if (Date.now() > deadline)
          throw new Error(
            `no matching Slack notification within ${timeoutMs} ms; received: ${received.map((r) => `${r.path} ${r.body.attachments?.[0]?.title ?? r.body.text ?? ''}`).join(' | ')}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
