import { z } from 'zod';
import { BotError } from '../../src/errors';
import { createRedisCoordination } from '../../src/coordination/redis-coordination';
import { remediationDeclarationSchema } from '../../src/remediations/remediation-declaration';
import type { Remediation } from '../../src/remediations/types';
import type { Database } from '../../src/store/database';
import { createMigratedDatabase } from '../support/migrated-database';
import { REDIS_URL, requireRedis } from '../support/services';
import { makeService } from './harness';
import { waitFor } from '../support/wait-for';

/** A test action that counts its executions (a real store, real PostgreSQL; only the target is in memory). */
function countingAction() {
  const runs: string[] = [];
  const action: Remediation<{ thing: string }, { thing: string }> = {
    action: 'test.count',
    params: z.object({ thing: z.string() }).strict(),
    limits: () => ({}),
    async preview(p, ctx) {
      const thing = p.thing.replace('{{worker}}', ctx.labels.worker ?? '');
      return { summary: `count ${thing}`, items: [thing], subject: `thing ${thing}`, empty: thing === 'nothing', data: { thing } };
    },
    async execute(_p, preview) {
      // widen the race window: concurrent approvals are all in flight while one runs
      await new Promise((r) => setTimeout(r, 50));
      runs.push(preview.data.thing);
      return { summary: `counted ${preview.data.thing}`, items: [] };
    },
    async verify() {
      return { status: 'passed', summary: 'counted' };
    },
  };
  return { runs, registry: { 'test.count': action } };
}

const decl = (over: Record<string, unknown> = {}) => ({
  action: 'test.count',
  id: 'count',
  title: 'Count the thing',
  risk: 'medium',
  params: { thing: 'w-{{worker}}' },
  ...over,
});

let db: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ db, drop } = await createMigratedDatabase('remediation_service'));
});
afterAll(() => drop());

describe('request', () => {
  it('creates a request with a preview that expires in 15 minutes, audits request and preview, and dedupes by idempotency key', async () => {
    const { registry } = countingAction();
    const { service, clock } = makeService(db, { registry });
    const r = await service.request({
      declaration: decl(),
      labels: { worker: 'a1' },
      requestedBy: 'U1',
      incidentId: 'INC-20260101000001',
      channelId: 'C1',
      threadTs: '1.1',
      idempotencyKey: 'k-a1',
    });
    expect(r.kind).toBe('created');
    if (r.kind !== 'created') return;
    expect(r.request.state).toBe('pending');
    expect(r.request.preview.items).toEqual(['w-a1']);
    expect(r.request.expiresAt.getTime() - clock.now().getTime()).toBe(15 * 60_000);
    const again = await service.request({ declaration: decl(), labels: { worker: 'a1' }, requestedBy: 'U1', idempotencyKey: 'k-a1' });
    expect(again).toMatchObject({ kind: 'existing', request: { id: r.request.id } });
    const audit = await service.listAudit('INC-20260101000001');
    expect(audit.map((a) => a.action)).toEqual(['remediation.requested', 'remediation.previewed']);
    await service.setApprovalMessage(r.request.id, 'C1', '2.2');
    expect((await service.get(r.request.id))?.approvalMessageTs).toBe('2.2');
  });

  it('refuses a missing or unsafe label, and reports nothing to do', async () => {
    const { registry } = countingAction();
    const { service } = makeService(db, { registry });
    await expect(service.request({ declaration: decl(), labels: {}, requestedBy: 'U1' })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      userMessage: expect.stringContaining('worker=<value>'),
    });
    await expect(service.request({ declaration: decl(), labels: { worker: 'a*; rm -rf /' }, requestedBy: 'U1' })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    const r = await service.request({ declaration: decl({ params: { thing: 'nothing' } }), requestedBy: 'U1' });
    expect(r.kind).toBe('nothing_to_do');
  });
});

describe('approval', () => {
  it('ten simultaneous approvals through Redis coordination also run once', async () => {
    await requireRedis();
    const { runs, registry } = countingAction();
    const prefix = `ibt-rem-${Date.now()}:`;
    const c1 = createRedisCoordination({ url: REDIS_URL, prefix });
    const c2 = createRedisCoordination({ url: REDIS_URL, prefix });
    try {
      const a = makeService(db, { registry, coordination: c1 });
      const b = makeService(db, { registry, coordination: c2 });
      const r = await a.service.request({ declaration: decl(), labels: { worker: 'redis-conc' }, requestedBy: 'U1' });
      if (r.kind !== 'created') throw new Error(r.kind);
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).service.approve(r.request.id, `U${200 + i}`)));
      expect(runs).toHaveLength(1);
      expect(results.filter((x) => x.kind === 'ran')).toHaveLength(1);
    } finally {
      await c1.close();
      await c2.close();
    }
  });

  it('refuses self-approval of medium and high risk, and of low risk unless the declaration allows it', async () => {
    const { runs, registry } = countingAction();
    const { service } = makeService(db, { registry });
    for (const risk of ['medium', 'high', 'low']) {
      // High risk needs named approvers to be approvable at all; the requester is refused even when among them.
      const approvers = risk === 'high' ? { approvers: { usergroups: ['S0ONCALL'] } } : {};
      const r = await service.request({ declaration: decl({ risk, ...approvers }), labels: { worker: `self-${risk}` }, requestedBy: 'U1' });
      if (r.kind !== 'created') throw new Error(r.kind);
      const a = await service.approve(r.request.id, 'U1', []);
      expect(a).toMatchObject({ kind: 'not_approver', rule: 'self_approval' });
      expect((await service.get(r.request.id))?.state).toBe('pending');
    }
    const low = await service.request({
      declaration: decl({ risk: 'low', allowSelfApproval: true }),
      labels: { worker: 'self-ok' },
      requestedBy: 'U1',
    });
    if (low.kind !== 'created') throw new Error(low.kind);
    expect(await service.approve(low.request.id, 'U1', [])).toMatchObject({ kind: 'ran', outcome: 'succeeded' });
    expect(runs).toEqual(['w-self-ok']);
    expect(() =>
      remediationDeclarationSchema.parse({
        action: 'docker.restart',
        title: 'Restart',
        risk: 'high',
        allowSelfApproval: true,
        target: 'docker',
        params: { container: 'x' },
      }),
    ).toThrow(/only low-risk/);
  });

  it('lets only the declared users or user-group members approve', async () => {
    const { registry } = countingAction();
    const { service } = makeService(db, { registry });
    const r = await service.request({
      declaration: decl({ approvers: { users: ['U0LEAD'], usergroups: ['S0ONCALL'] } }),
      labels: { worker: 'narrow' },
      requestedBy: 'U1',
    });
    if (r.kind !== 'created') throw new Error(r.kind);
    const no = await service.approve(r.request.id, 'U2', ['S0OTHER']);
    expect(no).toMatchObject({
      kind: 'not_approver',
      rule: 'not_listed',
      reason: 'you are not an approver for “Count the thing”',
      approvers: { users: ['U0LEAD'], usergroups: ['S0ONCALL'] },
    });
    expect(await service.approve(r.request.id, 'U3', ['S0ONCALL'])).toMatchObject({ kind: 'ran' });
  });

  it('honours expiry with the injected clock', async () => {
    const { runs, registry } = countingAction();
    const { service, clock, metrics } = makeService(db, { registry });
    const r = await service.request({ declaration: decl(), labels: { worker: 'exp' }, requestedBy: 'U1' });
    if (r.kind !== 'created') throw new Error(r.kind);
    clock.advance(15 * 60_000);
    expect(await service.approve(r.request.id, 'U2')).toMatchObject({ kind: 'expired', request: { state: 'expired' } });
    expect(await service.approve(r.request.id, 'U2')).toMatchObject({ kind: 'already', state: 'expired' });
    expect(runs).toEqual([]);
    const r2 = await service.request({ declaration: decl(), labels: { worker: 'exp2' }, requestedBy: 'U1' });
    if (r2.kind !== 'created') throw new Error(r2.kind);
    clock.advance(14 * 60_000);
    // (the database is shared by this file's tests: look only at this one)
    expect((await service.expireDue()).map((x) => x.id)).not.toContain(r2.request.id);
    clock.advance(60_000);
    expect((await service.expireDue()).map((x) => x.id)).toContain(r2.request.id);
    expect(await metrics.getSingleMetricAsString('incident_bot_remediations_total')).toMatch(
      /action="test.count",outcome="expired"} [2-9]/,
    );
  });

  it('a denied request cannot run; only the requester or an approver may deny', async () => {
    const { runs, registry } = countingAction();
    const { service } = makeService(db, { registry });
    const r = await service.request({
      declaration: decl({ approvers: { users: ['U0LEAD'] } }),
      labels: { worker: 'deny' },
      requestedBy: 'U1',
    });
    if (r.kind !== 'created') throw new Error(r.kind);
    expect(await service.deny(r.request.id, 'U5', [])).toMatchObject({ kind: 'not_approver' });
    expect(await service.deny(r.request.id, 'U0LEAD', [], 'not now')).toMatchObject({
      kind: 'denied',
      request: { state: 'denied', deniedBy: 'U0LEAD' },
    });
    expect(await service.approve(r.request.id, 'U0LEAD')).toMatchObject({ kind: 'already', state: 'denied', by: 'U0LEAD' });
    expect(runs).toEqual([]);
  });

  it('enforces cooldown and max runs per window per subject, from the store', async () => {
    const { runs, registry } = countingAction();
    const { service, clock } = makeService(db, { registry });
    const d = decl({ cooldownSeconds: 60, maxRunsPerWindow: 2, windowSeconds: 3600 });
    const once = async (user: string) => {
      const r = await service.request({ declaration: d, labels: { worker: 'lim' }, requestedBy: 'U1' });
      if (r.kind !== 'created') return r;
      return service.approve(r.request.id, user);
    };
    expect(await once('U2')).toMatchObject({ kind: 'ran' });
    clock.advance(30_000);
    expect(await once('U2')).toMatchObject({ kind: 'limited', retryAfterSeconds: 30 });
    clock.advance(31_000);
    expect(await once('U2')).toMatchObject({ kind: 'ran' });
    clock.advance(120_000);
    expect(await once('U2')).toMatchObject({ kind: 'limited', reason: expect.stringContaining('at most 2') });
    expect(runs).toHaveLength(2);
    // another subject has its own budget
    const other = await service.request({ declaration: d, labels: { worker: 'lim-other' }, requestedBy: 'U1' });
    expect(other.kind).toBe('created');
  });

  it('a run longer than its lease keeps it renewed, so another replica does not call it interrupted', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { registry } = countingAction();
    const slow: Remediation<{ thing: string }, { thing: string }> = {
      ...(registry['test.count'] as Remediation<{ thing: string }, { thing: string }>),
      async execute(_p, preview) {
        await gate;
        return { summary: `counted ${preview.data.thing}`, items: [] };
      },
    };
    const a = makeService(db, { registry: { 'test.count': slow }, leaseMs: 300 });
    const b = makeService(db, { registry: { 'test.count': slow }, leaseMs: 300, clock: a.clock });
    const r = await a.service.request({ declaration: decl(), labels: { worker: 'lease' }, requestedBy: 'U1' });
    if (r.kind !== 'created') throw new Error(r.kind);
    const approval = a.service.approve(r.request.id, 'U2');
    await waitFor('the run to start', async () => (await a.service.get(r.request.id))?.state === 'running');
    // Time passes beyond the lease while the action still runs; the heartbeat must move the lease along.
    a.clock.advance(600);
    await waitFor(
      'the heartbeat to renew the lease',
      async () => ((await a.service.get(r.request.id))?.leaseUntil?.getTime() ?? 0) > a.clock.now().getTime(),
    );
    expect(await b.service.recoverInterrupted()).toEqual([]);
    release();
    expect(await approval).toMatchObject({ kind: 'ran', outcome: 'succeeded' });
  });

  it('a run whose process died is marked interrupted at start-up and never re-run', async () => {
    const { runs, registry } = countingAction();
    const { service, clock } = makeService(db, { registry, leaseMs: 10 * 60_000 });
    const r = await service.request({
      declaration: decl(),
      labels: { worker: 'crash' },
      requestedBy: 'U1',
      incidentId: 'INC-20260101000009',
    });
    if (r.kind !== 'created') throw new Error(r.kind);
    // what a process that died mid-run leaves behind: running, with a lease that has run out
    const startedAt = new Date(clock.now().getTime() - 11 * 60_000);
    await db.query(
      `UPDATE remediation_requests SET state = 'running', approved_by = 'U2', approved_at = $2, started_at = $2, lease_until = $3, runner = 'dead:1' WHERE id = $1`,
      [r.request.id, startedAt, new Date(startedAt.getTime() + 10 * 60_000)],
    );
    const recovered = await service.recoverInterrupted();
    expect(recovered.map((x) => x.id)).toEqual([r.request.id]);
    expect(recovered[0]).toMatchObject({ state: 'interrupted', threadTs: null, incidentId: 'INC-20260101000009' });
    expect(await service.recoverInterrupted()).toEqual([]);
    expect(await service.approve(r.request.id, 'U3')).toMatchObject({ kind: 'already', state: 'interrupted' });
    expect(runs).toEqual([]);
    const steps = (await service.listAudit('INC-20260101000009')).map((a) => a.action);
    expect(steps).toEqual(['remediation.requested', 'remediation.previewed', 'remediation.interrupted']);
  });

  it('fails closed when coordination (Redis) is down', async () => {
    const { runs, registry } = countingAction();
    const down = createRedisCoordination({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 300 });
    try {
      const { service } = makeService(db, { registry, coordination: down });
      const r = await service.request({ declaration: decl(), labels: { worker: 'down' }, requestedBy: 'U1' });
      if (r.kind !== 'created') throw new Error(r.kind);
      const err = await service.approve(r.request.id, 'U2').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BotError);
      expect(err).toMatchObject({
        code: 'COORDINATION_UNAVAILABLE',
        userMessage: expect.stringMatching(/approvals are paused: coordination \(Redis\) is unavailable/i),
      });
      expect((await service.get(r.request.id))?.state).toBe('pending');
      expect(runs).toEqual([]);
    } finally {
      await down.close();
    }
  });

  it('records every step in the audit log and metrics', async () => {
    const { registry } = countingAction();
    const { service, metrics } = makeService(db, { registry });
    const r = await service.request({
      declaration: decl(),
      labels: { worker: 'audit' },
      requestedBy: 'U1',
      incidentId: 'INC-20260101000007',
    });
    if (r.kind !== 'created') throw new Error(r.kind);
    await service.approve(r.request.id, 'U1');
    await service.approve(r.request.id, 'U2');
    const steps = await service.listAudit('INC-20260101000007');
    expect(steps.map((s) => [s.actor, s.action])).toEqual([
      ['U1', 'remediation.requested'],
      ['bot', 'remediation.previewed'],
      ['U1', 'remediation.approval_refused'],
      ['U2', 'remediation.approved'],
      ['U2', 'remediation.started'],
      ['bot', 'remediation.succeeded'],
    ]);
    await expect(db.query('UPDATE audit_log SET actor = $1 WHERE id = $2', ['x', steps[0]!.id])).rejects.toThrow(/append-only/);
    expect(await metrics.getSingleMetricAsString('incident_bot_remediations_total')).toMatch(/outcome="succeeded"} 1/);
    expect(await metrics.getSingleMetricAsString('incident_bot_remediation_approval_latency_seconds')).toMatch(
      /_count{action="test.count",risk="medium"} 1/,
    );
  });
});

describe('declaration', () => {
  it('accepts the catalog spelling kind:, checks the action and its params', () => {
    const d = remediationDeclarationSchema.parse({
      id: 'restart-worker',
      kind: 'docker.restart',
      title: 'Restart',
      risk: 'medium',
      target: 'docker',
      params: { container: '{{worker}}', maxRestarts: 3, cooldownSeconds: 60 },
    });
    expect(d).toMatchObject({ action: 'docker.restart', allowSelfApproval: false });
    expect(() => remediationDeclarationSchema.parse({ action: 'docker.explode', title: 'x', risk: 'low' })).toThrow(
      /unknown remediation action/,
    );
    expect(() =>
      remediationDeclarationSchema.parse({ action: 'redis.delete-keys', title: 'x', risk: 'low', params: { patterns: ['agent:*'] } }),
    ).toThrow(/no \{\{label\}\}/);
    expect(() =>
      remediationDeclarationSchema.parse({ action: 'docker.signal', title: 'x', risk: 'low', params: { container: 'a', signal: 'KILL' } }),
    ).toThrow();
  });
});
