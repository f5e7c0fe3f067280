import type { WebClient } from '@slack/web-api';
import type { Logger } from '../logger';

export interface UsergroupMembership {
  /** The groups among `candidates` the user belongs to. A group that cannot be read grants nothing (fail closed). */
  groupsOf(userId: string, candidates: readonly string[]): Promise<string[]>;
  /** The members of a user group (throws when it cannot be read). */
  membersOf(usergroup: string): Promise<string[]>;
}

/**
 * Membership through `usergroups.users.list`, cached per group for `ttlMs` (default 60 s) so a burst of clicks costs
 * one call per group; a failed read is not cached.
 */
export function createUsergroupMembership(deps: {
  client: WebClient;
  logger: Logger;
  ttlMs?: number;
  nowMs?: () => number;
}): UsergroupMembership {
  const ttlMs = deps.ttlMs ?? 60_000;
  const now = deps.nowMs ?? Date.now;
  const cache = new Map<string, { users: Promise<Set<string>>; until: number }>();
  const membersOf = (usergroup: string): Promise<Set<string>> => {
    const hit = cache.get(usergroup);
    if (hit && hit.until > now()) return hit.users;
    const users = deps.client.usergroups.users.list({ usergroup }).then((r) => new Set(r.users ?? []));
    cache.set(usergroup, { users, until: now() + ttlMs });
    users.catch(() => cache.delete(usergroup));
    return users;
  };
  return {
    membersOf: async (usergroup) => [...(await membersOf(usergroup))],
    groupsOf: async (userId, candidates) => {
      const out: string[] = [];
      for (const usergroup of new Set(candidates)) {
        try {
          if ((await membersOf(usergroup)).has(userId)) out.push(usergroup);
        } catch (err) {
          deps.logger.warn(
            { err: { message: (err as Error).message }, usergroup },
            'could not read a user group; its members are not recognised',
          );
        }
      }
      return out;
    },
  };
}
