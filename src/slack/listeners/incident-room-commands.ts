import type { App } from '@slack/bolt';
import { BotError, isConnectionError, storageUnavailable } from '../../errors';
import type { IncidentService } from '../../incidents/incident-service';
import type { Logger } from '../../logger';
import { USAGE } from '../command-grammar';
import { chooseIncidentText } from '../blocks/incident-blocks';
import { TAKE_COMMAND_ACTION_ID } from '../blocks/room-blocks';
import { onButton } from '../button-router';
import type { IncidentRooms } from '../incident-room';
import { incidentForViewer, type IncidentVisibility, type Viewer } from '../incident-visibility';
import type { SubcommandHandlers } from './incident-command-dispatch';

export interface IncidentRoomCommandDeps {
  rooms: IncidentRooms;
  incidents: Pick<IncidentService, 'get' | 'listActive'>;
  /** Who may read a private incident: only they may take or give its roles. Absent: no privacy (no rooms). */
  visibility?: IncidentVisibility;
  logger: Logger;
}

const INC_ID = /^INC-\d{14}$/;

/** The incident a command in `channelId` is about: the given id, the room's incident, else the channel's only active one. */
export async function incidentHere(
  deps: IncidentRoomCommandDeps,
  channelId: string,
  id: string | undefined,
  usage: string,
): Promise<string> {
  if (id) return id;
  const room = await deps.rooms.incidentOfChannel(channelId);
  if (room) return room;
  const here = (await deps.incidents.listActive()).filter((i) => i.channelId === channelId);
  if (here.length === 1) return here[0]!.id;
  throw new BotError('BAD_INPUT', chooseIncidentText(here, usage));
}

/**
 * A private incident's roles move only from inside it: someone who cannot read the room would otherwise lead it (or
 * learn, from the answer, who does).
 */
export const ROLES_INSIDE_ONLY = 'its roles are taken and given from inside it';

const refuseOutsider = (deps: IncidentRoomCommandDeps, incidentId: string, viewer: Viewer) =>
  incidentForViewer(deps, viewer, incidentId, ROLES_INSIDE_ONLY);

/** `/incident role <role> <@user> [INC-ID]`; a private incident named by id is refused to outsiders by privateIncidentGuard. */
export function incidentRoleCommandHandlers(deps: IncidentRoomCommandDeps): SubcommandHandlers {
  return {
    role: async (inv) => {
      const id = await incidentHere(deps, inv.channelId, inv.command.incidentId, USAGE.role);
      await deps.rooms.assignRole(id, inv.command.role, inv.command.userId, inv.userId);
    },
  };
}

/** "Take command": whoever clicks becomes the commander; the value is only an incident id, checked. */
export function registerTakeCommand(app: App, deps: IncidentRoomCommandDeps): void {
  onButton(app, TAKE_COMMAND_ACTION_ID, async ({ ack, action, body, respond, context }) => {
    await ack();
    const log = (context.log as Logger | undefined) ?? deps.logger;
    const tell = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);
    const id = action.value ?? '';
    if (!INC_ID.test(id)) {
      await tell('That button does not belong to an incident this bot knows.');
      return;
    }
    try {
      await refuseOutsider(deps, id, { userId: body.user.id, channelId: body.channel?.id ?? '' });
      await deps.rooms.assignRole(id, 'commander', body.user.id, body.user.id);
    } catch (err) {
      if (err instanceof BotError) await tell(err.userMessage);
      else if (isConnectionError(err)) await tell(storageUnavailable(err).userMessage);
      else {
        log.error({ err, incidentId: id }, 'taking command failed');
        await tell('Sorry, taking command failed on our side. It has been logged; try again.');
      }
    }
  });
}
