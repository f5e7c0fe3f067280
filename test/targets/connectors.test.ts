import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { connectDocker, inspectContainerInfo } from '../../src/targets/docker-connector';
import { httpGet, httpRequest, TargetUnreachable } from '../../src/targets/http-connector';
import { isSqlStateError, withPostgres } from '../../src/targets/postgres-connector';
import { isRedisConnectionLost, isRedisReplyError, withRedis } from '../../src/targets/redis-connector';
import { DOCKER_SOCKET, freePort, POSTGRES_ADMIN_URL, REDIS_URL, requireDocker, requirePostgres, requireRedis } from '../support/services';

/**
 * The connector contract (src/targets/README.md), against the real services: a target that cannot be reached throws
 * TargetUnreachable with a description and no secret, a timeout is kept, an abort closes the connection at once and
 * throws the signal's reason, and other errors pass through unchanged.
 */

/** Accepts connections and never says a word: the hung target every timeout is about. */
async function startSilentServer(listenOn: number | string): Promise<{ server: Server; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) =>
    typeof listenOn === 'number' ? server.listen(listenOn, '127.0.0.1', resolve) : server.listen(listenOn, resolve),
  );
  return {
    server,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** How long `promise` takes to settle, and how. */
async function settle<T>(promise: Promise<T>): Promise<{ ms: number; value?: T; error?: Error }> {
  const started = performance.now();
  try {
    const value = await promise;
    return { ms: performance.now() - started, value };
  } catch (error) {
    return { ms: performance.now() - started, error: error as Error };
  }
}

const abortAfter = (ms: number): AbortSignal => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), ms);
  return ac.signal;
};

const RUN = randomBytes(4).toString('hex');
let closedPort: number;
let silent: Awaited<ReturnType<typeof startSilentServer>>;
let silentPort: number;

beforeAll(async () => {
  closedPort = await freePort();
  silentPort = await freePort();
  silent = await startSilentServer(silentPort);
});
afterAll(async () => {
  await silent.close();
});

describe('PostgreSQL connector', () => {
  const appName = `ibt-connector-${RUN}`;
  const session = (signal: AbortSignal, more: Partial<Parameters<typeof withPostgres>[1]> = {}) => ({
    applicationName: appName,
    signal,
    connectTimeoutMs: 2000,
    statementTimeoutMs: 10_000,
    ...more,
  });

  beforeAll(async () => {
    await requirePostgres();
  });
  afterAll(async () => {
    // a pg_sleep whose client was dropped runs on until it next talks to the client: end it here
    const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [appName]);
    await admin.end();
  });

  it('runs the session read-only with its statement timeout and application name, and closes it afterwards', async () => {
    const seen = await withPostgres(
      POSTGRES_ADMIN_URL,
      session(new AbortController().signal, { readOnly: true, statementTimeoutMs: 1234 }),
      async (c) => {
        const r = await c.query<{ ro: string; st: string; app: string }>(
          `SELECT current_setting('default_transaction_read_only') AS ro, current_setting('statement_timeout') AS st, current_setting('application_name') AS app`,
        );
        return r.rows[0];
      },
    );
    expect(seen).toEqual({ ro: 'on', st: '1234ms', app: appName });
    const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    const left = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state <> 'active'`, [
      appName,
    ]);
    await admin.end();
    expect(left.rows[0].n).toBe(0);
  });

  it('describes a refused connection without the password of the connection string', async () => {
    const r = await settle(
      withPostgres(`postgres://postgres:s3cret-pw@127.0.0.1:${closedPort}/postgres`, session(new AbortController().signal), async () => 1),
    );
    expect(r.error).toBeInstanceOf(TargetUnreachable);
    expect(r.error?.message).toMatch(/^connection refused after \d+ ms$/);
    expect(r.error?.message).not.toContain('s3cret');
  });

  it('describes an answer the server refused with its SQLSTATE', async () => {
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/ibt_no_such_db_${RUN}`;
    const r = await settle(withPostgres(url.toString(), session(new AbortController().signal), async () => 1));
    expect(r.error).toBeInstanceOf(TargetUnreachable);
    expect(r.error?.message).toBe(`database "ibt_no_such_db_${RUN}" does not exist (SQLSTATE 3D000)`);
  });

  it('gives up connecting to a server that never answers after its connect timeout', async () => {
    const r = await settle(
      withPostgres(
        `postgres://postgres@127.0.0.1:${silentPort}/postgres`,
        session(new AbortController().signal, { connectTimeoutMs: 300 }),
        async () => 1,
      ),
    );
    expect(r.error).toBeInstanceOf(TargetUnreachable);
    expect(r.error?.message).toMatch(/^connect timed out after \d+ ms$/);
    expect(r.ms).toBeLessThan(3000);
  });

  it('an abort during a query closes the connection at once and throws the abort', async () => {
    const r = await settle(withPostgres(POSTGRES_ADMIN_URL, session(abortAfter(300)), (c) => c.query('SELECT pg_sleep(20)')));
    expect(r.error?.name).toBe('AbortError');
    expect(r.ms).toBeLessThan(3000);
  });

  it('an abort while connecting to a hung server throws the abort, not a timeout', async () => {
    const r = await settle(
      withPostgres(
        `postgres://postgres@127.0.0.1:${silentPort}/postgres`,
        session(abortAfter(200), { connectTimeoutMs: 10_000 }),
        async () => 1,
      ),
    );
    expect(r.error?.name).toBe('AbortError');
    expect(r.ms).toBeLessThan(3000);
  });

  it('a statement past its timeout is the server refusing (SQLSTATE 57014), passed on unchanged', async () => {
    const r = await settle(
      withPostgres(POSTGRES_ADMIN_URL, session(new AbortController().signal, { statementTimeoutMs: 200 }), (c) =>
        c.query('SELECT pg_sleep(10)'),
      ),
    );
    expect(isSqlStateError(r.error)).toBe(true);
    expect((r.error as { code?: string }).code).toBe('57014');
    expect(r.ms).toBeLessThan(3000);
  });

  it('an already aborted signal never connects', async () => {
    const ac = new AbortController();
    ac.abort();
    let used = false;
    const r = await settle(
      withPostgres(POSTGRES_ADMIN_URL, session(ac.signal), async () => {
        used = true;
      }),
    );
    expect(r.error?.name).toBe('AbortError');
    expect(used).toBe(false);
  });
});

describe('Redis connector', () => {
  const name = `ibt-connector-${RUN}`;
  const session = (signal: AbortSignal, more: Partial<Parameters<typeof withRedis>[1]> = {}) => ({
    connectionName: name,
    signal,
    connectTimeoutMs: 2000,
    commandTimeoutMs: 10_000,
    ...more,
  });
  let admin: Redis;

  beforeAll(async () => {
    await requireRedis();
    admin = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    admin.disconnect();
  });

  const clientsNamed = async (): Promise<number> =>
    String(await admin.call('CLIENT', 'LIST'))
      .split('\n')
      .filter((l) => l.includes(` name=${name} `)).length;

  it('connects under its name and is gone from CLIENT LIST afterwards', async () => {
    const during = await withRedis(REDIS_URL, session(new AbortController().signal), async () => clientsNamed());
    expect(during).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(await clientsNamed()).toBe(0);
  });

  it('describes a refused connection without the password of the URL', async () => {
    const r = await settle(withRedis(`redis://:s3cret-pw@127.0.0.1:${closedPort}`, session(new AbortController().signal), async () => 1));
    expect(r.error).toBeInstanceOf(TargetUnreachable);
    expect(r.error?.message).toMatch(/^connection refused after \d+ ms$/);
    expect(r.error?.message).not.toContain('s3cret');
  });

  it('gives up connecting to a server that never answers after its connect timeout', async () => {
    const r = await settle(
      withRedis(`redis://127.0.0.1:${silentPort}`, session(new AbortController().signal, { connectTimeoutMs: 300 }), async () => 1),
    );
    expect(r.error).toBeInstanceOf(TargetUnreachable);
    expect(r.error?.message).toBe('connect timed out after 300 ms');
    expect(r.ms).toBeLessThan(3000);
  });

  it('an abort during a blocking command drops the connection at once and throws the abort', async () => {
    const r = await settle(withRedis(REDIS_URL, session(abortAfter(300)), (redis) => redis.blpop(`ibt-connector-${RUN}:never`, 0)));
    expect(r.error?.name).toBe('AbortError');
    expect(r.ms).toBeLessThan(3000);
    await new Promise((res) => setTimeout(res, 100));
    expect(await clientsNamed()).toBe(0);
  });

  it('a command past its timeout is a lost connection, a refused command a reply error; both passed on', async () => {
    const slow = await settle(
      withRedis(REDIS_URL, session(new AbortController().signal, { commandTimeoutMs: 200 }), (redis) =>
        redis.blpop(`ibt-connector-${RUN}:never`, 0),
      ),
    );
    expect(isRedisConnectionLost(slow.error)).toBe(true);
    expect(slow.ms).toBeLessThan(3000);
    const refused = await settle(withRedis(REDIS_URL, session(new AbortController().signal), (redis) => redis.call('NO-SUCH-COMMAND')));
    expect(isRedisReplyError(refused.error)).toBe(true);
  });
});

describe('Docker connector', () => {
  let socketDir: string;

  beforeAll(async () => {
    await requireDocker();
    socketDir = path.join(tmpdir(), `ibt-docker-${RUN}`);
  });
  afterAll(async () => {
    await rm(socketDir, { recursive: true, force: true });
  });

  it('a container the engine does not know is undefined, not an error', async () => {
    await expect(
      inspectContainerInfo(connectDocker(DOCKER_SOCKET), `ibt-no-such-${RUN}`, new AbortController().signal),
    ).resolves.toBeUndefined();
  });

  it('describes a socket that is not there', async () => {
    const r = await settle(
      inspectContainerInfo(connectDocker(`unix:///nonexistent/ibt-${RUN}.sock`), 'anything', new AbortController().signal),
    );
    expect(r.error).toBeInstanceOf(TargetUnreachable);
    expect(r.error?.message).toBe(`no Docker socket at /nonexistent/ibt-${RUN}.sock`);
  });

  it('an engine that never answers is left at the deadline, with the abort', async () => {
    await mkdir(socketDir, { recursive: true });
    const sock = path.join(socketDir, 'hung.sock');
    const hung = await startSilentServer(sock);
    try {
      const r = await settle(inspectContainerInfo(connectDocker(sock), 'anything', AbortSignal.timeout(300)));
      expect(r.error?.name).toBe('TimeoutError');
      expect(r.ms).toBeLessThan(3000);
    } finally {
      await hung.close();
    }
  });
});

describe('HTTP connector', () => {
  it("sends the URL's user:password as Basic auth and a JSON body, and returns status and body", async () => {
    const server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ auth: req.headers.authorization, type: req.headers['content-type'], body }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const answer = await httpRequest('POST', new URL(`http://bot:pw%40x@127.0.0.1:${port}/silences`), {
        signal: new AbortController().signal,
        timeoutMs: 2000,
        json: { a: 1 },
      });
      expect(answer.status).toBe(201);
      expect(answer.contentType).toBe('application/json');
      expect(JSON.parse(answer.body)).toEqual({
        auth: `Basic ${Buffer.from('bot:pw@x').toString('base64')}`,
        type: 'application/json',
        body: '{"a":1}',
      });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('describes a refused connection', async () => {
    const r = await settle(httpGet(new URL(`http://127.0.0.1:${closedPort}/`), { signal: new AbortController().signal, timeoutMs: 2000 }));
    expect(r.error).toBeInstanceOf(TargetUnreachable);
    expect(r.error?.message).toMatch(/^connection refused after \d+ ms$/);
  });

  it('a server that accepts and never answers is given up after the timeout', async () => {
    const r = await settle(httpGet(new URL(`http://127.0.0.1:${silentPort}/`), { signal: new AbortController().signal, timeoutMs: 300 }));
    expect(r.error).toBeInstanceOf(TargetUnreachable);
    expect(r.error?.message).toMatch(/^no answer within \d+ ms$/);
    expect(r.ms).toBeLessThan(3000);
  });

  it('an abort throws the abort at once', async () => {
    const r = await settle(
      httpRequest('POST', new URL(`http://127.0.0.1:${silentPort}/`), { signal: abortAfter(200), timeoutMs: 10_000, json: { a: 1 } }),
    );
    expect(r.error?.name).toBe('AbortError');
    expect(r.ms).toBeLessThan(3000);
  });
});
