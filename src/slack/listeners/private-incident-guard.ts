import type { IncidentService } from '../../incidents/incident-service';
import type { IncidentCommand } from '../command-grammar';
import { incidentForViewer, type IncidentVisibility } from '../incident-visibility';
import type { CommandInvocation } from './incident-command-dispatch';
import { ROLES_INSIDE_ONLY } from './incident-room-commands';

/** Subcommands that answer someone outside a private incident themselves, with its redacted line. */
const REDACTING: ReadonlySet<IncidentCommand['name']> = new Set(['status', 'followups']);

/**
 * Runs before every `/incident` subcommand that names an incident by id: a private incident is acted on, and its
 * details shown, only for those who may read it; anyone else gets one refusal that names nothing but the id, and
 * nothing is changed. Without an id the command is about the incident of the channel it was typed in, which its
 * members alone can type in.
 */
export function privateIncidentGuard(deps: {
  incidents: Pick<IncidentService, 'get'>;
  visibility?: IncidentVisibility | undefined;
}): (inv: CommandInvocation) => Promise<void> {
  return async (inv) => {
    const { command } = inv;
    if (!deps.visibility || REDACTING.has(command.name) || !('incidentId' in command) || !command.incidentId) return;
    const insideOnly = command.name === 'role' ? ROLES_INSIDE_ONLY : `\`/incident ${command.name}\` works on it only from inside it`;
    await incidentForViewer(deps, { userId: inv.userId, channelId: inv.channelId }, command.incidentId, insideOnly);
  };
}
