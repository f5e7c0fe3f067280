import type { Migration } from './migration';

export const remediations: Migration = {
  id: '0003-remediations',
  sql: `
-- Remediation requests: one row per request, moved through its life cycle only by conditional UPDATEs
-- (… WHERE state = 'pending' AND expires_at > $now RETURNING), so a double click, a Slack retry, two approvers and
-- several replicas still run it once. The idempotency key makes a repeated request return the first one.
CREATE TABLE remediation_requests (
  id text PRIMARY KEY CHECK (id ~ '^rem_[a-z0-9]{10,40}$'),
  idempotency_key text NOT NULL UNIQUE,
  action text NOT NULL,
  declaration_id text,
  runbook_id text,
  title text NOT NULL,
  risk text NOT NULL CHECK (risk IN ('low','medium','high')),
  -- the catalog declaration as it was when requested (approvers, limits, params): the policy that applies
  declaration jsonb NOT NULL,
  params jsonb NOT NULL,
  labels jsonb NOT NULL DEFAULT '{}'::jsonb,
  target_name text,
  -- what cooldowns and max-runs count per: action + target + subject (e.g. docker.restart|docker|container marie)
  limit_key text NOT NULL,
  preview jsonb NOT NULL,
  state text NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending','approved','running','succeeded','failed','denied','expired','interrupted')),
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  incident_id text,
  channel_id text,
  thread_ts text,
  approval_message_ts text,
  approved_by text,
  approved_at timestamptz,
  denied_by text,
  denied_at timestamptz,
  deny_reason text,
  started_at timestamptz,
  lease_until timestamptz,
  runner text,
  finished_at timestamptz,
  result jsonb,
  verification jsonb,
  error text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (state NOT IN ('approved','running','succeeded','failed') OR approved_at IS NOT NULL),
  CHECK (state NOT IN ('running','succeeded','failed') OR started_at IS NOT NULL),
  CHECK (state <> 'denied' OR denied_at IS NOT NULL)
);
CREATE INDEX remediation_requests_limit ON remediation_requests (limit_key, approved_at) WHERE approved_at IS NOT NULL;
CREATE INDEX remediation_requests_open ON remediation_requests (state, expires_at) WHERE state IN ('pending','approved','running');
CREATE INDEX remediation_requests_incident ON remediation_requests (incident_id, requested_at);
`,
};
