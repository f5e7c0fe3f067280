import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { Coordination } from '../../src/coordination/coordination';
import { createMemoryCoordination } from '../../src/coordination/memory-coordination';
import { createRedisCoordination } from '../../src/coordination/redis-coordination';
import { REDIS_URL, requireRedis } from '../support/services';

// The same contract for both implementations: what one promises, the other keeps.
type Factory = { name: string; make(): Promise<{ c: Coordination; cleanup(): Promise<void> }> };

const factories: Factory[] = [
  { name: 'memory', make: async () => ({ c: createMemoryCoordination(), cleanup: async () => undefined }) },
  {
    name: 'redis',
    make: async () => {
      await requireRedis();
      const prefix = `ib-test:${randomBytes(4).toString('hex')}:`;
      const c = createRedisCoordination({ url: REDIS_URL, prefix });
      return {
        c,
        cleanup: async () => {
          await c.close();
          const r = new Redis(REDIS_URL);
          let cursor = '0';
          do {
            const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 100);
            if (keys.length) await r.del(...keys);
            cursor = next;
          } while (cursor !== '0');
          r.disconnect();
        },
      };
    },
  },
];

describe.each(factories)('$name coordination', ({ make }) => {
  let c: Coordination;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ c, cleanup } = await make());
  });
  afterEach(async () => cleanup());

  it('claims a key exactly once among concurrent callers', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => c.claim('event:Ev1', 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await c.claim('event:Ev2', 60_000)).toBe(true);
  });

  it('claims many keys in one call, each exactly once, a key twice in one call only in its first place', async () => {
    expect(await c.claim('many:b', 60_000)).toBe(true);
    expect(await c.claimMany(['many:a', 'many:b', 'many:a', 'many:c'], 60_000)).toEqual([true, false, false, true]);
    expect(await c.claimMany([], 60_000)).toEqual([]);
    expect(await c.claim('many:c', 60_000)).toBe(false);
    await expect(c.claimMany(['many:d', 'bad key*'], 60_000)).rejects.toThrow(/refused coordination key/);
  });

  it('says how long it has kept its keys (Redis: as long as the server has been up, once it has said)', async () => {
    await c.claim('kept:a', 60_000);
    const deadline = Date.now() + 2_000;
    while (c.keptForMs() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const kept = c.keptForMs();
    expect(kept).toBeGreaterThan(0);
    if (c.kind === 'redis') {
      const r = new Redis(REDIS_URL);
      const uptime = Number(/uptime_in_seconds:(\d+)/.exec(await r.info('server'))?.[1]);
      r.disconnect();
      expect(Math.abs(kept - uptime * 1000)).toBeLessThan(2_000);
    }
  });

  it('lets a claim be taken again after its ttl', async () => {
    expect(await c.claim('short', 30)).toBe(true);
    await new Promise((r) => setTimeout(r, 60));
    expect(await c.claim('short', 30)).toBe(true);
  });

  it('gives a lock to one holder until it is released', async () => {
    const first = await c.acquireLock('lock:a', 10_000);
    expect(first).not.toBeNull();
    expect(await c.acquireLock('lock:a', 10_000)).toBeNull();
    await first!.release();
    const again = await c.acquireLock('lock:a', 10_000);
    expect(again).not.toBeNull();
    await again!.release();
  });

  it('does not let a stale holder release a lock someone else now holds', async () => {
    const stale = await c.acquireLock('lock:b', 30);
    await new Promise((r) => setTimeout(r, 60));
    const current = await c.acquireLock('lock:b', 10_000);
    expect(current).not.toBeNull();
    await stale!.release();
    expect(await c.acquireLock('lock:b', 10_000)).toBeNull();
  });

  it('spaces reservations of a rate budget by 1/rate', async () => {
    const waits = [];
    for (let i = 0; i < 4; i++) waits.push(await c.reserveRate('channel:C1', 2));
    expect(waits[0]).toBeLessThanOrEqual(5);
    // Each next slot is 500 ms after the previous one (allowing a little clock movement between calls).
    for (let i = 1; i < 4; i++) expect(waits[i]! - waits[i - 1]!).toBeGreaterThan(450);
    expect(await c.reserveRate('channel:C2', 2)).toBeLessThanOrEqual(5);
  });

  it('says which keys are claimed', async () => {
    await c.claimMany(['took:1', 'took:3'], 60_000);
    expect(await c.areClaimed(['took:1', 'took:2', 'took:3'])).toEqual([true, false, true]);
    expect(await c.areClaimed([])).toEqual([]);
  });

  it('counts members added to a sliding window, each once, forgetting those older than the window', async () => {
    expect(await c.countInWindow('window:C1', ['1', '2'], 60_000)).toBe(2);
    expect(await c.countInWindow('window:C1', ['3', '2'], 60_000)).toBe(3);
    expect(await c.countInWindow('window:C2', ['1'], 60_000)).toBe(1);
    expect(await c.countInWindow('window:C3', ['1'], 40)).toBe(1);
    await new Promise((r) => setTimeout(r, 80));
    expect(await c.countInWindow('window:C3', ['2'], 40)).toBe(1);
  });

  it('changes a shared record in one step: set if absent, set, increment; only creates it when asked', async () => {
    expect(await c.updateRecord('record:a', { set: { x: '1' } }, { ttlMs: 60_000, create: false })).toBeNull();
    expect(await c.readRecord('record:a')).toBeNull();
    const change = { setIfAbsent: { startedAt: '100' }, set: { lastAt: '100' }, increment: { total: 2, 'n|P1|Disk full': 1 } };
    expect(await c.updateRecord('record:a', change, { ttlMs: 60_000, create: true })).toEqual({
      startedAt: '100',
      lastAt: '100',
      total: '2',
      'n|P1|Disk full': '1',
    });
    const again = { setIfAbsent: { startedAt: '200' }, set: { lastAt: '200' }, increment: { total: 3 } };
    expect(await c.updateRecord('record:a', again, { ttlMs: 60_000, create: false })).toMatchObject({
      startedAt: '100',
      lastAt: '200',
      total: '5',
    });
    // Concurrent increments are all counted.
    await Promise.all(
      Array.from({ length: 10 }, () => c.updateRecord('record:a', { increment: { total: 1 } }, { ttlMs: 60_000, create: false })),
    );
    expect(await c.readRecord('record:a')).toMatchObject({ total: '15' });
  });

  it('deletes a record only while a field still holds the value seen, returning it as it was', async () => {
    await c.updateRecord('record:b', { set: { lastAt: '1', total: '4' } }, { ttlMs: 60_000, create: true });
    expect(await c.deleteRecordIf('record:b', 'lastAt', '0')).toBeNull();
    expect(await c.deleteRecordIf('record:b', 'lastAt', '1')).toEqual({ lastAt: '1', total: '4' });
    expect(await c.readRecord('record:b')).toBeNull();
    expect(await c.deleteRecordIf('record:b', 'lastAt', '1')).toBeNull();
  });

  it('forgets a record its ttl after the last change', async () => {
    await c.updateRecord('record:c', { set: { a: '1' } }, { ttlMs: 40, create: true });
    await new Promise((r) => setTimeout(r, 80));
    expect(await c.readRecord('record:c')).toBeNull();
  });

  it('refuses keys that are not plain identifiers', async () => {
    await expect(c.claim('event:*', 1000)).rejects.toThrow(/refused coordination key/);
    await expect(c.claim('a b', 1000)).rejects.toThrow(/refused coordination key/);
  });
});
