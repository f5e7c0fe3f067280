import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { redisProbe } from '../../src/probes/redis';
import { REDIS_URL, requireRedis } from '../support/services';
import { runProbe } from './probe-harness';

// A key prefix per test file keeps parallel test files apart on the shared server.
const P = `ibt-redis-probe-${randomBytes(4).toString('hex')}:`;
let redis: Redis;

beforeAll(async () => {
  await requireRedis();
  redis = new Redis(REDIS_URL);
  for (let i = 0; i < 5; i++) await redis.xadd(`${P}agent:agent-7:events`, '*', 'tool', `t${i}`);
  await redis.xadd(`${P}agent:agent-8:events`, '*', 'tool', 'x');
  await redis.set(`${P}agent:agent-9:events`, 'not a stream');
  await redis.set(`${P}stream:stuck:agent-7`, '3');
  await redis.set(`${P}stream:stuck:agent-8`, '0');
  // a key that a glob in a label would match, if label values were not literal
  await redis.set(`${P}stream:stuck:agentX7`, '9');
});

afterAll(async () => {
  const keys = await redis.keys(`${P}*`); // test cleanup only; the probe itself uses SCAN
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('redis probe against a real server', () => {
  it('ping and INFO memory', async () => {
    const r = await runProbe(redisProbe, { checks: ['ping', 'memory'] }, { target: { url: REDIS_URL } });
    expect(r.status).toBe('ok');
    expect(r.figures.map((f) => f.label)).toEqual(['ping', 'used memory', 'maxmemory']);
  });

  it('stream lengths for a key pattern via SCAN, only streams counted', async () => {
    const r = await runProbe(
      redisProbe,
      { checks: ['streams'], streamPattern: `${P}agent:*:events`, streamLengthWarn: '>= 5' },
      { target: { url: REDIS_URL } },
    );
    expect(r.status).toBe('warn');
    expect(r.summary).toBe(`${P}agent:agent-7:events has 5 entries`);
    expect(r.figures).toEqual([
      { label: `streams ${P}agent:*:events`, value: '2' },
      { label: `${P}agent:agent-7:events`, value: 5 },
      { label: `${P}agent:agent-8:events`, value: 1 },
    ]);
  });

  it('stuck counters, for one agent given as a label', async () => {
    const all = await runProbe(redisProbe, { checks: ['counters'], counterPattern: `${P}stream:stuck:*` }, { target: { url: REDIS_URL } });
    expect(all.status).toBe('warn');
    expect(all.summary).toContain(`${P}stream:stuck:agent-7=3`);
    expect(all.summary).toContain(`${P}stream:stuck:agentX7=9`);

    const one = await runProbe(
      redisProbe,
      { checks: ['streams', 'counters'], streamPattern: `${P}agent:{{agent}}:events`, counterPattern: `${P}stream:stuck:{{agent}}` },
      { target: { url: REDIS_URL }, labels: { agent: 'agent-7' } },
    );
    expect(one.status).toBe('warn');
    expect(one.summary).toBe(`1 counter set: ${P}stream:stuck:agent-7=3`);
    expect(one.figures).toContainEqual({ label: `${P}agent:agent-7:events`, value: 5 });
  });

  it('label values never act as globs', async () => {
    const r = await runProbe(
      redisProbe,
      { checks: ['counters'], counterPattern: `${P}stream:stuck:{{agent}}` },
      { target: { url: REDIS_URL }, labels: { agent: 'agent?7' } },
    ).catch((e: Error) => e);
    expect(r).toBeInstanceOf(Error); // "?" is not a safe label value: refused before any command
    const dotted = await runProbe(
      redisProbe,
      { checks: ['counters'], counterPattern: `${P}stream:stuck:{{agent}}` },
      { target: { url: REDIS_URL }, labels: { agent: 'agent.7' } },
    );
    expect(dotted.figures[0]).toEqual({ label: `counters ${P}stream:stuck:agent.7`, value: '0' });
  });

  it('a refused connection is a critical result', async () => {
    const r = await runProbe(redisProbe, { checks: ['ping'] }, { target: { url: 'redis://:pw-s3cret@127.0.0.1:1' } });
    expect(r.status).toBe('crit');
    expect(r.summary).toMatch(/^Redis unreachable: connection refused/);
    expect(JSON.stringify(r)).not.toContain('pw-s3cret');
  });
});
