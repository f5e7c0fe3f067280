import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { AlertStore } from '../../src/domain/alert';
import type { AuditStore } from '../../src/domain/audit';
import type { FollowUpStore } from '../../src/domain/follow-up';
import type { IncidentRoomStore } from '../../src/domain/incident-room';
import type { ReportStore } from '../../src/domain/report';
import type { InboxStore } from '../../src/domain/inbox-delivery';
import type { IncidentStore } from '../../src/domain/incident';
import type { PostmortemStore } from '../../src/domain/postmortem-draft';
import type { ProcessedEventStore } from '../../src/domain/processed-event';
import type { Queryable } from '../../src/domain/queryable';
import type { RemediationStore } from '../../src/domain/remediation-request';
import type { ScheduledJobStore } from '../../src/domain/scheduled-job';
import type { TimelineStore } from '../../src/domain/timeline-event';
import { createAlertStore } from '../../src/store/alert-store';
import { createAuditStore } from '../../src/store/audit-store';
import { createFollowUpStore } from '../../src/store/follow-up-store';
import { createIncidentRoomStore } from '../../src/store/incident-room-store';
import { createReportStore } from '../../src/store/report-store';
import { createMemoryStores } from '../../src/store/fakes/memory-stores';
import { createInboxStore } from '../../src/store/inbox-store';
import { createIncidentStore } from '../../src/store/incident-store';
import { createPostmortemStore } from '../../src/store/postmortem-store';
import { createProcessedEventStore } from '../../src/store/processed-event-store';
import { createRemediationStore } from '../../src/store/remediation-store';
import { createScheduledJobStore } from '../../src/store/scheduled-job-store';
import { createTimelineStore } from '../../src/store/timeline-store';
import { openDatabase, type Database } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';
import { createMigratedDatabase } from './migrated-database';

const silent = pino({ level: 'silent' });

/** Every store interface of src/domain/, on one database, and that database's transactions. */
export interface Stores {
  alerts: AlertStore;
  audit: AuditStore;
  inbox: InboxStore;
  incidents: IncidentStore;
  postmortems: PostmortemStore;
  processedEvents: ProcessedEventStore;
  remediations: RemediationStore;
  jobs: ScheduledJobStore;
  timeline: TimelineStore;
  rooms: IncidentRoomStore;
  followUps: FollowUpStore;
  reports: ReportStore;
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}

/** An implementation of the stores the contract suites (test/store/contracts/) run against: a fresh, empty one per open. */
export interface StoreBackend {
  name: string;
  /** `prefix` names the database, where there is one. */
  open(prefix?: string): Promise<{ stores: Stores; close(): Promise<void> }>;
}

/** The production stores on a fresh PostgreSQL database (PGlite in the unit lane). */
export const POSTGRES_STORES: StoreBackend = {
  name: 'PostgreSQL stores',
  open: async (prefix = 'store_contract') => {
    const { db, drop } = await createMigratedDatabase(prefix);
    return { stores: productionStores(db), close: drop };
  },
};

/**
 * The production stores on the embedded PostgreSQL, opened as the bot opens it without DATABASE_URL (PGlite served
 * on a loopback port, migrated) in a temporary DATA_DIR. PGlite takes seconds to start, so one instance serves the
 * test file that calls this (stopped after its last test), and each open empties every table instead.
 */
export function embeddedStores(): StoreBackend {
  let started: Promise<{ db: Database; dir: string }> | undefined;
  afterAll(async () => {
    if (!started) return;
    const { db, dir } = await started;
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    name: 'embedded PGlite stores',
    open: async () => {
      started ??= (async () => {
        const dir = await mkdtemp(path.join(tmpdir(), 'ib-store-contract-'));
        const db = await openDatabase({ dataDir: dir, logger: silent });
        await migrate(db, silent);
        return { db, dir };
      })();
      const { db } = await started;
      await emptyTables(db);
      return { stores: productionStores(db), close: async () => undefined };
    },
  };
}

/** Back to the state right after migrating: every table empty, every sequence restarted. */
async function emptyTables(db: Database): Promise<void> {
  const tables = await db.query<{ name: string }>(
    `SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`,
  );
  const sequences = await db.query<{ name: string }>(
    `SELECT quote_ident(sequencename) AS name FROM pg_sequences WHERE schemaname = 'public'`,
  );
  await db.transaction(async (tx) => {
    // Replica mode skips ordinary triggers for this transaction only: the audit log's append-only guard and the
    // foreign keys, so the tables empty in any order. DELETE, because TRUNCATE on PGlite costs ~10x as much.
    await tx.query('SET LOCAL session_replication_role = replica');
    for (const t of tables.rows) await tx.query(`DELETE FROM ${t.name}`);
    for (const s of sequences.rows) await tx.query(`ALTER SEQUENCE ${s.name} RESTART`);
  });
}

function productionStores(db: Database): Stores {
  return {
    alerts: createAlertStore(db),
    audit: createAuditStore(db),
    inbox: createInboxStore(db),
    incidents: createIncidentStore(db),
    postmortems: createPostmortemStore(db),
    processedEvents: createProcessedEventStore(db),
    remediations: createRemediationStore(db),
    jobs: createScheduledJobStore(db),
    timeline: createTimelineStore(db),
    rooms: createIncidentRoomStore(db),
    followUps: createFollowUpStore(db),
    reports: createReportStore(db),
    transaction: (fn) => db.transaction(fn),
  };
}

/** The in-memory fakes (src/store/fakes/). */
export const MEMORY_STORES: StoreBackend = {
  name: 'in-memory stores',
  open: async () => ({ stores: createMemoryStores(), close: async () => undefined }),
};

/**
 * The stores a service test runs on: the in-memory fakes in the unit lane (jest.unit.config.js sets
 * INCIDENT_BOT_TEST_STORES=memory), the PostgreSQL stores in the full suite. Both pass the same contract.
 */
export const SERVICE_STORES: StoreBackend = process.env.INCIDENT_BOT_TEST_STORES === 'memory' ? MEMORY_STORES : POSTGRES_STORES;

/** Opens a fresh backend before each test of the enclosing describe; `stores()` is the current one. */
export function useStores(backend: StoreBackend): () => Stores {
  let current: { stores: Stores; close(): Promise<void> } | undefined;
  beforeEach(async () => {
    current = await backend.open();
  }, 60_000);
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('the stores are opened in beforeEach');
    return current.stores;
  };
}
