import { createHash, timingSafeEqual } from 'node:crypto';
import type { AlertIntake, IntakeItem } from '../alerts/alert-intake';
import type { AlertRoute } from '../domain/alert-route';
import { parseAlertmanagerWebhook, type AlertmanagerWebhook } from '../alerts/alertmanager-webhook';
import type { Logger } from '../logger';
import { readBody, sendJson, type Route } from './server';

export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/** The channel of the first route whose `match` labels all equal the alert's (a route without `match` catches all). */
export function routeAlert(routes: readonly AlertRoute[], labels: Record<string, string>): string | undefined {
  return routes.find((r) => Object.entries(r.match ?? {}).every(([k, v]) => labels[k] === v))?.channel;
}

export interface AlertmanagerWebhookDeps {
  /** undefined when Slack is not configured (nowhere to show alerts). */
  intake?: AlertIntake;
  /** undefined when ALERTMANAGER_ROUTES is not set. */
  routes?: readonly AlertRoute[];
  /** ALERTMANAGER_WEBHOOK_TOKEN: the bearer token every request must carry; undefined turns the route off. */
  token?: string;
  logger: Logger;
}

/** Whether the Authorization header carries the token, compared in constant time (hashes make the lengths equal). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const given = createHash('sha256')
    .update(m?.[1] ?? '')
    .digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected) && m !== null;
}

/**
 * `POST /webhooks/alertmanager` (webhook v4): each alert is routed to a channel by its labels and handed to the
 * alert intake (posted by the bot once, edited as it re-fires, is acknowledged or resolves, diagnosed when the
 * catalog says so). A bad alert in a batch is
 * listed in the answer (and logged); the others go through. An unusable body is a 400 with the reason.
 * Every request needs `Authorization: Bearer <ALERTMANAGER_WEBHOOK_TOKEN>` (Alertmanager's
 * `http_config.authorization`); without a configured token the route is off.
 */
export function alertmanagerWebhookRoute(deps: AlertmanagerWebhookDeps): Route {
  return {
    method: 'POST',
    path: '/webhooks/alertmanager',
    handler: async (req, res) => {
      if (!deps.token) {
        sendJson(res, 404, {
          error:
            'the Alertmanager webhook is off: set ALERTMANAGER_WEBHOOK_TOKEN and send it as a bearer token (http_config.authorization)',
        });
        req.resume();
        return;
      }
      if (!bearerMatches(req.headers.authorization, deps.token)) {
        deps.logger.warn(
          { remote: req.socket.remoteAddress, hadAuthorization: req.headers.authorization !== undefined },
          'Alertmanager webhook refused: missing or wrong bearer token',
        );
        sendJson(
          res,
          401,
          { error: 'missing or wrong bearer token: configure http_config.authorization with ALERTMANAGER_WEBHOOK_TOKEN' },
          { 'www-authenticate': 'Bearer' },
        );
        req.resume();
        return;
      }
      let raw: string;
      try {
        raw = await readBody(req, WEBHOOK_BODY_LIMIT);
      } catch (err) {
        const status = (err as { status?: number }).status ?? 400;
        sendJson(res, status, { error: status === 413 ? `body larger than ${WEBHOOK_BODY_LIMIT} bytes` : 'could not read the body' });
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch (err) {
        sendJson(res, 400, { error: `body is not JSON: ${(err as Error).message}` });
        return;
      }
      const parsed = parseAlertmanagerWebhook(body);
      if (!parsed.ok) {
        sendJson(res, 400, { error: parsed.message });
        return;
      }
      if (!deps.routes || !deps.intake) {
        const missing = !deps.routes
          ? 'set ALERTMANAGER_ROUTES (JSON: [{"match":{"team":"x"},"channel":"C…"},{"channel":"C0DEFAULT"}])'
          : 'configure Slack';
        deps.logger.warn({ groupKey: parsed.webhook.groupKey }, `Alertmanager webhook received but not deliverable: ${missing}`);
        sendJson(res, 503, { error: `alerts cannot be posted: ${missing}` });
        return;
      }
      const { webhook } = parsed;
      const { items, rejected } = routedItems(deps.routes, webhook, raw);
      const outcomes = (await deps.intake.intake(items)).map((o) =>
        o.kind === 'failed'
          ? { fingerprint: o.fingerprint, outcome: 'failed' }
          : { fingerprint: o.fingerprint, outcome: o.kind, ...(o.alertId !== undefined ? { alertId: o.alertId } : {}) },
      );
      const failed = outcomes.filter((o) => o.outcome === 'failed').length;
      for (const r of rejected) deps.logger.warn({ groupKey: webhook.groupKey, index: r.index }, `webhook alert rejected: ${r.message}`);
      deps.logger.info(
        { groupKey: webhook.groupKey, status: webhook.status, alerts: outcomes, rejected: rejected.length },
        'Alertmanager webhook processed',
      );
      // A failed delivery makes Alertmanager retry the whole group; recorded alerts come back as duplicates then.
      sendJson(res, failed > 0 ? 500 : 200, {
        accepted: outcomes.filter((o) => o.outcome !== 'failed').length,
        alerts: outcomes,
        rejected,
      });
    },
  };
}

/** Each alert routed to its channel as an intake item (keyed by the body, so a redelivery is one delivery); the rest rejected. */
function routedItems(
  routes: readonly AlertRoute[],
  webhook: AlertmanagerWebhook,
  raw: string,
): { items: IntakeItem[]; rejected: AlertmanagerWebhook['rejected'] } {
  const rejected = [...webhook.rejected];
  const bodyHash = createHash('sha256').update(raw).digest('hex').slice(0, 24);
  const items: IntakeItem[] = [];
  for (const [i, alert] of webhook.alerts.entries()) {
    const channel = routeAlert(routes, alert.labels);
    if (!channel)
      rejected.push({ index: i, message: `alert ${alert.name} (${alert.fingerprint}) matches no route in ALERTMANAGER_ROUTES` });
    else items.push({ event: alert, deliveryKey: `webhook:${bodyHash}:${alert.fingerprint}`, place: { kind: 'post', channel } });
  }
  return { items, rejected };
}
