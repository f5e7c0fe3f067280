import type { Queryable } from '../../domain/queryable';
import type { Clock } from '../../clock';
import { INCIDENT_ROLES, ROLE_TITLES, type IncidentRole } from '../../domain/incident-role';
import { badInput, BotError, forbidden } from '../../errors';
import type { Incident } from '../../domain/incident';
import type { IncidentRoomStore, RoleHolder } from '../../domain/incident-room';
import type { TimelineStore } from '../../domain/timeline-event';
import { roleChangeRefusal } from './room-permissions';

export interface RoleChange {
  incident: Incident;
  role: IncidentRole;
  userId: string;
  /** Who held the role before; undefined: nobody. */
  previous?: string;
}

/**
 * Who leads an incident, who talks to stakeholders and who keeps notes. Each hand-over is a `role_assigned`
 * timeline event written in the same transaction as the new holder; who may hand a held role over is
 * `roleChangeRefusal`'s rule, checked under the incident's lock.
 *
 * @example
 *   const change = await roles.assign('INC-20261126070000', 'commander', 'U0ALICE', 'U0BOB');
 *   // change.previous: who had command before
 */
export interface IncidentRoles {
  assign(incidentId: string, role: IncidentRole, userId: string, actor: string): Promise<RoleChange>;
  holders(incidentId: string): Promise<Partial<Record<IncidentRole, string>>>;
}

export interface IncidentRolesDeps {
  transaction: <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T>;
  /** The incident (throws NOT_FOUND for an unknown id). */
  getIncident: (id: string) => Promise<Incident>;
  rooms: Pick<IncidentRoomStore, 'assignRole' | 'roles'>;
  timeline: Pick<TimelineStore, 'append'>;
  clock: Clock;
}

const USER_ID = /^[UW][A-Z0-9]{2,20}$/;

export function createIncidentRoles(deps: IncidentRolesDeps): IncidentRoles {
  const holders = async (incidentId: string) => byRole(await deps.rooms.roles(incidentId));
  return {
    holders,
    assign: async (incidentId, role, userId, actor) => {
      if (!INCIDENT_ROLES.includes(role)) throw badInput(`${JSON.stringify(role)} is not a role: commander, comms or scribe.`);
      if (!USER_ID.test(userId)) throw badInput('Name the person with an @-mention so Slack sends their user id.');
      const incident = await deps.getIncident(incidentId);
      if (incident.status === 'resolved') throw new BotError('CONFLICT', `${incident.id} is resolved: its roles are closed.`);
      const now = deps.clock.now();
      const { previous } = await deps.transaction(async (tx) => {
        const r = await deps.rooms.assignRole(incident.id, role, userId, actor, now, tx, (holders) =>
          roleChangeRefusal({ incident, role, userId, actor, holders }),
        );
        if (r.unchanged) throw badInput(`<@${userId}> is already the ${ROLE_TITLES[role].toLowerCase()} of ${incident.id}.`);
        if (r.refused) throw forbidden(r.refused);
        const text = r.previous ? `${ROLE_TITLES[role]}: <@${r.previous}> → <@${userId}>` : `${ROLE_TITLES[role]}: <@${userId}>`;
        await deps.timeline.append(
          {
            incidentId: incident.id,
            at: now,
            actor,
            kind: 'role_assigned',
            text,
            data: { role, userId, ...(r.previous ? { previous: r.previous } : {}) },
          },
          tx,
        );
        return r;
      });
      return { incident, role, userId, ...(previous ? { previous } : {}) };
    },
  };
}

export function byRole(list: readonly RoleHolder[]): Partial<Record<IncidentRole, string>> {
  return Object.fromEntries(list.map((h) => [h.role, h.userId])) as Partial<Record<IncidentRole, string>>;
}
