import { createHmac, randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import pino from 'pino';
import type { Coordination } from '../../src/coordination/coordination';
import { createMemoryCoordination } from '../../src/coordination/memory-coordination';
import { createRedisCoordination } from '../../src/coordination/redis-coordination';
import { createReplayGuard, REPLAY_WINDOW_MS, type ReplayGuard } from '../../src/coordination/replay-guard';
import type { Database } from '../../src/store/database';
import { createProcessedEventStore } from '../../src/store/processed-event-store';
import { freePort, REDIS_URL, requireRedis } from '../support/services';
import { createMigratedDatabase } from '../support/migrated-database';

const silent = pino({ level: 'silent' });

let db: Database;
let drop: () => Promise<void>;
const prefix = `ib-test:${randomBytes(4).toString('hex')}:`;
const opened: Coordination[] = [];

beforeAll(async () => {
  await requireRedis();
  ({ db, drop } = await createMigratedDatabase('replay_guard'));
}, 90_000);

afterAll(async () => {
  for (const c of opened) await c.close();
  const r = new Redis(REDIS_URL);
  const keys = await r.keys(`${prefix}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  await drop();
});

/** A Slack signature as Slack computes it: v0= and the HMAC-SHA256 of a request. */
const signature = () => `v0=${createHmac('sha256', 'secret').update(randomBytes(16)).digest('hex')}`;

const guardOver = (coordination: Coordination, singleProcess = false): ReplayGuard =>
  createReplayGuard({
    coordination,
    durable: createProcessedEventStore(db),
    writeBehindMs: 20,
    singleProcess,
    logger: silent,
  });

const redisGuard = async (url = REDIS_URL): Promise<ReplayGuard> => {
  const c = createRedisCoordination({ url, prefix, commandTimeoutMs: 300 });
  opened.push(c);
  return guardOver(c);
};

const recorded = async (sig: string): Promise<boolean> =>
  (await db.query('SELECT 1 FROM processed_events WHERE event_id = $1', [`sig:${sig}`])).rows.length === 1;

async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe('replay guard', () => {
  it('accepts each signature once across two replicas sharing Redis, the same signature arriving at both at once', async () => {
    const coordinations = [0, 1].map(() => createRedisCoordination({ url: REDIS_URL, prefix, commandTimeoutMs: 300 }));
    opened.push(...coordinations);
    const [a, b] = coordinations.map((c) => guardOver(c));
    const race = async () => {
      const sigs = Array.from({ length: 40 }, signature);
      const answers = await Promise.all(sigs.flatMap((s) => [a!.isFirst(s), b!.isFirst(s)]));
      for (let i = 0; i < sigs.length; i++) expect([answers[2 * i], answers[2 * i + 1]].filter(Boolean)).toHaveLength(1);
      expect(await a!.isFirst(sigs[0]!)).toBe(false);
      // PostgreSQL keeps every accepted signature, whichever store decided.
      for (const s of sigs) expect(await eventually(() => recorded(s))).toBe(true);
    };
    // Before the replicas know how long Redis has kept its keys (PostgreSQL has the last word), then after.
    await race();
    expect(await eventually(async () => coordinations.every((c) => c.keptForMs() > 0))).toBe(true);
    await race();
  }, 30_000);

  it('accepts each signature once when its copies land in different batches of one replica', async () => {
    const guard = await redisGuard();
    const sigs = Array.from({ length: 30 }, signature);
    const pending: Promise<boolean>[][] = sigs.map(() => []);
    // Five copies of each, sent a few ms apart without waiting for the answers: they fill several batches in flight.
    for (let copy = 0; copy < 5; copy++) {
      sigs.forEach((s, i) => pending[i]!.push(guard.isFirst(s)));
      await new Promise((r) => setTimeout(r, 3));
    }
    for (const answers of pending) expect((await Promise.all(answers)).filter(Boolean)).toHaveLength(1);
  });

  it('lets PostgreSQL decide when Redis cannot answer: a signature accepted while Redis was up is still refused', async () => {
    const up = await redisGuard();
    const sig = signature();
    expect(await up.isFirst(sig)).toBe(true);
    expect(await eventually(() => recorded(sig))).toBe(true);

    const down = await redisGuard(`redis://127.0.0.1:${await freePort()}`);
    expect(await down.isFirst(sig)).toBe(false);
    const fresh = signature();
    expect(await down.isFirst(fresh)).toBe(true);
    expect(await down.isFirst(fresh)).toBe(false);
    expect(await recorded(fresh)).toBe(true);
  }, 30_000);

  it('with PostgreSQL and no Redis, refuses on one replica what another accepted (in-process claims do not decide)', async () => {
    const a = guardOver(createMemoryCoordination());
    const b = guardOver(createMemoryCoordination());
    const sig = signature();
    expect(await a.isFirst(sig)).toBe(true);
    expect(await b.isFirst(sig)).toBe(false);
  });

  it('after a restart of a single-process bot, refuses a signature accepted before it (the new in-process store is empty)', async () => {
    const before = guardOver(createMemoryCoordination(), true);
    const sig = signature();
    expect(await before.isFirst(sig)).toBe(true);
    expect(await eventually(() => recorded(sig))).toBe(true);
    const after = guardOver(createMemoryCoordination(), true);
    expect(await after.isFirst(sig)).toBe(false);
    expect(await after.isFirst(signature())).toBe(true);
  });

  it('on close, records in PostgreSQL the signatures Redis accepted that were still waiting to be written', async () => {
    const redis = createRedisCoordination({ url: REDIS_URL, prefix, commandTimeoutMs: 300 });
    opened.push(redis);
    // A Redis server up for the whole replay window decides alone, and PostgreSQL is written behind the answers.
    const keptLongEnough: Coordination = { ...redis, keptForMs: () => REPLAY_WINDOW_MS };
    const guard = createReplayGuard({
      coordination: keptLongEnough,
      durable: createProcessedEventStore(db),
      writeBehindMs: 60_000,
      singleProcess: false,
      logger: silent,
    });
    const sigs = Array.from({ length: 5 }, signature);
    for (const s of sigs) expect(await guard.isFirst(s)).toBe(true);
    expect(await recorded(sigs[0]!)).toBe(false);
    await guard.close();
    for (const s of sigs) expect(await recorded(s)).toBe(true);
    // A request still running at close is recorded at once, not by a timer that is gone (60 s here).
    const late = signature();
    expect(await guard.isFirst(late)).toBe(true);
    expect(await eventually(() => recorded(late), 2_000)).toBe(true);
    // A replica that has to ask PostgreSQL (its Redis restarted) now refuses them.
    const after = guardOver(createMemoryCoordination());
    for (const s of [...sigs, late]) expect(await after.isFirst(s)).toBe(false);
  });

  it('checks a signature that is not a Slack v0 signature against PostgreSQL only', async () => {
    const c = createMemoryCoordination();
    const guard = guardOver(c, true);
    expect(await guard.isFirst('v1=not-a-slack-signature')).toBe(true);
    expect(await guard.isFirst('v1=not-a-slack-signature')).toBe(false);
    expect(await recorded('v1=not-a-slack-signature')).toBe(true);
  });
});
