import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { redisDeleteKeys as action } from '../../src/remediations/redis-delete-keys';
import type { Database } from '../../src/store/database';
import { createMigratedDatabase } from '../support/migrated-database';
import { REDIS_URL, requireRedis } from '../support/services';
import { actionContext, makeService, target } from './harness';

const prefix = `ibt-rem-${randomBytes(4).toString('hex')}:`;
let redis: Redis;
let db: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  await requireRedis();
  redis = new Redis(REDIS_URL);
  ({ db, drop } = await createMigratedDatabase('remediation_redis'));
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await drop();
});

const redisTarget = target(
  'memory-redis',
  'redis',
  { url: REDIS_URL },
  { labels: { agent: { pattern: '[A-Za-z0-9][A-Za-z0-9_.-]{0,63}' } } },
);

describe('redis.delete-keys against real Redis', () => {
  it("deletes the stuck agent's stream and counter through the approval flow; other agents' keys stay", async () => {
    await redis.xadd(`${prefix}agent:agent-7:events`, '*', 'tool', 'bash');
    await redis.set(`${prefix}stream:stuck:agent-7`, '4');
    await redis.xadd(`${prefix}agent:agent-70:events`, '*', 'tool', 'bash');
    await redis.set(`${prefix}stream:stuck:agent-8`, '1');
    const declaration = {
      id: 'clear-agent-stream',
      kind: 'redis.delete-keys',
      title: "Clear the stuck agent's stream and counter",
      risk: 'medium',
      target: 'memory-redis',
      params: { keys: [`${prefix}agent:{{agent}}:events`, `${prefix}stream:stuck:{{agent}}`] },
    };
    const { service } = makeService(db, { targets: { 'memory-redis': redisTarget } });
    const r = await service.request({ declaration, labels: { agent: 'agent-7' }, requestedBy: 'U0ALICE' });
    if (r.kind !== 'created') throw new Error(JSON.stringify(r));
    expect(r.request.preview.items).toEqual([
      `${prefix}agent:agent-7:events (stream, 1 entries)`,
      `${prefix}stream:stuck:agent-7 (string, value "4")`,
    ]);
    const a = await service.approve(r.request.id, 'U0BOB');
    expect(a).toMatchObject({ kind: 'ran', outcome: 'succeeded', verification: { status: 'passed' } });
    expect(await redis.exists(`${prefix}agent:agent-7:events`, `${prefix}stream:stuck:agent-7`)).toBe(0);
    expect(await redis.exists(`${prefix}agent:agent-70:events`, `${prefix}stream:stuck:agent-8`)).toBe(2);
  });

  it('deletes only the keys the preview listed, matches label values literally in patterns, and refuses broad patterns', async () => {
    await redis.set(`${prefix}agent:a1:x`, '1');
    await redis.set(`${prefix}agent:a1:y`, '1');
    await redis.set(`${prefix}agent:a1x:z`, '1');
    const params = action.params.parse({ patterns: [`${prefix}agent:{{agent}}:*`] });
    const ctx = actionContext(redisTarget, { agent: 'a1' });
    const preview = await action.preview(params, ctx);
    expect(preview.data.map((k) => k.key)).toEqual([`${prefix}agent:a1:x`, `${prefix}agent:a1:y`]);
    await redis.set(`${prefix}agent:a1:late`, '1');
    const result = await action.execute(params, preview, ctx);
    expect(result.summary).toBe('deleted 2 of 2 keys');
    expect(await action.verify(params, preview, result, ctx)).toMatchObject({ status: 'passed' });
    expect(await redis.exists(`${prefix}agent:a1:late`, `${prefix}agent:a1x:z`)).toBe(2);

    for (const pattern of ['*', `${prefix}agent:*`, `${prefix}agent:*:events`, '*{{agent}}', `${prefix}*:{{agent}}`]) {
      expect(action.params.safeParse({ patterns: [pattern] }).success).toBe(false);
    }
    // glob characters in a label value cannot widen a pattern: such a value never reaches the action
    const { service } = makeService(db, { targets: { 'memory-redis': redisTarget } });
    await expect(
      service.request({
        declaration: {
          action: 'redis.delete-keys',
          title: 'x',
          risk: 'low',
          target: 'memory-redis',
          params: { patterns: [`${prefix}agent:{{agent}}:*`] },
        },
        labels: { agent: '*' },
        requestedBy: 'U1',
      }),
    ).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('answers nothing_to_do when no key exists', async () => {
    const { service } = makeService(db, { targets: { 'memory-redis': redisTarget } });
    const r = await service.request({
      declaration: {
        action: 'redis.delete-keys',
        title: 'x',
        risk: 'low',
        target: 'memory-redis',
        params: { keys: [`${prefix}stream:stuck:{{agent}}`] },
      },
      labels: { agent: 'nobody' },
      requestedBy: 'U1',
    });
    expect(r).toMatchObject({ kind: 'nothing_to_do' });
  });
});
