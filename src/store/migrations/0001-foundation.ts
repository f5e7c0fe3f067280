import type { Migration } from './migration';

export const foundation: Migration = {
  id: '0001-foundation',
  sql: `
CREATE TABLE incidents (
  id text PRIMARY KEY CHECK (id ~ '^INC-[0-9]{14}$'),
  title text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('P0','P1','P2','P3')),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open','acknowledged','mitigated','resolved')),
  channel_id text,
  thread_ts text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by text,
  mitigated_at timestamptz,
  resolved_at timestamptz,
  resolved_by text,
  impact text,
  summary text,
  next_update_due_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_active ON incidents (status) WHERE status <> 'resolved';
CREATE INDEX incidents_thread ON incidents (channel_id, thread_ts);

CREATE TABLE timeline_events (
  id bigserial PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents(id),
  at timestamptz NOT NULL,
  actor text NOT NULL,
  kind text NOT NULL,
  text text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX timeline_events_incident ON timeline_events (incident_id, at);

-- One row per Slack delivery we acted on; the primary key is what makes a retry or a second replica a no-op.
CREATE TABLE processed_events (
  event_id text PRIMARY KEY,
  source text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processed_events_received ON processed_events (received_at);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  subject text NOT NULL,
  incident_id text,
  data jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_incident ON audit_log (incident_id, at);

-- Append-only: the database itself refuses to rewrite history.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
`,
};
