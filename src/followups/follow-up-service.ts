import type { Queryable } from '../domain/queryable';
import type { Clock } from '../clock';
import { badInput, BotError, forbidden, notFound } from '../errors';
import { followUpCloseRefusal } from '../incidents/room/room-permissions';
import type { FollowUp, FollowUpSource, FollowUpStore } from '../domain/follow-up';
import type { Incident } from '../domain/incident';
import type { TimelineStore } from '../domain/timeline-event';

/** When nobody says otherwise, a follow-up is due two weeks after it was written down (one sprint). */
export const DEFAULT_FOLLOW_UP_DAYS = 14;
/** An overdue follow-up is reminded at most once a day. */
export const REMIND_EVERY_MS = 24 * 3600_000;
const TEXT_MAX = 500;
const USER_ID = /^[UW][A-Z0-9]{2,20}$/;

export interface CreateFollowUpInput {
  incidentId: string;
  text: string;
  /** Slack user id of whoever owns it. */
  owner?: string;
  /** Default: DEFAULT_FOLLOW_UP_DAYS from now. */
  dueAt?: Date;
  createdBy: string;
  /** `postmortem`: an action item confirmed from a post-mortem draft. */
  source?: FollowUpSource;
  /** What it is made from (the action item's key): creating it again for the same key returns the first one. */
  sourceKey?: string;
}

/**
 * Follow-ups: what was promised after an incident, with an owner, a status and a due date. The post-mortem creates
 * them from confirmed action items, `/incident followup` from the channel.
 *
 * @example
 *   const f = await followUps.createFollowUp({ incidentId: 'INC-20261126070000', text: 'Alert on queue age', owner: 'U0ALICE',
 *   createdBy: 'U0BOB', source: 'postmortem', sourceKey: item.key });
 *   await followUps.markDone(f.id, 'U0ALICE');
 */
export interface FollowUpService {
  /** `created: false` when a follow-up with the same `sourceKey` already existed for the incident (it is returned). */
  createFollowUp(input: CreateFollowUpInput): Promise<FollowUp & { created: boolean }>;
  get(id: number): Promise<FollowUp>;
  listForIncident(incidentId: string, opts?: { includeDone?: boolean }): Promise<FollowUp[]>;
  listOwnedBy(userId: string): Promise<FollowUp[]>;
  listOpen(): Promise<FollowUp[]>;
  /** By its owner, the incident's commander or its opener (FORBIDDEN otherwise). */
  markDone(id: number, actor: string): Promise<FollowUp>;
  /** Overdue follow-ups to remind now; each is handed out once a day across replicas. */
  claimOverdue(limit?: number): Promise<FollowUp[]>;
}

export interface FollowUpServiceDeps {
  transaction: <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T>;
  store: FollowUpStore;
  timeline: Pick<TimelineStore, 'append'>;
  /** Throws NOT_FOUND for an unknown id. */
  getIncident: (id: string) => Promise<Incident>;
  /** The incident's commander, who may close its follow-ups besides their owners and the opener. */
  commanderOf: (incidentId: string) => Promise<string | undefined>;
  clock: Clock;
}

const LIST_LIMIT = 50;

export function createFollowUpService(deps: FollowUpServiceDeps): FollowUpService {
  const { store, clock } = deps;
  const get = async (id: number) => {
    const f = Number.isSafeInteger(id) && id > 0 ? await store.get(id) : null;
    if (!f) throw notFound(`There is no follow-up #${id}.`);
    return f;
  };
  return {
    createFollowUp: async (input) => {
      const text = input.text.replace(/\s+/g, ' ').trim();
      if (!text) throw badInput('A follow-up needs a text: `/incident followup <what needs doing> [@owner]`.');
      if (text.length > TEXT_MAX) throw badInput(`A follow-up is at most ${TEXT_MAX} characters; link the details.`);
      if (input.owner !== undefined && !USER_ID.test(input.owner)) throw badInput('The owner must be a person: mention them with @.');
      const incident = await deps.getIncident(input.incidentId);
      const now = clock.now();
      const dueAt = input.dueAt ?? new Date(now.getTime() + DEFAULT_FOLLOW_UP_DAYS * 24 * 3600_000);
      if (Number.isNaN(dueAt.getTime())) throw badInput('The due date is not a date.');
      return deps.transaction(async (tx) => {
        const f = await store.insert(
          {
            incidentId: incident.id,
            text,
            ...(input.owner ? { owner: input.owner } : {}),
            dueAt,
            source: input.source ?? 'command',
            ...(input.sourceKey ? { sourceKey: input.sourceKey } : {}),
            createdBy: input.createdBy,
            createdAt: now,
          },
          tx,
        );
        if (!f.created) return f;
        await deps.timeline.append(
          {
            incidentId: incident.id,
            at: now,
            actor: input.createdBy,
            kind: 'follow_up_added',
            text: `Follow-up #${f.id}: ${text}`,
            data: { followUpId: f.id, ...(input.owner ? { owner: input.owner } : {}) },
          },
          tx,
        );
        return f;
      });
    },
    get,
    listForIncident: async (incidentId, opts) => {
      const incident = await deps.getIncident(incidentId);
      return store.list({ incidentId: incident.id, ...(opts?.includeDone ? {} : { status: 'open' }) }, LIST_LIMIT);
    },
    listOwnedBy: (userId) => store.list({ owner: userId, status: 'open' }, LIST_LIMIT),
    listOpen: () => store.list({ status: 'open' }, LIST_LIMIT),
    markDone: async (id, actor) => {
      const f = await get(id);
      if (f.status === 'done') throw new BotError('CONFLICT', `Follow-up #${id} is already done.`);
      const incident = await deps.getIncident(f.incidentId);
      const refusal = followUpCloseRefusal({ followUp: f, incident, commander: await deps.commanderOf(incident.id), actor });
      if (refusal) throw forbidden(refusal);
      const done = await store.markDone(id, actor, clock.now());
      if (!done) throw new BotError('CONFLICT', `Follow-up #${id} is already done.`);
      return done;
    },
    claimOverdue: (limit = 20) => {
      const now = clock.now();
      return store.claimOverdue(now, new Date(now.getTime() - REMIND_EVERY_MS), limit);
    },
  };
}
