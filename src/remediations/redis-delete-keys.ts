import type Redis from 'ioredis';
import { z } from 'zod';
import { TargetUnreachable } from '../targets/http-connector';
import { placeholdersIn, redactUrl, renderPlain, renderRedisPattern } from '../targets/params-template';
import { withRedis } from '../targets/redis-connector';
import { RemediationRefused, type Remediation, type RemediationContext } from './types';

const GLOB = /(?<!\\)[*?[]/;

/**
 * Why a SCAN pattern template is too broad, or undefined. A pattern must be scoped by a label (`agent:{{agent}}:*`):
 * `*`, `agent:*` or `agent:*:events` would reach every agent's keys, and a leading wildcard matches across namespaces.
 */
export function broadPatternReason(template: string): string | undefined {
  if (!GLOB.test(template)) return undefined;
  if (placeholdersIn(template).size === 0)
    return `pattern ${JSON.stringify(template)} has a wildcard but no {{label}}: it would match keys of every agent, refused`;
  if (/^[*?[]/.test(template)) return `pattern ${JSON.stringify(template)} starts with a wildcard: refused`;
  const beforeGlob = template.slice(0, template.search(GLOB));
  if (placeholdersIn(beforeGlob).size === 0)
    return `pattern ${JSON.stringify(template)} has a wildcard before its first {{label}}: refused`;
  return undefined;
}

export const redisDeleteKeysParams = z
  .object({
    /** Exact keys (`agent:{{agent}}:events`, `stream:stuck:{{agent}}`, seed 000). */
    keys: z.array(z.string().min(1)).default([]),
    /** SCAN MATCH patterns scoped by a label (`agent:{{agent}}:*`); label values are escaped and match literally. */
    patterns: z.array(z.string().min(1)).default([]),
    /** Refuse rather than delete more than this many keys. */
    maxKeys: z.number().int().min(1).max(1000).default(50),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.keys.length + p.patterns.length === 0) ctx.addIssue({ code: 'custom', message: 'name at least one key or pattern' });
    p.keys.forEach((k, i) => {
      if (GLOB.test(k))
        ctx.addIssue({ code: 'custom', path: ['keys', i], message: 'exact keys cannot hold * ? [ (use patterns for SCAN)' });
    });
    p.patterns.forEach((t, i) => {
      const reason = broadPatternReason(t);
      if (reason) ctx.addIssue({ code: 'custom', path: ['patterns', i], message: reason });
    });
  });

export type RedisDeleteKeysParams = z.output<typeof redisDeleteKeysParams>;

export interface KeySnapshot {
  key: string;
  type: string;
}

async function withTarget<T>(ctx: RemediationContext, fn: (r: Redis) => Promise<T>): Promise<T> {
  const url = ctx.target?.values.url;
  if (!url) throw new RemediationRefused('the redis target has no url configured');
  try {
    return await withRedis(
      url,
      { connectionName: 'incident-bot-remediation', signal: ctx.signal, connectTimeoutMs: 2000, commandTimeoutMs: 5000 },
      fn,
    );
  } catch (err) {
    if (err instanceof TargetUnreachable) throw new RemediationRefused(`Redis ${redactUrl(url)}: ${err.message}`);
    throw err;
  }
}

async function describeKeys(redis: Redis, keys: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const key of keys) {
    const type = await redis.type(key);
    let size = '';
    if (type === 'stream') size = `, ${await redis.xlen(key)} entries`;
    else if (type === 'string') size = `, value ${JSON.stringify((await redis.getrange(key, 0, 40)) ?? '')}`;
    else if (type === 'list') size = `, ${await redis.llen(key)} items`;
    else if (type === 'hash') size = `, ${await redis.hlen(key)} fields`;
    else if (type === 'set') size = `, ${await redis.scard(key)} members`;
    else if (type === 'zset') size = `, ${await redis.zcard(key)} members`;
    out.push(`${key} (${type}${size})`);
  }
  return out;
}

/** DEL of a stuck agent's stream and counters (seed 000 "Clearing Stuck State in Redis"); SCAN, never KEYS. */
export const redisDeleteKeys: Remediation<RedisDeleteKeysParams, KeySnapshot[]> = {
  action: 'redis.delete-keys',
  targetKind: 'redis',
  params: redisDeleteKeysParams,
  async preview(params, ctx) {
    const exact = params.keys.map((k) => renderPlain(k, ctx.labels));
    const patterns = params.patterns.map((t) => {
      const reason = broadPatternReason(t);
      if (reason) throw new RemediationRefused(reason);
      return renderRedisPattern(t, ctx.labels);
    });
    const { found, lines } = await withTarget(ctx, async (redis) => {
      const keys = new Set<string>();
      for (const k of exact) if ((await redis.exists(k)) === 1) keys.add(k);
      for (const pattern of patterns) {
        let cursor = '0';
        do {
          const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
          for (const k of batch) keys.add(k);
          cursor = next;
          if (keys.size > params.maxKeys)
            throw new RemediationRefused(
              `more than ${params.maxKeys} keys match ${pattern}: refused (narrow the pattern or raise maxKeys)`,
            );
        } while (cursor !== '0' && !ctx.signal.aborted);
      }
      const sorted = [...keys].sort();
      const snapshot: KeySnapshot[] = [];
      for (const key of sorted) snapshot.push({ key, type: await redis.type(key) });
      return { found: snapshot.filter((s) => s.type !== 'none'), lines: await describeKeys(redis, sorted) };
    });
    const asked = [...exact, ...patterns].join(', ');
    return {
      summary: found.length
        ? `delete ${found.length} key${found.length === 1 ? '' : 's'} on ${ctx.target?.name ?? 'redis'}`
        : `no key matches ${asked}`,
      items: lines,
      subject: `keys ${asked}`,
      empty: found.length === 0,
      data: found,
    };
  },
  async execute(_params, preview, ctx) {
    // Only the keys the approver saw; a key created since under the same pattern is not touched.
    const keys = preview.data.map((k) => k.key);
    const deleted = await withTarget(ctx, async (redis) => (keys.length ? redis.del(...keys) : 0));
    return { summary: `deleted ${deleted} of ${keys.length} keys`, items: keys, data: { deleted } };
  },
  async verify(_params, preview, _result, ctx) {
    const keys = preview.data.map((k) => k.key);
    if (keys.length === 0) return { status: 'skipped', summary: 'no key was listed' };
    const left: string[] = [];
    await withTarget(ctx, async (redis) => {
      for (const k of keys) if ((await redis.exists(k)) === 1) left.push(k);
    });
    return left.length === 0
      ? { status: 'passed', summary: `none of the ${keys.length} keys exists any more` }
      : { status: 'failed', summary: `still there (re-created?): ${left.join(', ')}` };
  },
};
