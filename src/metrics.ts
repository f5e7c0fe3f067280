import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The bot's own transport-level metrics. Domain metrics are created by their services on the same Registry. */
export interface BotMetrics {
  registry: Registry;
  slackRequests: Counter<'kind' | 'outcome'>;
  ackSeconds: Histogram<'kind'>;
  webApiCalls: Counter<'method' | 'outcome'>;
  webApiRateLimited: Counter<'method'>;
  duplicateEvents: Counter<'source'>;
  bufferedDeliveries: Gauge;
  droppedDeliveries: Counter;
}

export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'incident_bot_' });
  return registry;
}

export function createBotMetrics(registry: Registry): BotMetrics {
  return {
    registry,
    slackRequests: new Counter({
      name: 'incident_bot_slack_requests_total',
      help: 'Requests received from Slack, by kind (command, event, action, view, shortcut) and outcome',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
    ackSeconds: new Histogram({
      name: 'incident_bot_slack_ack_seconds',
      help: 'Time from receiving a Slack request to acknowledging it (Slack allows 3 s)',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
      registers: [registry],
    }),
    webApiCalls: new Counter({
      name: 'incident_bot_slack_web_api_calls_total',
      help: 'Slack Web API calls by method and outcome (ok, error, rate_limited, failed)',
      labelNames: ['method', 'outcome'],
      registers: [registry],
    }),
    webApiRateLimited: new Counter({
      name: 'incident_bot_slack_web_api_rate_limited_total',
      help: 'HTTP 429 answers from the Slack Web API, by method',
      labelNames: ['method'],
      registers: [registry],
    }),
    bufferedDeliveries: new Gauge({
      name: 'incident_bot_buffered_deliveries',
      help: 'Slack deliveries written to the spool file in DATA_DIR while PostgreSQL was unreachable, waiting to be moved into the inbox',
      registers: [registry],
    }),
    droppedDeliveries: new Counter({
      name: 'incident_bot_dropped_deliveries_total',
      help: 'Slack deliveries refused (answered 5xx so that Slack retries) because neither PostgreSQL nor the spool file could keep them',
      registers: [registry],
    }),
    duplicateEvents: new Counter({
      name: 'incident_bot_duplicate_events_total',
      help: 'Slack deliveries dropped because the same event was already processed (retries, other replicas)',
      labelNames: ['source'],
      registers: [registry],
    }),
  };
}
