import fc from 'fast-check';
import path from 'node:path';
import {
  LabelError,
  placeholdersIn,
  redactUrl,
  renderPathInside,
  renderPromQL,
  renderRedisPattern,
  renderUrl,
  SAFE_LABEL_VALUE,
} from '../../src/targets/params-template';
import { parseThreshold, statusFor, worst } from '../../src/probes/threshold';

describe('label placeholders', () => {
  it('finds placeholders deep inside params', () => {
    expect([...placeholdersIn({ a: 'x{{agent}}', b: ['{{ worker }}', 3], c: { d: '{{agent}}' } })].sort()).toEqual(['agent', 'worker']);
  });

  it('PromQL: a value becomes an escaped string literal in a matcher', () => {
    expect(renderPromQL('stream_stuck{agent={{agent}}}', { agent: 'agent-7' })).toBe('stream_stuck{agent="agent-7"}');
    expect(renderPromQL('up{job="x",worker!={{w}}}', { w: 'marie' })).toBe('up{job="x",worker!="marie"}');
  });

  it('PromQL: regex matchers get regex metacharacters escaped', () => {
    expect(renderPromQL('up{instance=~{{i}}}', { i: 'host.example:9090' })).toBe('up{instance=~"host\\\\.example:9090"}');
  });

  it('PromQL: a placeholder outside a matcher value is refused', () => {
    expect(() => renderPromQL('rate({{metric}}[5m])', { metric: 'up' })).toThrow(LabelError);
    expect(() => renderPromQL('up{job="a"} or {{x}}', { x: 'up' })).toThrow(/label matcher/);
  });

  it('PromQL: no safe value can close the literal', () => {
    fc.assert(
      fc.property(fc.stringMatching(SAFE_LABEL_VALUE), (v) => {
        const q = renderPromQL('m{a={{v}}}', { v });
        expect(q).toBe(`m{a="${v}"}`);
      }),
    );
  });

  it('refuses unsafe or missing label values', () => {
    expect(() => renderPromQL('m{a={{v}}}', { v: 'x"} or vector(1) #' })).toThrow(/unsafe/);
    expect(() => renderPromQL('m{a={{v}}}', {})).toThrow(/needs v=/);
  });

  it('Redis: label glob characters match literally, the catalog glob stays', () => {
    expect(renderRedisPattern('agent:{{a}}:*', { a: 'ok-1' })).toBe('agent:ok-1:*');
    // not reachable through SAFE_LABEL_VALUE, but the escaping itself must hold
    expect(() => renderRedisPattern('agent:{{a}}', { a: 'a*' })).toThrow(/unsafe/);
  });

  it('paths: stays inside the root, refuses .. and absolute paths', () => {
    const root = '/srv/shared';
    expect(renderPathInside(root, 'workers/{{w}}/heartbeat.json', { w: 'marie' })).toBe(path.join(root, 'workers/marie/heartbeat.json'));
    expect(() => renderPathInside(root, 'workers/{{w}}/heartbeat.json', { w: '../../../etc' })).toThrow(/leaves the configured root/);
    expect(() => renderPathInside(root, '{{w}}', { w: '/etc/passwd' })).toThrow(/leaves/);
    expect(() => renderPathInside(root, '{{w}}', { w: '..' })).toThrow(/leaves/);
    expect(renderPathInside(root, '{{w}}', { w: 'a/../b' })).toBe(path.join(root, 'b'));
  });

  it('URLs: label values only as encoded query values on the declared base', () => {
    const u = renderUrl('http://jaeger:16686/base/', '/api/traces', { service: '{{s}}', limit: '10' }, { s: 'a/b@c' });
    expect(u.toString()).toBe('http://jaeger:16686/base/api/traces?service=a%2Fb%40c&limit=10');
    expect(() => renderUrl('http://x', '/api/{{s}}', {}, { s: 'a' })).toThrow(/only in query values/);
  });

  it('redacts userinfo from URLs', () => {
    expect(redactUrl('postgres://app:s3cret@db:5432/x')).toBe('postgres://***@db:5432/x');
    expect(redactUrl('http://h/x')).toBe('http://h/x');
  });
});

describe('thresholds', () => {
  it('parses operator and number, no eval', () => {
    expect(parseThreshold('>= 0.8')).toMatchObject({ op: '>=', value: 0.8 });
    expect(parseThreshold('<1e3')).toMatchObject({ op: '<', value: 1000 });
    expect(() => parseThreshold('> 1; process.exit()')).toThrow(/not a threshold/);
    expect(() => parseThreshold('=> 1')).toThrow();
  });

  it('crit wins over warn; NaN is unknown', () => {
    expect(statusFor(0.85, '>= 0.8', '>= 0.9')).toBe('warn');
    expect(statusFor(0.95, '>= 0.8', '>= 0.9')).toBe('crit');
    expect(statusFor(0.1, '>= 0.8', '>= 0.9')).toBe('ok');
    expect(statusFor(NaN, '> 0')).toBe('unknown');
  });

  it('orders statuses crit > warn > unknown > ok', () => {
    expect(worst(['ok', 'unknown'])).toBe('unknown');
    expect(worst(['unknown', 'warn', 'ok'])).toBe('warn');
    expect(worst(['warn', 'crit'])).toBe('crit');
    expect(worst([], 'unknown')).toBe('unknown');
  });
});
