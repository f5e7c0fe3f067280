import type { Migration } from './migration';

export const incidentRoomRecovery: Migration = {
  id: '0012-incident-room-recovery',
  sql: `
-- opened_at: the room's opening finished (channel or thread, notification, hub). A claim left without it past the
-- lease belongs to a replica that stopped half-way, and another one takes the opening over. Rooms opened before
-- this column existed are taken as finished: nothing re-opens them.
ALTER TABLE incident_rooms ADD COLUMN opened_at timestamptz;
UPDATE incident_rooms SET opened_at = claimed_at;
CREATE INDEX incident_rooms_unopened ON incident_rooms (claimed_at) WHERE opened_at IS NULL;

-- What became of the runbook contacts when the room opened: who was invited, what could not be resolved and why.
ALTER TABLE incident_rooms ADD COLUMN contacts jsonb NOT NULL DEFAULT '[]'::jsonb;
`,
};
