import { Client } from 'pg';
import { postgresTerminateLongRunning as action } from '../../src/remediations/postgres-terminate-long-running';
import { createTestDatabase } from '../support/services';
import { actionContext, target } from './harness';

let url: string;
let drop: () => Promise<void>;
const clients: Client[] = [];
beforeAll(async () => {
  ({ url, drop } = await createTestDatabase('remediation_pg'));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await drop();
});

async function connect(applicationName: string): Promise<Client> {
  const c = new Client({ connectionString: url, application_name: applicationName });
  c.on('error', () => undefined);
  await c.connect();
  clients.push(c);
  return c;
}

describe('postgres.terminate-long-running against real PostgreSQL', () => {
  it('terminates the pg_sleep backend it previewed and leaves idle and idle-in-transaction sessions alone', async () => {
    const sleeper = await connect('worker-app');
    const sleeperPid = (await sleeper.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const sleeping = sleeper.query('SELECT pg_sleep(600)').then(
      () => 'finished',
      (err: Error) => err.message,
    );
    const idle = await connect('worker-app');
    const inTx = await connect('worker-app');
    await inTx.query('BEGIN');
    await inTx.query('SELECT 1');

    const t = target('app-db', 'postgres', { connection: url });
    const params = action.params.parse({ olderThanMinutes: 0.02 });
    // wait (real time, with a deadline) until the sleeper has been active longer than 1.2 s
    const deadline = Date.now() + 15_000;
    let preview = await action.preview(params, actionContext(t));
    while (preview.empty && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      preview = await action.preview(params, actionContext(t));
    }
    expect(preview.data.map((b) => b.pid)).toEqual([sleeperPid]);
    expect(preview.items[0]).toMatch(new RegExp(`^pid ${sleeperPid} \\(postgres, worker-app\\) active \\d+ s: SELECT pg_sleep\\(\\?\\)`));

    const ctx = actionContext(t);
    const result = await action.execute(params, preview, ctx);
    expect(result.summary).toBe('terminated 1 of 1 backends');
    expect(await action.verify(params, preview, result, ctx)).toMatchObject({ status: 'passed' });
    expect(await sleeping).toMatch(/terminat/i);
    expect((await idle.query('SELECT 1 AS ok')).rows[0].ok).toBe(1);
    expect((await inTx.query('SELECT 2 AS ok')).rows[0].ok).toBe(2);
    await inTx.query('ROLLBACK');
  }, 30_000);

  it('acts only on the previewed backend: one that finished in between is left alone', async () => {
    const c = await connect('short');
    const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const t = target('app-db', 'postgres', { connection: url });
    const params = action.params.parse({ olderThanMinutes: 5 });
    // A preview as it would have been stored, for a statement that has since finished.
    const stale = {
      summary: '',
      items: [],
      subject: 'backends on app-db',
      empty: false,
      data: [
        {
          pid,
          backendStart: '2000-01-01 00:00:00+00',
          stateChange: '2000-01-01 00:00:00+00',
          seconds: 999,
          user: 'postgres',
          application: 'short',
          query: 'SELECT 1',
        },
      ],
    };
    const result = await action.execute(params, stale, actionContext(t));
    expect(result.summary).toBe('terminated 0 of 1 backends');
    expect((await c.query('SELECT 1 AS ok')).rows[0].ok).toBe(1);
  });

  it('is refused, not thrown, when the database does not answer', async () => {
    const t = target('app-db', 'postgres', { connection: 'postgres://postgres@127.0.0.1:1/none' });
    await expect(action.preview(action.params.parse({ olderThanMinutes: 5 }), actionContext(t))).rejects.toMatchObject({
      name: 'RemediationRefused',
      message: expect.stringContaining('connection refused'),
    });
  });
});
