import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import pino from 'pino';
import { runDiagnosis } from '../../src/diagnosis';
import { addLogSecrets, createLogger } from '../../src/logger';
import { catalogSecrets, findAlert, parseRunbook, type Catalog, type Runbook } from '../../src/runbooks';
import type { Database } from '../../src/store/database';
import { createMigratedDatabase } from '../support/migrated-database';
import { createTestDatabase } from '../support/services';
import { makeService } from '../remediations/harness';

/**
 * Nothing secret flows into Slack: statements from pg_stat_activity lose their literals, log lines lose their tokens,
 * and the passwords in the catalog's target URLs never reach a log line.
 */
const silent = pino({ level: 'silent' });
let base: string;
let target: { url: string; drop(): Promise<void> };
let db: Database;
let dropDb: () => Promise<void>;
const clients: Client[] = [];

const SECRET_LINES = [
  'ERROR login failed for admin password=Hunter2Hunter2',
  'ERROR slack call failed token=xoxb-123456789012-abcdefghijkl',
  'ERROR upstream said 401 for Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXNlY3JldA',
  'ERROR cannot reach postgres://app:DbPassw0rd99@db.internal:5432/memory',
  'ERROR config {"api_key": "ak-live-77f1e2d3c4"} rejected',
  'ERROR s3 upload as AKIAIOSFODNN7EXAMPLE denied',
  'ERROR loaded key -----BEGIN RSA PRIVATE KEY----- MIIEowIBAAKCAQEAsecretkeymaterial',
];
const SECRETS = [
  'Hunter2Hunter2',
  'xoxb-123456789012-abcdefghijkl',
  'c2lnbmF0dXJlLXNlY3JldA',
  'DbPassw0rd99',
  'ak-live-77f1e2d3c4',
  'AKIAIOSFODNN7EXAMPLE',
  'secretkeymaterial',
];

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'ibt-sec-secrets-'));
  await writeFile(path.join(base, 'daemon.log'), `INFO starting\n${SECRET_LINES.join('\n')}\n`);
  target = await createTestDatabase('security_secrets');
  ({ db, drop: dropDb } = await createMigratedDatabase('security_secrets_store'));
}, 60_000);
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await target?.drop();
  await dropDb?.();
  await rm(base, { recursive: true, force: true });
});

async function connect(applicationName: string): Promise<Client> {
  const c = new Client({ connectionString: target.url, application_name: applicationName });
  c.on('error', () => undefined);
  await c.connect();
  clients.push(c);
  return c;
}

const RUNBOOK = `id: daemon
title: Daemon
link: https://runbooks.internal/daemon
targets:
  home:
    kind: files
    root: \${DAEMON_HOME}
  db:
    kind: postgres
    connection: \${APP_DB_URL}
probes:
  - id: daemon-log
    title: Daemon log
    kind: log-tail
    target: home
    params: { path: daemon.log, lines: 50 }
  - id: db-locks
    title: Long transactions
    kind: postgres
    target: db
    params: { checks: [long-transactions], longTransactionMinutes: 0.001 }
alerts:
  - name: DaemonDown
    severity: P1
remediations:
  - id: terminate-long
    kind: postgres.terminate-long-running
    title: Terminate long statements
    risk: high
    target: db
    params: { olderThanMinutes: 0.02, applicationName: secrets-sleeper }
`;

function runbook(env: Record<string, string>): Runbook {
  const parsed = parseRunbook('daemon.yaml', RUNBOOK, env);
  if ('problems' in parsed) throw new Error(JSON.stringify(parsed.problems));
  return parsed.runbook;
}

async function until<T>(what: string, f: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('secrets are masked before anything is shown', () => {
  it('diagnosis: SQL literals from pg_stat_activity and secrets in log lines are masked', async () => {
    const holder = await connect('secrets-holder');
    await holder.query('BEGIN');
    await holder.query(
      "SELECT 'tok-9f8e7d6c5b' AS api_token, $$dollar-quoted-secret$$ AS note, 4242424242 AS card, E'esc\\'aped-secret' AS e",
    );
    const rb = runbook({ DAEMON_HOME: base, APP_DB_URL: target.url });
    const hit = findAlert({ dir: '.', runbooks: [rb] }, 'DaemonDown');
    if (!hit.found) throw new Error('DaemonDown missing');
    const result = await until('the transaction to be listed', async () => {
      const r = await runDiagnosis({ runbook: hit.runbook, alert: hit.alert, logger: silent });
      return r.probes.find((p) => p.id === 'db-locks')?.evidence.excerpt?.includes('AS api_token') ? r : undefined;
    });
    const text = JSON.stringify(result);
    for (const s of ['tok-9f8e7d6c5b', 'dollar-quoted-secret', '4242424242', 'aped-secret', ...SECRETS]) expect(text).not.toContain(s);
    const locks = result.probes.find((p) => p.id === 'db-locks');
    expect(locks?.evidence.excerpt).toContain('SELECT ? AS api_token, ? AS note, ? AS card, ? AS e');
    const log = result.probes.find((p) => p.id === 'daemon-log');
    expect(log?.evidence.excerpt?.split('\n')).toEqual([
      'ERROR login failed for admin password=[REDACTED]',
      'ERROR slack call failed token=[REDACTED]',
      'ERROR upstream said 401 for Authorization: Bearer [REDACTED]',
      'ERROR cannot reach postgres://app:[REDACTED]@db.internal:5432/memory',
      'ERROR config {"api_key": "[REDACTED]"} rejected',
      'ERROR s3 upload as [REDACTED] denied',
      'ERROR loaded key -----BEGIN RSA PRIVATE KEY----- [REDACTED]',
    ]);
    await holder.query('ROLLBACK');
  });

  it('remediation preview: the statement shown to the approver has its literals masked', async () => {
    const sleeper = await connect('secrets-sleeper');
    const sleeperPid = (await sleeper.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const sleeping = sleeper.query("SELECT pg_sleep(600), 'sk_live_51Habcdefghijklmnop' AS stripe_key").catch(() => undefined);
    const catalog: Catalog = { dir: '.', runbooks: [runbook({ DAEMON_HOME: base, APP_DB_URL: target.url })] };
    const { service } = makeService(db, {
      approversByRisk: { high: { users: ['U0BOB'], usergroups: [] } },
      resolveTarget: ({ target: name }) => catalog.runbooks[0]?.targets[name],
    });
    const declaration = catalog.runbooks[0]!.remediations[0] as Record<string, unknown>;
    const created = await until('the sleeper to be older than the threshold', async () => {
      const r = await service.request({ declaration, runbookId: 'daemon', requestedBy: 'U0ALICE' });
      return r.kind === 'created' ? r : undefined;
    });
    const shown = JSON.stringify({
      summary: created.request.preview.summary,
      items: created.request.preview.items,
      data: created.request.preview.data,
    });
    expect(shown).not.toContain('sk_live_51Habcdefghijklmnop');
    expect(created.request.preview.items[0]).toMatch(new RegExp(`^pid ${sleeperPid} .*: SELECT pg_sleep\\(\\?\\), \\? AS stripe_key$`));
    const admin = await connect('secrets-admin');
    await admin.query('SELECT pg_terminate_backend($1)', [sleeperPid]);
    await sleeping;
  });

  it("the catalog targets' passwords join the log redaction list", async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const rb = runbook({ DAEMON_HOME: base, APP_DB_URL: 'postgres://app:CatalogPw-91x@db.internal:5432/memory' });
    const logger = createLogger({ level: 'info', destination });
    addLogSecrets(logger, catalogSecrets({ dir: '.', runbooks: [rb] }));
    const child = logger.child({ probe: 'db-locks' });
    child.warn({ err: { message: 'connect ECONNREFUSED postgres://app:CatalogPw-91x@db.internal:5432/memory' } }, 'probe failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('CatalogPw-91x');
    expect(lines[0]).toContain('postgres://app:[REDACTED]@db.internal');
  });
});
