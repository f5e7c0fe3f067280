import { Client } from 'pg';
import Redis from 'ioredis';
import { createTestDatabase, POSTGRES_ADMIN_URL, REDIS_URL, requirePostgres, requireRedis } from '../support/services';

describe('real PostgreSQL', () => {
  it('createTestDatabase creates a usable database and drop() removes it even with open connections', async () => {
    await requirePostgres();
    const db = await createTestDatabase('services_test');
    const name = new URL(db.url).pathname.slice(1);
    expect(name).toMatch(/^services_test_[0-9a-f]{12}$/);

    const client = new Client({ connectionString: db.url });
    client.on('error', () => undefined); // the backend is terminated by drop()
    await client.connect();
    await client.query('CREATE TABLE t (id int primary key)');
    await client.query('INSERT INTO t VALUES (1), (2)');
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM t');
    expect(rows[0]?.n).toBe('2');
    const owner = await client.query<{ owner: string }>(
      'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()',
    );
    expect(owner.rows[0]?.owner).toBe('postgres');

    await db.drop(); // the open connection above must not block the drop
    await db.drop(); // idempotent
    await client.end().catch(() => undefined);

    const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      const left = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      expect(left.rowCount).toBe(0);
    } finally {
      await admin.end();
    }
  });

  it('the prefix is sanitised into a valid identifier', async () => {
    const db = await createTestDatabase('Weird-Prefix; DROP');
    try {
      expect(new URL(db.url).pathname).toMatch(/^\/weird_prefix__drop_[0-9a-f]{12}$/);
    } finally {
      await db.drop();
    }
  });
});

describe('real Redis', () => {
  it('requireRedis pings the server', async () => {
    await expect(requireRedis()).resolves.toBeUndefined();
    const redis = new Redis(REDIS_URL);
    try {
      const key = `incident-bot-test:${process.pid}:${Date.now()}`;
      await redis.set(key, 'v', 'EX', 10);
      expect(await redis.get(key)).toBe('v');
      await redis.del(key);
    } finally {
      redis.disconnect();
    }
  });

  it('explains how to start Redis when it is not answering', async () => {
    jest.resetModules();
    const saved = process.env.TEST_REDIS_URL;
    process.env.TEST_REDIS_URL = 'redis://127.0.0.1:1';
    try {
      const mod = (await import('../support/services')) as typeof import('../support/services');
      await expect(mod.requireRedis()).rejects.toThrow(/Redis is not answering on 127\.0\.0\.1:1 .*scripts\/start-services\.sh/);
    } finally {
      if (saved === undefined) delete process.env.TEST_REDIS_URL;
      else process.env.TEST_REDIS_URL = saved;
      jest.resetModules();
    }
  });

  it('explains how to start PostgreSQL when it is not answering', async () => {
    jest.resetModules();
    const saved = process.env.TEST_POSTGRES_URL;
    process.env.TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:1/postgres';
    try {
      const mod = (await import('../support/services')) as typeof import('../support/services');
      await expect(mod.createTestDatabase('x')).rejects.toThrow(
        /PostgreSQL is not answering on 127\.0\.0\.1:1 .*scripts\/start-services\.sh/,
      );
    } finally {
      if (saved === undefined) delete process.env.TEST_POSTGRES_URL;
      else process.env.TEST_POSTGRES_URL = saved;
      jest.resetModules();
    }
  });
});
