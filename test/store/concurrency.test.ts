import { z } from 'zod';
import { createManualClock } from '../../src/clock';
import { createMemoryCoordination } from '../../src/coordination/memory-coordination';
import { createIncidentService, incidentIdAt, type IncidentService } from '../../src/incidents/incident-service';
import type { Incident } from '../../src/domain/incident';
import type { Remediation } from '../../src/remediations/types';
import { createAlertStore } from '../../src/store/alert-store';
import type { Database } from '../../src/store/database';
import { createIncidentStore } from '../../src/store/incident-store';
import { createPostmortemStore } from '../../src/store/postmortem-store';
import { createProcessedEventStore } from '../../src/store/processed-event-store';
import { createScheduledJobStore } from '../../src/store/scheduled-job-store';
import { createTimelineStore } from '../../src/store/timeline-store';
import { makeService } from '../remediations/harness';
import { BACKENDS, type OpenedBackend } from '../support/backends';

/**
 * The races the bot must win on either database: the same checks on real PostgreSQL and on the embedded PGlite
 * (where every connection shares one PGlite session, so correctness rests on how connections take turns).
 */
describe.each(BACKENDS)('concurrency on $name', (backend) => {
  let opened: OpenedBackend;
  let db: Database;
  beforeAll(async () => {
    opened = await backend.open('concurrency');
    db = opened.db;
  }, 60_000);
  afterAll(async () => opened?.close());

  // Each test starts on its own hour so that INC IDs never collide between tests.
  let hour = 0;
  const incidentService = (on: Database = db, t0 = new Date(Date.UTC(2026, 0, 11, ++hour, 2, 0))): { svc: IncidentService; t0: Date } => ({
    t0,
    svc: createIncidentService({
      transaction: (fn) => on.transaction(fn),
      incidents: createIncidentStore(on),
      timeline: createTimelineStore(on),
      alerts: createAlertStore(on),
      jobs: createScheduledJobStore(on),
      clock: createManualClock(t0),
    }),
  });

  it('gives 25 concurrent opens in the same second, on two replicas, 25 distinct IDs on consecutive free seconds', async () => {
    const a = incidentService();
    const b = incidentService(await opened.replica(), a.t0);
    const opened25 = await Promise.all(
      Array.from({ length: 25 }, (_, i) => (i % 2 ? a : b).svc.open({ title: `outage ${i}`, severity: 'P1', actor: 'U1' })),
    );
    const ids = opened25.map((i) => i.id).sort();
    expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => incidentIdAt(new Date(a.t0.getTime() + i * 1000))));
    // The id moves on, the record keeps the true time; each has its opening event and its reminder.
    expect(opened25.every((i) => i.createdAt.getTime() === a.t0.getTime())).toBe(true);
    for (const inc of opened25) expect((await a.svc.timeline(inc.id)).map((e) => e.kind)).toEqual(['opened']);
    const pending = (await createScheduledJobStore(db).listPending()).filter((j) => ids.includes(String(j.payload.incidentId)));
    // Each P1 incident once: its status reminder, its escalation ladder and its promotion to P0.
    for (const kind of ['incident_status_reminder', 'incident_escalation', 'incident_promotion'])
      expect(pending.filter((j) => j.kind === kind)).toHaveLength(25);
    expect(pending).toHaveLength(75);
  });

  it('lets exactly one of several concurrent acks win', async () => {
    const { svc } = incidentService();
    const inc = await svc.open({ title: 'race', severity: 'P2', actor: 'U1' });
    const results = await Promise.allSettled(['U1', 'U2', 'U3', 'U4', 'U5'].map((u) => svc.acknowledge(inc.id, u)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual([
      'CONFLICT',
      'CONFLICT',
      'CONFLICT',
      'CONFLICT',
    ]);
    expect((await svc.timeline(inc.id)).filter((e) => e.kind === 'acknowledged')).toHaveLength(1);
  });

  it('ten simultaneous approvals (double clicks, two replicas) run the action exactly once', async () => {
    const runs: string[] = [];
    const action: Remediation<{ thing: string }, { thing: string }> = {
      action: 'test.count',
      params: z.object({ thing: z.string() }).strict(),
      limits: () => ({}),
      preview: async (p) => ({
        summary: `count ${p.thing}`,
        items: [p.thing],
        subject: `thing ${p.thing}`,
        empty: false,
        data: { thing: p.thing },
      }),
      execute: async (_p, preview) => {
        runs.push(preview.data.thing);
        return { summary: `counted ${preview.data.thing}`, items: [] };
      },
      verify: async () => ({ status: 'passed', summary: 'counted' }),
    };
    const registry = { 'test.count': action };
    // Separate in-process coordination per replica: the lock cannot help across them, the database must.
    const a = makeService(db, { registry, coordination: createMemoryCoordination() });
    const b = makeService(await opened.replica(), { registry, coordination: createMemoryCoordination() });
    const declaration = { action: 'test.count', id: 'count', title: 'Count the thing', risk: 'medium', params: { thing: 'conc' } };
    const r = await a.service.request({ declaration, requestedBy: 'U1' });
    if (r.kind !== 'created') throw new Error(r.kind);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).service.approve(r.request.id, `U${100 + i}`, [])),
    );
    expect(runs).toEqual(['conc']);
    expect(results.filter((x) => x.kind === 'ran')).toHaveLength(1);
    expect(results.every((x) => ['ran', 'already', 'busy'].includes(x.kind))).toBe(true);
    expect((await a.service.get(r.request.id))?.state).toBe('succeeded');
    expect((await a.service.listRequestAudit(r.request.id)).filter((e) => e.action === 'remediation.approved')).toHaveLength(1);
    // A late click gets "already", with who approved.
    const final = await a.service.get(r.request.id);
    expect(await b.service.approve(r.request.id, 'U999', [])).toMatchObject({ kind: 'already', state: 'succeeded', by: final?.approvedBy });
  });

  it('numbers concurrent post-mortem drafts of one incident 1..n without a gap or a clash', async () => {
    const { svc, t0 } = incidentService();
    const inc = await svc.open({ title: 'drafted', severity: 'P1', actor: 'U1' });
    const drafts = [createPostmortemStore(db), createPostmortemStore(await opened.replica())];
    const saved = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        drafts[i % 2]!.saveNext({ incidentId: inc.id, createdBy: `U${i}`, createdAt: t0, render: (v) => `draft ${v}` }),
      ),
    );
    expect(saved.map((d) => d.version).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    for (const d of saved) expect(d.markdown).toBe(`draft ${d.version}`);
    expect(await drafts[0]!.latest(inc.id)).toMatchObject({ version: 6, markdown: 'draft 6' });
  });

  it('hands each due job to exactly one of many concurrent claimers, only due ones, only the asked kinds', async () => {
    const jobs = createScheduledJobStore(db);
    const other = createScheduledJobStore(await opened.replica());
    const due = new Date('2030-01-01T00:00:00Z');
    const later = new Date('2030-01-01T00:10:00Z');
    for (let i = 0; i < 40; i++)
      await jobs.schedule({ kind: i % 2 ? 'claim-even' : 'claim-odd', dueAt: i % 4 === 0 ? later : due, payload: { i } });
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, w) =>
        (w % 2 ? jobs : other).claimDue(`w${w}`, due, { limit: 5, leaseMs: 60_000, kinds: ['claim-odd', 'claim-even'] }),
      ),
    );
    const payloads = claims.flat().map((j) => Number(j.payload.i));
    // The 10 due at minute 10 are not due yet.
    expect(payloads.sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 4 !== 0));
    expect(await jobs.claimDue('late', due, { limit: 100, leaseMs: 60_000, kinds: ['claim-odd', 'claim-even'] })).toEqual([]);
    expect(await jobs.claimDue('other', later, { limit: 100, leaseMs: 60_000, kinds: ['nope'] })).toEqual([]);
  });

  it('answers different statements and transactions in flight at once, each with its own rows', async () => {
    const { svc } = incidentService();
    const incs: Incident[] = [];
    for (let i = 0; i < 10; i++) incs.push(await svc.open({ title: `parallel ${i}`, severity: 'P3', actor: `U${i}` }));
    const events = createProcessedEventStore(db);
    const checks = Array.from({ length: 50 }, (_, k) => {
      const inc = incs[k % incs.length]!;
      return [
        svc.get(inc.id).then((got) => expect(got.title).toBe(inc.title)),
        svc.timeline(inc.id).then((t) => expect(t.map((e) => [e.kind, e.actor])).toEqual([['opened', inc.createdBy]])),
        events.markProcessed(`Ev0PARALLEL${k}`, 'slack-event').then((first) => expect(first).toBe(true)),
        // Transactions among them: BEGIN, then several statements, each in its own wire-protocol exchange.
        k % 5 === 0
          ? svc
              .open({ title: `parallel more ${k}`, severity: 'P3', actor: 'U1' })
              .then((more) => expect(more.title).toBe(`parallel more ${k}`))
          : undefined,
      ];
    });
    await Promise.all(checks.flat());
  });

  it('runs a query and a transaction started inside a transaction on that transaction, and rolls them back with it', async () => {
    const events = createProcessedEventStore(db);
    const { svc } = incidentService();
    const failed = db.transaction(async () => {
      // Neither call is given the transaction: they reach it through the database, as a forgetful caller would.
      expect(await events.markProcessed('Ev0NESTED', 'slack-event')).toBe(true);
      const inc = await svc.open({ title: 'nested', severity: 'P3', actor: 'U1' });
      expect((await svc.get(inc.id)).title).toBe('nested');
      throw new Error('abandon');
    });
    await expect(failed).rejects.toThrow('abandon');
    expect(await svc.listActive()).not.toContainEqual(expect.objectContaining({ title: 'nested' }));
    expect(await events.markProcessed('Ev0NESTED', 'slack-event')).toBe(true);
  });

  it('rolls back the work of a connection lost mid-transaction, and lets everyone else carry on', async () => {
    const events = createProcessedEventStore(db);
    const lost = db.transaction(async (tx) => {
      expect(await events.markProcessed('Ev0LOSTCONN', 'slack-event')).toBe(true);
      // The connection drops as it does when a process dies: the socket closes under the open transaction.
      (tx as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      await tx.query('SELECT 1');
    });
    await expect(lost).rejects.toThrow();
    const others = await Promise.all(Array.from({ length: 5 }, (_, i) => events.markProcessed(`Ev0AFTERLOST${i}`, 'slack-event')));
    expect(others).toEqual([true, true, true, true, true]);
    expect(await events.markProcessed('Ev0LOSTCONN', 'slack-event')).toBe(true);
  });

  it('records a Slack delivery once, however many retries arrive at once', async () => {
    const stores = [createProcessedEventStore(db), createProcessedEventStore(await opened.replica())];
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2]!.markProcessed('Ev0CONCURRENT', 'slack-event')));
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
