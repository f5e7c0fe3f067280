import type { Migration } from './migration';

/**
 * One row per Slack message (or webhook delivery) counted for an alert, so a replayed or
 * re-delivered post can never count as a second firing, however many others came between.
 */
export const alertDeliveries: Migration = {
  id: '0005-alert-deliveries',
  sql: `
CREATE TABLE alert_deliveries (
  delivery_key text PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_deliveries_received ON alert_deliveries (received_at);
`,
};
