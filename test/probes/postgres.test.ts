import { createServer, type Server, type Socket } from 'node:net';
import { Client } from 'pg';
import { postgresProbe } from '../../src/probes/postgres';
import { createTestDatabase } from '../support/services';
import { runProbe } from './probe-harness';
import { waitFor } from '../support/wait-for';

let db: { url: string; drop(): Promise<void> };
const clients: Client[] = [];

async function connect(): Promise<Client> {
  const c = new Client({ connectionString: db.url });
  c.on('error', () => undefined);
  await c.connect();
  clients.push(c);
  return c;
}

beforeAll(async () => {
  db = await createTestDatabase('probe_pg');
  const setup = await connect();
  await setup.query('CREATE TABLE jobs (id int PRIMARY KEY, state text)');
  await setup.query("INSERT INTO jobs SELECT g, 'new' FROM generate_series(1, 2000) g");
  await setup.query('CREATE TABLE small (id int)');
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await db.drop();
});

describe('postgres probe against a real server', () => {
  it('connectivity and connections against max_connections', async () => {
    const r = await runProbe(postgresProbe, { checks: ['connectivity', 'connections'] }, { target: { connection: db.url } });
    expect(r.status).toBe('ok');
    const fig = Object.fromEntries(r.figures.map((f) => [f.label, f.value]));
    expect(String(fig.server)).toMatch(/^PostgreSQL \d+/);
    expect(String(fig.connections)).toMatch(/^\d+\/\d+$/);
    const [used, max] = String(fig.connections).split('/').map(Number) as [number, number];
    expect(used).toBeGreaterThanOrEqual(1);
    // a threshold below the real ratio turns it critical (the probe's own connection is always in use; other suites'
    // connections come and go between the two runs)
    const crit = await runProbe(
      postgresProbe,
      { checks: ['connections'], connectionsCrit: `>= ${0.5 / max}` },
      { target: { connection: db.url } },
    );
    expect(crit.status).toBe('crit');
    expect(crit.summary).toMatch(/connections in use/);
  });

  it('sees a blocked lock with the blocking pid and query, and the long transaction holding it', async () => {
    const holder = await connect();
    const waiter = await connect();
    const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    await holder.query('BEGIN');
    await holder.query("UPDATE jobs SET state = 'held' WHERE id = 1");
    const blocked = waiter.query("UPDATE jobs SET state = 'waiting' WHERE id = 1").catch(() => undefined);
    const admin = await connect();
    await waitFor('the waiter to block', async () => {
      const { rows } = await admin.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      return rows[0].n === 1;
    });
    await waitFor('the transaction to be older than 100 ms', async () => {
      const { rows } = await admin.query(
        "SELECT bool_or(now() - xact_start > interval '100 ms') AS old FROM pg_stat_activity WHERE pid = $1",
        [holderPid],
      );
      return rows[0].old === true;
    });

    const r = await runProbe(
      postgresProbe,
      { checks: ['blocked-locks', 'long-transactions'], longTransactionMinutes: 0.001 },
      { target: { connection: db.url } },
    );
    expect(r.status).toBe('warn');
    expect(r.summary).toContain(`blocked by pid ${holderPid}`);
    expect(r.summary).toMatch(/transactions? open > 0.001 min/);
    expect(r.evidence.excerpt).toContain(`on pid ${holderPid}`);
    expect(r.evidence.excerpt).toContain('UPDATE jobs SET state = ? WHERE id = ?'); // literals masked
    const raw = r.evidence.raw as { 'blocked-locks': { blocking_pid: number }[]; 'long-transactions': { pid: number }[] };
    expect(raw['blocked-locks'][0]?.blocking_pid).toBe(holderPid);
    expect(raw['long-transactions'].map((t) => t.pid)).toContain(holderPid);

    await holder.query('ROLLBACK');
    await blocked;
    const after = await runProbe(postgresProbe, { checks: ['blocked-locks'] }, { target: { connection: db.url } });
    expect(after.status).toBe('ok');
  });

  it('says plainly when pg_stat_statements is absent', async () => {
    const r = await runProbe(postgresProbe, { checks: ['top-statements'] }, { target: { connection: db.url } });
    expect(r.status).toBe('unknown');
    expect(r.summary).toMatch(/pg_stat_statements is not installed/);
  });

  it('says plainly when pg_stat_statements is installed but not loaded', async () => {
    const other = await createTestDatabase('probe_pg_pss');
    try {
      const c = new Client({ connectionString: other.url });
      await c.connect();
      await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await c.end();
      const r = await runProbe(postgresProbe, { checks: ['top-statements'] }, { target: { connection: other.url } });
      expect(r.status).toBe('unknown');
      expect(r.summary).toMatch(/pg_stat_statements is installed but not loaded: .*shared_preload_libraries/);
    } finally {
      await other.drop();
    }
  });

  it('table sizes, filtered by a label passed as a bind parameter', async () => {
    const r = await runProbe(
      postgresProbe,
      { checks: ['table-sizes'], tables: ['{{table}}'] },
      { target: { connection: db.url }, labels: { table: 'jobs' } },
    );
    expect(r.figures.map((f) => f.label)).toEqual(['public.jobs']);
    const injected = await runProbe(
      postgresProbe,
      { checks: ['table-sizes'], tables: ['{{table}}'] },
      { target: { connection: db.url }, labels: { table: "jobs' OR '1'='1" } },
    ).catch((e: Error) => e);
    expect(injected).toBeInstanceOf(Error); // unsafe label refused before any SQL
    const bigger = await runProbe(postgresProbe, { checks: ['table-sizes'], tableBytesWarn: '> 8192' }, { target: { connection: db.url } });
    expect(bigger.status).toBe('warn');
    expect(bigger.summary).toMatch(/public\.jobs is/);
  });

  it('a refused connection is a critical result that never shows the password', async () => {
    const r = await runProbe(
      postgresProbe,
      { checks: ['connectivity'] },
      { target: { connection: 'postgres://app:hunter2secret@127.0.0.1:1/x' } },
    );
    expect(r.status).toBe('crit');
    expect(r.summary).toMatch(/^PostgreSQL unreachable: connection refused after \d+ ms$/);
    expect(JSON.stringify(r)).not.toContain('hunter2secret');
  });

  it('a server that accepts and never answers is cut by the 2 s connect timeout', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const started = Date.now();
      const r = await runProbe(postgresProbe, { checks: ['connectivity'] }, { target: { connection: `postgres://u@127.0.0.1:${port}/x` } });
      expect(r.status).toBe('crit');
      expect(r.summary).toMatch(/timed out|timeout/i);
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      sockets.forEach((s) => s.destroy());
      server.close();
    }
  });
});
