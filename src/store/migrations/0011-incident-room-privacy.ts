import type { Migration } from './migration';

export const incidentRoomPrivacy: Migration = {
  id: '0011-incident-room-privacy',
  sql: `
-- Who may read the incident: 'private' when its room is a private channel, or, without a room, when the channel it
-- was opened in is private (or the bot could not tell). The hub, /incident list, status and followups show a private
-- incident's details only to the people in that channel. NULL: opened before this column existed; shown as before.
ALTER TABLE incident_rooms ADD COLUMN privacy text CHECK (privacy IN ('public', 'private'));
`,
};
