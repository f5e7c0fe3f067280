import type { Migration } from './migration';

export const incidentRoomsFollowUps: Migration = {
  id: '0010-incident-rooms-follow-ups',
  sql: `
-- An incident's own channel and its hub summary. The row is the claim: whoever inserts it creates the channel
-- and posts the hub message, so replicas and retries make one of each.
CREATE TABLE incident_rooms (
  incident_id text PRIMARY KEY REFERENCES incidents(id),
  claimed_by text NOT NULL,
  claimed_at timestamptz NOT NULL,
  channel_id text,
  channel_name text,
  intro_ts text,
  origin_channel_id text,
  origin_thread_ts text,
  hub_channel_id text,
  hub_ts text
);
CREATE UNIQUE INDEX incident_rooms_channel ON incident_rooms (channel_id) WHERE channel_id IS NOT NULL;

CREATE TABLE incident_roles (
  incident_id text NOT NULL REFERENCES incidents(id),
  role text NOT NULL CHECK (role IN ('commander', 'communications', 'scribe')),
  user_id text NOT NULL,
  assigned_by text NOT NULL,
  assigned_at timestamptz NOT NULL,
  PRIMARY KEY (incident_id, role)
);

CREATE TABLE follow_ups (
  id bigserial PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents(id),
  text text NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
  owner text,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
  due_at timestamptz NOT NULL,
  source text NOT NULL CHECK (source IN ('command', 'postmortem')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  done_at timestamptz,
  done_by text,
  last_reminded_at timestamptz,
  external_url text,
  exporting_since timestamptz,
  -- What it was made from (a post-mortem action item's key): the same item confirmed twice is one follow-up.
  source_key text
);
CREATE UNIQUE INDEX follow_ups_source ON follow_ups (incident_id, source_key) WHERE source_key IS NOT NULL;
CREATE INDEX follow_ups_incident ON follow_ups (incident_id);
CREATE INDEX follow_ups_open_due ON follow_ups (due_at) WHERE status = 'open';
`,
};
