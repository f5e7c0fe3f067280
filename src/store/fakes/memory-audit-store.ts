import type { AuditEntry, AuditStore } from '../../domain/audit';
import { copy, jsonb, type MemoryDatabase } from './memory-database';

/** The in-memory AuditStore: append-only, as the SQL table is; the same contract as `createAuditStore`. */
export function createMemoryAuditStore(mem: MemoryDatabase): AuditStore {
  const t = mem.tables;
  return {
    append: async (e) => {
      t.serials.audit += 1;
      const entry: AuditEntry = {
        id: t.serials.audit,
        at: e.at ? copy(e.at) : mem.now(),
        actor: e.actor,
        action: e.action,
        subject: e.subject,
        incidentId: e.incidentId ?? null,
        data: jsonb(e.data ?? {}),
      };
      t.audit.push(entry);
      return copy(entry);
    },
    list: async (f) =>
      t.audit
        .filter(
          (e) => (f.incidentId === undefined || e.incidentId === f.incidentId) && (f.subject === undefined || e.subject === f.subject),
        )
        .slice(0, f.limit ?? 200)
        .map((e) => copy(e)),
  };
}
