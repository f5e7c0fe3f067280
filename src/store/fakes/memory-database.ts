import { AsyncLocalStorage } from 'node:async_hooks';
import type { AlertGroup, AlertRecord } from '../../domain/alert';
import type { AuditEntry } from '../../domain/audit';
import type { FollowUp } from '../../domain/follow-up';
import type { Incident } from '../../domain/incident';
import type { IncidentRoom, RoleHolder } from '../../domain/incident-room';
import type { PostmortemDraft } from '../../domain/postmortem-draft';
import type { Queryable } from '../../domain/queryable';
import type { RemediationRequest } from '../../domain/remediation-request';
import type { ScheduledJob } from '../../domain/scheduled-job';
import type { TimelineEvent } from '../../domain/timeline-event';

export interface MemoryAlertRow {
  alert: AlertRecord;
  lastDeliveryKey: string | null;
  replyClaimedAt: Date | null;
}

export interface MemoryJobRow {
  job: ScheduledJob;
  claimedAt: Date | null;
  doneAt: Date | null;
  lastError: string | null;
}

export interface MemoryInboxRow {
  seq: number;
  eventId: string;
  orderKey: string;
  body: Record<string, unknown>;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  notBefore: Date;
  attempts: number;
  doneAt: Date | null;
  failure: string | null;
}

/** The tables, one collection each; stores that read another's table (as their SQL joins do) share them. */
export interface MemoryTables {
  alerts: MemoryAlertRow[];
  alertDeliveries: Map<string, Date>;
  incidents: Map<string, Incident>;
  timeline: TimelineEvent[];
  jobs: MemoryJobRow[];
  remediations: Map<string, RemediationRequest>;
  audit: AuditEntry[];
  drafts: PostmortemDraft[];
  processedEvents: Map<string, { source: string; receivedAt: Date }>;
  inbox: MemoryInboxRow[];
  replicas: Map<string, Date>;
  alertGroups: MemoryAlertGroupRow[];
  rooms: Map<string, IncidentRoom>;
  /** Role holders by `incidentId:role`. */
  roles: Map<string, RoleHolder & { incidentId: string }>;
  followUps: (FollowUp & { exportingSince: Date | null; sourceKey: string | null })[];
  /** The last id handed out per serial column. */
  serials: { alerts: number; timeline: number; jobs: number; audit: number; inbox: number; alertGroups: number; followUps: number };
}

export interface MemoryAlertGroupRow {
  group: AlertGroup;
  claimedAt: Date | null;
  closedAt: Date | null;
}

/**
 * The in-memory stand-in for `Database` behind the fake stores (`createMemoryStores`): tables in maps and arrays, and
 * transactions that run one at a time and put the tables back as they were when one throws. What the database does
 * on its own (defaults of `now()`, the replicas' liveness) reads `now`. For tests that need no server; the PostgreSQL
 * stores pass the same contract tests (test/store/contracts/).
 */
export interface MemoryDatabase {
  readonly tables: MemoryTables;
  /** The database server's clock (`now()` in SQL). */
  now(): Date;
  /**
   * Runs `fn` alone among transactions (one opened inside `fn` is a savepoint within it); when it throws, every table
   * is restored to its state before `fn`, writes other callers made meanwhile included (a fake, not a database: tests that race plain
   * writes against a failing
   * transaction belong to the PostgreSQL suites).
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  inTransaction(): boolean;
}

/** What a store method receives as `tx` from a memory transaction: the fake stores ignore it and SQL is refused. */
const NO_SQL: Queryable = {
  query: async () => {
    throw new Error('the in-memory database runs no SQL: use a store method');
  },
};

const emptyTables = (): MemoryTables => ({
  alerts: [],
  alertDeliveries: new Map(),
  incidents: new Map(),
  timeline: [],
  jobs: [],
  remediations: new Map(),
  audit: [],
  drafts: [],
  processedEvents: new Map(),
  inbox: [],
  replicas: new Map(),
  alertGroups: [],
  rooms: new Map(),
  roles: new Map(),
  followUps: [],
  serials: { alerts: 0, timeline: 0, jobs: 0, audit: 0, inbox: 0, alertGroups: 0, followUps: 0 },
});

export function createMemoryDatabase(opts: { now?: () => Date } = {}): MemoryDatabase {
  const tables = emptyTables();
  const now = opts.now ?? (() => new Date());
  let queue: Promise<unknown> = Promise.resolve();
  const inside = new AsyncLocalStorage<true>();
  return {
    tables,
    now,
    inTransaction: () => inside.getStore() === true,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
      const run = async (): Promise<T> => {
        const before = structuredClone(tables);
        try {
          return await inside.run(true, () => fn(NO_SQL));
        } catch (err) {
          // Sequences are not transactional: an id handed out is never handed out again.
          const serials = tables.serials;
          Object.assign(tables, before, { serials });
          throw err;
        }
      };
      // A transaction opened inside one runs within it, as a savepoint does in Database.transaction.
      if (inside.getStore()) return run();
      const result = queue.then(run, run);
      queue = result.catch(() => undefined);
      return result;
    },
  };
}

/** What PostgreSQL's constraints refuse, the fake refuses too (a CHECK or a foreign key). */
export function constraint(ok: boolean, what: string): void {
  if (!ok) throw new Error(`the in-memory database refuses this row: ${what}`);
}

/** A copy for the caller: rows read from a database are never the rows it keeps. */
export const copy = <T>(value: T): T => structuredClone(value);

/** What a jsonb column gives back: JSON's types only (Dates become strings, undefined members vanish). */
export const jsonb = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
