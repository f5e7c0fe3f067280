import type { Migration } from './migration';

export const postmortemActionItems: Migration = {
  id: '0007-postmortem-action-items',
  sql: `
-- The action items a post-mortem draft found, one row per commitment (the message and the owner make its key), kept
-- across draft versions with what people decided in Slack: confirmed, or dropped (left out of later drafts).
CREATE TABLE postmortem_action_items (
  incident_id text NOT NULL REFERENCES incidents(id),
  item_key text NOT NULL CHECK (item_key ~ '^[0-9a-f]{16}$'),
  text text NOT NULL,
  owner text,
  link text NOT NULL,
  first_version integer NOT NULL CHECK (first_version > 0),
  decision text CHECK (decision IN ('confirmed', 'dropped')),
  decided_by text,
  decided_at timestamptz,
  PRIMARY KEY (incident_id, item_key)
);
`,
};
