import type { Migration } from './migration';

export const alertsIncidents: Migration = {
  id: '0002-alerts-incidents',
  sql: `
-- What the resolution notification and the post-mortem need, and the impact start (an incident opened from an alert
-- started when the alert did, not when someone typed /incident open; NULL means created_at).
ALTER TABLE incidents
  ADD COLUMN started_at timestamptz,
  ADD COLUMN root_cause text,
  ADD COLUMN resolution text,
  ADD COLUMN mitigated_by text,
  ADD COLUMN last_update_at timestamptz;

ALTER TABLE timeline_events ADD CONSTRAINT timeline_events_kind CHECK (kind ~ '^[a-z][a-z_]{0,39}$');

CREATE TABLE alerts (
  id bigserial PRIMARY KEY,
  fingerprint text NOT NULL,
  name text NOT NULL,
  source text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('P0','P1','P2','P3')),
  status text NOT NULL DEFAULT 'firing' CHECK (status IN ('firing','resolved')),
  labels jsonb NOT NULL DEFAULT '{}'::jsonb,
  annotations jsonb NOT NULL DEFAULT '{}'::jsonb,
  generator_url text,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz,
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  fire_count integer NOT NULL DEFAULT 1,
  -- the delivery (Slack message ts, webhook notification) last counted: a retry of it is not a re-fire
  last_delivery_key text,
  resolved_at timestamptz,
  acknowledged_at timestamptz,
  acknowledged_by text,
  -- where the alert was posted and where the bot replied
  channel_id text,
  message_ts text,
  reply_claimed_by text,
  reply_claimed_at timestamptz,
  reply_ts text,
  escalation_level integer NOT NULL DEFAULT 0,
  incident_id text REFERENCES incidents(id),
  CHECK (status = 'firing' OR resolved_at IS NOT NULL)
);
-- The grouping rule: at most one active record per fingerprint, whichever replica or retry inserts it.
CREATE UNIQUE INDEX alerts_active_fingerprint ON alerts (fingerprint) WHERE status = 'firing';
CREATE INDEX alerts_message ON alerts (channel_id, message_ts);
CREATE INDEX alerts_reply ON alerts (channel_id, reply_ts);
CREATE INDEX alerts_incident ON alerts (incident_id);

-- Scheduled work (status-update reminders, escalations): claimed with FOR UPDATE SKIP LOCKED, so it fires once across
-- replicas, and lives only here, so it survives restarts.
CREATE TABLE scheduled_jobs (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  due_at timestamptz NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- at most one pending job per key (e.g. one reminder per incident)
  dedup_key text,
  claimed_by text,
  claimed_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  done_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scheduled_jobs_due ON scheduled_jobs (due_at) WHERE done_at IS NULL;
CREATE UNIQUE INDEX scheduled_jobs_pending_key ON scheduled_jobs (dedup_key) WHERE done_at IS NULL;
`,
};
