import { z } from 'zod';
import { alertFingerprint, cleanAlertName, cleanText, sanitizeLabels, type AlertEvent } from './alert-event';

/**
 * Alertmanager's webhook payload, version 4. The envelope must be right; `alerts[]` is parsed
 * loosely: each alert on its own, so one malformed alert is reported and the others go through.
 */
const envelopeSchema = z.object({
  version: z.literal('4', { error: 'only version "4" of the Alertmanager webhook payload is supported' }),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().nonnegative().optional().default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: z.record(z.string(), z.string()).optional().default({}),
  commonLabels: z.record(z.string(), z.string()).optional().default({}),
  commonAnnotations: z.record(z.string(), z.string()).optional().default({}),
  externalURL: z.string().optional().default(''),
  alerts: z.array(z.unknown()),
});

// Go's zero time: Alertmanager sends it as endsAt of an alert that has not ended.
const GO_ZERO_TIME = /^0001-01-01T/;

const timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'is not an RFC 3339 timestamp' });

const alertSchema = z
  .object({
    status: z.enum(['firing', 'resolved']),
    labels: z.record(z.string(), z.string()),
    annotations: z.record(z.string(), z.string()).optional().default({}),
    startsAt: timestamp,
    endsAt: z.string().optional(),
    generatorURL: z.string().optional(),
    fingerprint: z
      .string()
      .regex(/^[0-9a-f]{1,64}$/, 'must be a hex fingerprint')
      .optional(),
  })
  .refine((a) => typeof a.labels.alertname === 'string' && a.labels.alertname.trim() !== '', {
    message: 'has no alertname label',
    path: ['labels', 'alertname'],
  })
  .transform((a): AlertEvent => {
    const labels = sanitizeLabels(a.labels);
    const name = cleanAlertName(a.labels.alertname!);
    labels.alertname = name;
    const endsAt = a.endsAt && !GO_ZERO_TIME.test(a.endsAt) && !Number.isNaN(Date.parse(a.endsAt)) ? new Date(a.endsAt) : undefined;
    return {
      name,
      status: a.status,
      labels,
      annotations: sanitizeLabels(a.annotations, 'annotations'),
      fingerprint: a.fingerprint ?? alertFingerprint(name, labels),
      startsAt: new Date(a.startsAt),
      ...(endsAt ? { endsAt } : {}),
      source: 'alertmanager-webhook',
      ...(a.generatorURL ? { generatorURL: cleanText(a.generatorURL, 2048) } : {}),
    };
  });

export interface AlertmanagerWebhook {
  groupKey: string;
  receiver: string;
  status: 'firing' | 'resolved';
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  externalURL: string;
  truncatedAlerts: number;
  /** The alerts that parsed. */
  alerts: AlertEvent[];
  /** One entry per alert that did not: its index in `alerts[]` and what is wrong with it. */
  rejected: { index: number; message: string }[];
}

export type ParseWebhookResult = { ok: true; webhook: AlertmanagerWebhook } | { ok: false; message: string };

/**
 * Parses a webhook body. `ok: false` only when the envelope itself is unusable (answer 400);
 * otherwise bad alerts land in `rejected` (log them, answer 200 so Alertmanager does not retry
 * the good ones forever).
 *
 * @example
 *   const r = parseAlertmanagerWebhook(JSON.parse(body));
 *   if (!r.ok) return reply(400, r.message);
 *   for (const alert of r.webhook.alerts) await alerts.record(alert, { … });
 */
export function parseAlertmanagerWebhook(body: unknown): ParseWebhookResult {
  const env = envelopeSchema.safeParse(body);
  if (!env.success) return { ok: false, message: `not an Alertmanager webhook (v4) payload: ${describeIssues(env.error)}` };
  const alerts: AlertEvent[] = [];
  const rejected: AlertmanagerWebhook['rejected'] = [];
  env.data.alerts.forEach((raw, index) => {
    const r = alertSchema.safeParse(raw);
    if (r.success) alerts.push({ ...r.data, groupKey: cleanText(env.data.groupKey, 1024) });
    else rejected.push({ index, message: `alerts[${index}]: ${describeIssues(r.error)}` });
  });
  return {
    ok: true,
    webhook: {
      groupKey: env.data.groupKey,
      receiver: env.data.receiver,
      status: env.data.status,
      groupLabels: sanitizeLabels(env.data.groupLabels),
      commonLabels: sanitizeLabels(env.data.commonLabels),
      externalURL: env.data.externalURL,
      truncatedAlerts: env.data.truncatedAlerts,
      alerts,
      rejected,
    },
  };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') + ' ' : ''}${i.message}`)
    .join('; ');
}
