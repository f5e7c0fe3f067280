import type Redis from 'ioredis';
import { z } from 'zod';
import { TargetUnreachable } from '../targets/http-connector';
import { renderRedisPattern } from '../targets/params-template';
import { isRedisConnectionLost, isRedisReplyError, withRedis } from '../targets/redis-connector';
import { round } from './prometheus';
import { statusFor, thresholdString, worst } from './threshold';
import type { Figure, Probe, ProbeContext, ProbeOutcome, ProbeStatus } from './types';

const CHECKS = ['ping', 'memory', 'streams', 'counters'] as const;

export const redisParams = z
  .object({
    checks: z.array(z.enum(CHECKS)).min(1).default(['ping']),
    /** memory: thresholds on used_memory / maxmemory (0–1; skipped when maxmemory is 0). */
    memoryWarn: thresholdString.default('>= 0.85'),
    memoryCrit: thresholdString.default('>= 0.95'),
    /** streams: SCAN MATCH pattern (`agent:*:events`, `agent:{{agent}}:events`); label values match literally. */
    streamPattern: z.string().default('agent:*:events'),
    streamLengthWarn: thresholdString.optional(),
    streamLengthCrit: thresholdString.optional(),
    /** counters: SCAN MATCH pattern for integer counters (`stream:stuck:*`, `stream:stuck:{{agent}}`). */
    counterPattern: z.string().default('stream:stuck:*'),
    counterWarn: thresholdString.default('> 0'),
    counterCrit: thresholdString.optional(),
    /** Stop scanning after this many keys (SCAN, never KEYS). */
    maxKeys: z.number().int().min(1).max(10_000).default(200),
  })
  .strict();

export type RedisParams = z.output<typeof redisParams>;

interface CheckOutcome {
  status: ProbeStatus;
  note?: string;
  figures: Figure[];
  raw?: unknown;
  command: string;
}

async function scanKeys(redis: Redis, pattern: string, max: number, signal: AbortSignal): Promise<{ keys: string[]; truncated: boolean }> {
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 100);
    for (const k of batch) keys.add(k);
    cursor = next;
  } while (cursor !== '0' && keys.size < max && !signal.aborted);
  return { keys: [...keys].sort().slice(0, max), truncated: cursor !== '0' };
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export const redisProbe: Probe<RedisParams> = {
  kind: 'redis',
  targetKind: 'redis',
  params: redisParams,
  async run(params, ctx): Promise<ProbeOutcome> {
    const url = ctx.target?.values.url as string;
    const session = {
      connectionName: 'incident-bot-probe',
      signal: ctx.signal,
      connectTimeoutMs: Math.min(2000, ctx.timeoutMs),
      commandTimeoutMs: ctx.timeoutMs,
    };
    try {
      return await withRedis(url, session, (redis) => runChecks(params, redis, ctx));
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      if (err instanceof TargetUnreachable)
        return { kind: 'redis', status: 'crit', summary: `Redis unreachable: ${err.message}`, figures: [], evidence: { query: 'PING' } };
      const msg = (err as Error).message ?? '';
      if (isRedisConnectionLost(err))
        return { kind: 'redis', status: 'crit', summary: `Redis connection lost: ${msg}`, figures: [], evidence: {} };
      if (isRedisReplyError(err))
        return { kind: 'redis', status: 'unknown', summary: `Redis refused the command: ${msg}`, figures: [], evidence: {} };
      throw err;
    }
  },
};

async function checkPing(redis: Redis): Promise<CheckOutcome> {
  const t = performance.now();
  const pong = await redis.ping();
  const ms = Math.round(performance.now() - t);
  return { status: pong === 'PONG' ? 'ok' : 'crit', figures: [{ label: 'ping', value: ms, unit: 'ms' }], command: 'PING' };
}

async function checkMemory(redis: Redis, p: RedisParams): Promise<CheckOutcome> {
  const info = parseInfo(await redis.info('memory'));
  const used = Number(info.used_memory ?? NaN);
  const max = Number(info.maxmemory ?? 0);
  const ratio = max > 0 ? used / max : NaN;
  const status = max > 0 ? statusFor(ratio, p.memoryWarn, p.memoryCrit) : 'ok';
  return {
    status,
    note: status === 'ok' ? undefined : `memory at ${round(ratio * 100)}% of maxmemory`,
    figures: [
      { label: 'used memory', value: info.used_memory_human ?? String(used) },
      { label: 'maxmemory', value: max > 0 ? (info.maxmemory_human ?? String(max)) : 'unlimited' },
    ],
    raw: { used_memory: used, maxmemory: max, fragmentation: info.mem_fragmentation_ratio },
    command: 'INFO memory',
  };
}

async function checkStreams(redis: Redis, p: RedisParams, ctx: ProbeContext): Promise<CheckOutcome> {
  const pattern = renderRedisPattern(p.streamPattern, ctx.labels);
  const { keys, truncated } = await scanKeys(redis, pattern, p.maxKeys, ctx.signal);
  const lengths: { key: string; length: number }[] = [];
  if (keys.length) {
    const pipe = redis.pipeline();
    for (const k of keys) pipe.type(k);
    const types = ((await pipe.exec()) ?? []).map(([, t]) => t);
    const streamKeys = keys.filter((_, i) => types[i] === 'stream');
    if (streamKeys.length) {
      const p2 = redis.pipeline();
      for (const k of streamKeys) p2.xlen(k);
      const lens = (await p2.exec()) ?? [];
      streamKeys.forEach((k, i) => lengths.push({ key: k, length: Number(lens[i]?.[1] ?? 0) }));
    }
  }
  lengths.sort((a, b) => b.length - a.length);
  const longest = lengths[0]?.length ?? 0;
  const status = statusFor(longest, p.streamLengthWarn, p.streamLengthCrit);
  return {
    status,
    note: status === 'ok' ? undefined : `${lengths[0]?.key} has ${longest} entries`,
    figures: [
      { label: `streams ${pattern}`, value: `${lengths.length}${truncated ? '+' : ''}` },
      ...lengths.slice(0, 3).map((l) => ({ label: l.key, value: l.length })),
    ],
    raw: { pattern, streams: lengths.slice(0, 50), truncated },
    command: `SCAN 0 MATCH ${pattern} + XLEN`,
  };
}

async function checkCounters(redis: Redis, p: RedisParams, ctx: ProbeContext): Promise<CheckOutcome> {
  const pattern = renderRedisPattern(p.counterPattern, ctx.labels);
  const { keys, truncated } = await scanKeys(redis, pattern, p.maxKeys, ctx.signal);
  const counters: { key: string; value: number }[] = [];
  if (keys.length) {
    const pipe = redis.pipeline();
    for (const k of keys) pipe.type(k);
    const types = ((await pipe.exec()) ?? []).map(([, t]) => t);
    const strings = keys.filter((_, i) => types[i] === 'string');
    if (strings.length) {
      const values = await redis.mget(...strings);
      strings.forEach((k, i) => {
        const n = Number(values[i]);
        if (Number.isFinite(n)) counters.push({ key: k, value: n });
      });
    }
  }
  counters.sort((a, b) => b.value - a.value);
  const statuses = counters.map((c) => statusFor(c.value, p.counterWarn, p.counterCrit));
  const status = worst(statuses);
  const hot = counters.filter((_, i) => statuses[i] !== 'ok');
  return {
    status,
    note: hot.length
      ? `${hot.length} counter${hot.length === 1 ? '' : 's'} set: ${hot
          .slice(0, 5)
          .map((c) => `${c.key}=${c.value}`)
          .join(', ')}`
      : undefined,
    figures: [
      { label: `counters ${pattern}`, value: `${counters.length}${truncated ? '+' : ''}` },
      ...counters.slice(0, 3).map((c) => ({ label: c.key, value: c.value })),
    ],
    raw: { pattern, counters: counters.slice(0, 50), truncated },
    command: `SCAN 0 MATCH ${pattern} + MGET`,
  };
}

const CHECK_RUNNERS: Record<(typeof CHECKS)[number], (redis: Redis, p: RedisParams, ctx: ProbeContext) => Promise<CheckOutcome>> = {
  ping: checkPing,
  memory: checkMemory,
  streams: checkStreams,
  counters: checkCounters,
};

async function runChecks(params: RedisParams, redis: Redis, ctx: ProbeContext): Promise<ProbeOutcome> {
  const outcomes: CheckOutcome[] = [];
  for (const check of params.checks) {
    if (ctx.signal.aborted) break;
    outcomes.push(await CHECK_RUNNERS[check](redis, params, ctx));
  }
  const status = worst(outcomes.map((o) => o.status));
  const notes = outcomes.map((o) => o.note).filter((n): n is string => !!n);
  return {
    kind: 'redis',
    status,
    summary: notes.length ? notes.join('; ') : `${params.checks.join(', ')}: ok`,
    figures: outcomes.flatMap((o) => o.figures),
    evidence: { query: outcomes.map((o) => o.command).join('; '), raw: outcomes.map((o) => o.raw).filter(Boolean) },
  };
}
