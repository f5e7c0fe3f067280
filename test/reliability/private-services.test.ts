import { Client } from 'pg';
import Redis from 'ioredis';
import { startPrivatePostgres, startPrivateRedis } from '../support/private-services';

describe('private servers for fault injection', () => {
  it('a private PostgreSQL can be stopped and started again', async () => {
    const pg = await startPrivatePostgres();
    try {
      const query = async () => {
        const c = new Client({ connectionString: pg.url, connectionTimeoutMillis: 2000 });
        await c.connect();
        try {
          return (await c.query('SELECT 1 AS one')).rows[0];
        } finally {
          await c.end();
        }
      };
      expect(await query()).toEqual({ one: 1 });
      await pg.stop();
      await expect(query()).rejects.toThrow(/ECONNREFUSED|connect/);
      await pg.start();
      expect(await query()).toEqual({ one: 1 });
    } finally {
      await pg.destroy();
    }
  }, 60_000);

  it('a private Redis can be killed and restarted', async () => {
    const r = await startPrivateRedis();
    const client = new Redis(r.url, { maxRetriesPerRequest: 0, retryStrategy: () => 100, lazyConnect: true });
    client.on('error', () => undefined);
    try {
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      await r.kill();
      await expect(client.ping()).rejects.toThrow();
      await r.restart();
      await new Promise<void>((resolve) => client.once('ready', () => resolve()));
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
      await r.destroy();
    }
  }, 30_000);
});
