import type { Queryable } from './queryable';
import type { Severity } from './severity';

export type IncidentStatus = 'open' | 'acknowledged' | 'mitigated' | 'resolved';

export interface Incident {
  id: string;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  channelId: string | null;
  threadTs: string | null;
  createdBy: string;
  createdAt: Date;
  /** When the impact began: the linked alert's start, else when the incident was opened. */
  startedAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  mitigatedAt: Date | null;
  mitigatedBy: string | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  impact: string | null;
  summary: string | null;
  rootCause: string | null;
  resolution: string | null;
  lastUpdateAt: Date | null;
  nextUpdateDueAt: Date | null;
}

export interface NewIncident {
  title: string;
  severity: Severity;
  createdBy: string;
  createdAt: Date;
  startedAt: Date;
  impact?: string;
  channelId?: string;
  threadTs?: string;
  nextUpdateDueAt?: Date;
}

/** Columns a conditional update may set (camelCase → snake_case below). */
export type IncidentPatch = Partial<
  Pick<
    Incident,
    | 'status'
    | 'severity'
    | 'acknowledgedAt'
    | 'acknowledgedBy'
    | 'mitigatedAt'
    | 'mitigatedBy'
    | 'resolvedAt'
    | 'resolvedBy'
    | 'summary'
    | 'rootCause'
    | 'resolution'
    | 'lastUpdateAt'
    | 'nextUpdateDueAt'
    | 'channelId'
    | 'threadTs'
    | 'impact'
    | 'startedAt'
  >
>;

export interface IncidentStore {
  /** Inserts with the given id; null when the id is taken. */
  tryInsert(id: string, incident: NewIncident, tx?: Queryable): Promise<Incident | null>;
  /** Ids taken among `from` … `to` (inclusive, lexicographic: INC IDs sort by time). */
  takenIdsBetween(from: string, to: string): Promise<Set<string>>;
  /** `forUpdate` (inside a transaction): locks the row until it ends, so a read-then-update cannot race another. */
  get(id: string, tx?: Queryable, opts?: { forUpdate?: boolean }): Promise<Incident | null>;
  /**
   * Applies `patch` only when the incident's status is one of `fromStatuses`; null otherwise.
   * This is what makes transitions safe under concurrent clicks and replicas.
   */
  update(id: string, fromStatuses: readonly IncidentStatus[], patch: IncidentPatch, at: Date, tx?: Queryable): Promise<Incident | null>;
  findByThread(channelId: string, threadTs: string): Promise<Incident | null>;
  listActive(): Promise<Incident[]>;
  countActiveBySeverity(): Promise<Record<Severity, number>>;
}
