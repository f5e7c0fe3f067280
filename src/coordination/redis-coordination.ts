import { randomUUID } from 'node:crypto';
import { checkKey, type Coordination, type Lock, type SharedRecord } from './coordination';

const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

const CLAIM_MANY = `
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('set', key, '1', 'PX', tonumber(ARGV[1]), 'NX') and 1 or 0
end
return out`;

// Uses the server's clock so every replica sees the same schedule.
const RESERVE_RATE = `
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local next = tonumber(redis.call('get', KEYS[1]) or '0')
local slot = math.max(now, next)
redis.call('set', KEYS[1], slot + tonumber(ARGV[1]), 'PX', tonumber(ARGV[1]) * 100 + 60000)
return slot - now`;

const ARE_CLAIMED = `
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('exists', key) end
return out`;

// The server's clock again: the window is the same for every replica.
const COUNT_IN_WINDOW = `
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('zremrangebyscore', KEYS[1], '-inf', now - window)
for i = 2, #ARGV do redis.call('zadd', KEYS[1], now, ARGV[i]) end
redis.call('pexpire', KEYS[1], window)
return redis.call('zcard', KEYS[1])`;

const UPDATE_RECORD = `
if ARGV[3] == '0' and redis.call('exists', KEYS[1]) == 0 then return false end
local change = cjson.decode(ARGV[1])
for k, v in pairs(change.setIfAbsent) do redis.call('hsetnx', KEYS[1], k, v) end
for k, v in pairs(change.set) do redis.call('hset', KEYS[1], k, v) end
for k, v in pairs(change.increment) do redis.call('hincrby', KEYS[1], k, v) end
redis.call('pexpire', KEYS[1], tonumber(ARGV[2]))
return redis.call('hgetall', KEYS[1])`;

const DELETE_RECORD_IF = `
if redis.call('hget', KEYS[1], ARGV[1]) ~= ARGV[2] then return false end
local fields = redis.call('hgetall', KEYS[1])
redis.call('del', KEYS[1])
return fields`;

/** HGETALL's flat [field, value, …] as a record; null for an empty or absent one. */
function toRecord(flat: unknown): SharedRecord | null {
  if (!Array.isArray(flat) || flat.length === 0) return null;
  const out: SharedRecord = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

export interface RedisCoordinationOptions {
  url: string;
  /** Prefix for every key, so tests and deployments can share a server. */
  prefix?: string;
  /** How long a command may wait for a reconnecting server before failing (fail fast, fail closed). */
  commandTimeoutMs?: number;
}

export function createRedisCoordination(opts: RedisCoordinationOptions): Coordination {
  const prefix = opts.prefix ?? 'incident-bot:';
  // Only a deployment with REDIS_URL loads ioredis; a single replica never does.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Redis = require('ioredis') as typeof import('ioredis').default;
  const redis = new Redis(opts.url, {
    lazyConnect: false,
    // Commands issued while (re)connecting wait in the queue, but never longer than commandTimeout.
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    commandTimeout: opts.commandTimeoutMs ?? 1_000,
    connectTimeout: 2_000,
    // Keep reconnecting for as long as the process lives: Redis coming back must need no restart.
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  // Connection errors surface as failed commands; an unhandled 'error' event would crash the process.
  redis.on('error', () => undefined);
  // The server's own uptime, read on every (re)connection: a server that restarted (or was replaced) since a key
  // was set may have lost it. Unknown, and so 0, until the server has said.
  let keptSince: number | undefined;
  redis.on('close', () => (keptSince = undefined));
  redis.on('ready', () => {
    redis.info('server').then(
      (info) => {
        const uptime = /^uptime_in_seconds:(\d+)/m.exec(info)?.[1];
        if (uptime !== undefined && redis.status === 'ready') keptSince = performance.now() - Number(uptime) * 1000;
      },
      () => undefined,
    );
  });
  const k = (key: string) => prefix + checkKey(key);
  // Sent as EVALSHA (the script itself only when the server does not know it yet): every Slack request's replay
  // claim goes through here, so each batch writes its keys and not the script again.
  redis.defineCommand('incidentBotClaimMany', { lua: CLAIM_MANY });
  const claimManyScript = (redis as unknown as { incidentBotClaimMany(...args: (string | number)[]): Promise<number[]> })
    .incidentBotClaimMany;

  return {
    kind: 'redis',
    claim: async (key, ttlMs) => (await redis.set(k(key), '1', 'PX', ttlMs, 'NX')) === 'OK',
    claimMany: async (keys, ttlMs) => {
      if (keys.length === 0) return [];
      const full = keys.map(k);
      const got = await claimManyScript.call(redis, full.length, ...full, ttlMs);
      return got.map((x) => x === 1);
    },
    acquireLock: async (key, ttlMs): Promise<Lock | null> => {
      const token = randomUUID();
      const full = k(key);
      if ((await redis.set(full, token, 'PX', ttlMs, 'NX')) !== 'OK') return null;
      return {
        release: async () => {
          await redis.eval(RELEASE_LOCK, 1, full, token);
        },
      };
    },
    reserveRate: async (bucket, perSecond) => {
      const wait = await redis.eval(RESERVE_RATE, 1, k(`rate:${bucket}`), Math.ceil(1000 / perSecond));
      return Number(wait);
    },
    areClaimed: async (keys) => {
      if (keys.length === 0) return [];
      const full = keys.map(k);
      return ((await redis.eval(ARE_CLAIMED, full.length, ...full)) as number[]).map((x) => x === 1);
    },
    countInWindow: async (key, members, windowMs) => Number(await redis.eval(COUNT_IN_WINDOW, 1, k(key), windowMs, ...members)),
    updateRecord: async (key, change, opts) => {
      // Always objects (an empty Lua table would encode as an array): cjson decodes them as tables either way.
      const body = JSON.stringify({ setIfAbsent: change.setIfAbsent ?? {}, set: change.set ?? {}, increment: change.increment ?? {} });
      return toRecord(await redis.eval(UPDATE_RECORD, 1, k(key), body, opts.ttlMs, opts.create ? '1' : '0'));
    },
    readRecord: async (key) => toRecord(await redis.hgetall(k(key)).then((h) => Object.entries(h).flat())),
    deleteRecordIf: async (key, field, value) => toRecord(await redis.eval(DELETE_RECORD_IF, 1, k(key), field, value)),
    keptForMs: () => (keptSince === undefined ? 0 : performance.now() - keptSince),
    ping: async () => {
      await redis.ping();
    },
    close: async () => {
      redis.disconnect();
    },
  };
}
