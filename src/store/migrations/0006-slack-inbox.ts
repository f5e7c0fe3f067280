import type { Migration } from './migration';

/**
 * Events API deliveries are acknowledged to Slack only once a row here holds them; a replica
 * processes a row under a lease it renews, and a row is done only when its effects are recorded.
 * `bot_replicas` is each replica's heartbeat: work claimed by a replica that stopped beating
 * (kill -9, lost host) may be taken over at once instead of after a long timeout.
 */
export const slackInbox: Migration = {
  id: '0006-slack-inbox',
  sql: `
CREATE TABLE slack_inbox (
  event_id text PRIMARY KEY,
  seq bigserial NOT NULL,
  body jsonb NOT NULL,
  order_key text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  lease_owner text,
  lease_until timestamptz,
  not_before timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  done_at timestamptz,
  failure text
);
CREATE INDEX slack_inbox_pending ON slack_inbox (seq) WHERE done_at IS NULL;
CREATE INDEX slack_inbox_pending_by_key ON slack_inbox (order_key, seq) WHERE done_at IS NULL;
CREATE INDEX slack_inbox_done ON slack_inbox (done_at) WHERE done_at IS NOT NULL;

CREATE TABLE bot_replicas (
  replica_id text PRIMARY KEY,
  seen_at timestamptz NOT NULL
);
`,
};
