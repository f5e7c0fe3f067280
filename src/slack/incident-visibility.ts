import type { Incident } from '../domain/incident';
import { forbidden } from '../errors';
import type { IncidentService } from '../incidents/incident-service';
import { createChannelReader, type ChannelAccess, type Viewer } from './channel-access';
import type { IncidentRooms } from './incident-room';

export type { Viewer } from './channel-access';

/** Whether the viewer may read this incident's details (title, people, timeline, follow-ups). */
export type IncidentReader = (incident: Pick<Incident, 'id' | 'channelId'>) => Promise<boolean>;

/**
 * Who may read an incident. A public incident: anyone. A private one: a command typed in its own channel (Slack lets
 * only its members type there), or someone Slack lists as a member of that channel. When Slack cannot say (rate
 * limit, outage, the bot removed), the answer is no: the caller shows the redacted form, never the details.
 *
 * @example
 *   const canRead = visibility.reader({ userId: 'U0MALLORY', channelId: 'C0LOBBY' });
 *   if (!(await canRead(incident))) …   // a line with the id, severity and status only
 */
export interface IncidentVisibility {
  /** One reader per command: each channel's membership is asked once however many incidents live there. */
  reader(viewer: Viewer): IncidentReader;
}

export function createIncidentVisibility(deps: {
  rooms: Pick<IncidentRooms, 'privacyOf'>;
  access: Pick<ChannelAccess, 'privacy' | 'isMember'>;
}): IncidentVisibility {
  return {
    reader: (viewer) => {
      const channels = createChannelReader(deps.access, viewer);
      return async (incident) => {
        const { privacy, channelId } = await deps.rooms.privacyOf(incident);
        if (privacy === 'public') return true;
        if (!channelId) return false;
        // The incident's recorded privacy decides, not its channel's privacy now.
        return (await channels.canRead(channelId, privacy)) === true;
      };
    },
  };
}

/**
 * The incident `incidentId`, when the viewer may read it; otherwise the refusal, which names nothing but the id (not
 * its title, not its people): someone outside a private incident would otherwise change it or learn about it from the
 * answer. `insideOnly` says what is done only from inside ("its roles are taken and given from inside it").
 * Without visibility (no rooms, no privacy) everyone may.
 */
export async function incidentForViewer(
  deps: { incidents: Pick<IncidentService, 'get'>; visibility?: IncidentVisibility | undefined },
  viewer: Viewer,
  incidentId: string,
  insideOnly: string,
): Promise<Incident> {
  const incident = await deps.incidents.get(incidentId);
  if (!deps.visibility || (await deps.visibility.reader(viewer)(incident))) return incident;
  throw forbidden(
    `${incident.id} is a private incident and you are not in its channel: ${insideOnly}. Nothing was changed; to help, ask someone working on it to add you to the channel.`,
  );
}
