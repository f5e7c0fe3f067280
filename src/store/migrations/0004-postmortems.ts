import type { Migration } from './migration';

export const postmortems: Migration = {
  id: '0004-postmortems',
  sql: `
-- Every post-mortem draft is kept: /incident postmortem makes version n+1, \`incident-bot postmortem INC-…\` exports the latest.
CREATE TABLE postmortem_drafts (
  incident_id text NOT NULL REFERENCES incidents(id),
  version integer NOT NULL CHECK (version > 0),
  markdown text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (incident_id, version)
);
`,
};
