import type { Migration } from './migration';

/**
 * Where an alert's label names came from: listed by the sender, read from Alertmanager's API, or unknown (a
 * title-only post: the reply says which labels are missing and Diagnose asks for them). And notification groups:
 * one Alertmanager notification naming many alerts gets one message, listing them, edited as they change; a group
 * is open while it has a firing alert.
 */
export const alertLabelsAndGroups: Migration = {
  id: '0009-alert-labels-and-groups',
  sql: `
ALTER TABLE alerts ADD COLUMN labels_from text NOT NULL DEFAULT 'sender' CHECK (labels_from IN ('sender', 'alertmanager', 'title'));
CREATE INDEX alerts_firing_name ON alerts (name) WHERE status = 'firing';
CREATE TABLE alert_groups (
  id bigserial PRIMARY KEY,
  channel_id text NOT NULL,
  group_key text NOT NULL,
  thread_ts text,
  message_ts text,
  message_claimed_by text,
  message_claimed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz
);
CREATE UNIQUE INDEX alert_groups_open ON alert_groups (channel_id, group_key) WHERE closed_at IS NULL;
ALTER TABLE alerts ADD COLUMN group_id bigint REFERENCES alert_groups (id);
CREATE INDEX alerts_group ON alerts (group_id) WHERE group_id IS NOT NULL;
`,
};
