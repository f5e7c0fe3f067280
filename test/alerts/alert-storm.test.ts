import { WebClient } from '@slack/web-api';
import pino from 'pino';
import { Registry } from 'prom-client';
import {
  createStormMetrics,
  createStormWatch,
  StormChannelRefusedError,
  type StormPublisher,
  type StormSummary,
  type StormWatchOptions,
} from '../../src/alerts/alert-storm';
import { databaseKeyPrefix } from '../../src/coordination/coordination';
import { createMemoryCoordination } from '../../src/coordination/memory-coordination';
import { startSlackEmulator } from '../../src/emulator/slack-emulator';
import { createSlackPoster } from '../../src/slack/slack-poster';
import { waitFor } from '../support/wait-for';
import { createStormMessenger } from '../../src/slack/storm-messenger';
import type { AlertRecord } from '../../src/domain/alert';

const T0 = Date.parse('2026-11-26T08:00:00Z');

function alert(id: number, name: string, severity: AlertRecord['severity'] = 'P1'): AlertRecord {
  const at = new Date(T0);
  return {
    id,
    fingerprint: `f${id}`,
    name,
    source: 'alertmanager-slack',
    severity,
    status: 'firing',
    labels: { alertname: name },
    annotations: {},
    generatorURL: null,
    startsAt: at,
    endsAt: null,
    firstSeenAt: at,
    lastSeenAt: at,
    fireCount: 1,
    resolvedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    channelId: 'C1',
    messageTs: null,
    replyTs: null,
    escalationLevel: 0,
    incidentId: null,
    labelsFrom: 'sender',
    groupId: null,
  };
}

type Shown =
  | { kind: 'post'; summary: StormSummary; key: string }
  | { kind: 'edit'; ts: string; summary: StormSummary }
  | { kind: 'list'; ts: string; alerts: number[] };

describe('storm watch', () => {
  let now = T0;
  const shown: Shown[] = [];
  const publisher: StormPublisher = {
    postSummary: async (summary, key) => {
      shown.push({ kind: 'post', summary, key });
      return `ts-${shown.length}`;
    },
    editSummary: async (ts, summary) => void shown.push({ kind: 'edit', ts, summary }),
    listAlerts: async (_channel, ts, alerts) => void shown.push({ kind: 'list', ts, alerts: alerts.map((a) => a.id) }),
  };
  // Replicas share what the coordination holds; each has its own watch.
  let coordination = createMemoryCoordination(() => now);
  const watch = (more: Partial<StormWatchOptions> = {}) =>
    createStormWatch({
      publisher,
      coordination,
      logger: pino({ level: 'silent' }),
      now: () => now,
      threshold: 3,
      flushMs: 50,
      editMs: 20,
      calmMs: 200,
      ...more,
    });
  beforeEach(() => {
    now = T0;
    shown.length = 0;
    coordination = createMemoryCoordination(() => now);
  });
  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const summaries = () => shown.filter((s): s is Exclude<Shown, { kind: 'list' }> => s.kind !== 'list');
  const listed = () => shown.flatMap((s) => (s.kind === 'list' ? s.alerts : []));

  it('shows alerts one by one up to the threshold, then takes them into one summary counted by name and severity, newest first', async () => {
    const w = watch();
    expect(await w.admit('C1', [alert(1, 'A'), alert(2, 'A'), alert(3, 'B')])).toEqual([]);
    expect(await w.admit('C2', [alert(4, 'A')])).toEqual([]); // another channel is counted on its own
    now += 1_000;
    expect((await w.admit('C1', [alert(5, 'A', 'P0')])).map((a) => a.id)).toEqual([5]);
    await waitFor('the summary and its first list', () => shown.length >= 2);
    expect(shown).toHaveLength(2);
    expect(shown[0]).toMatchObject({ kind: 'post', summary: { channel: 'C1', total: 1, rows: [{ name: 'A', severity: 'P0', count: 1 }] } });
    expect(shown[1]).toEqual({ kind: 'list', ts: 'ts-1', alerts: [5] });
    now += 1_000;
    expect((await w.admit('C1', [alert(6, 'B'), alert(7, 'B')])).map((a) => a.id)).toEqual([6, 7]);
    now += 1_000;
    await w.admit('C1', [alert(8, 'A', 'P0')]);
    await waitFor('the summary counting 4, all listed', () => summaries().at(-1)?.summary.total === 4 && listed().length === 4);
    const last = summaries().at(-1)!;
    expect(last).toMatchObject({ kind: 'edit', ts: 'ts-1', summary: { total: 4 } });
    expect(last.summary.rows.map((r) => `${r.name}/${r.severity}×${r.count}`)).toEqual(['A/P0×2', 'B/P1×2']);
    expect(listed()).toEqual([5, 6, 7, 8]);
    expect(summaries().filter((s) => s.kind === 'post')).toHaveLength(1);
    await w.stop();
  });

  it('ends the storm when the channel has been calm, then shows alerts one by one again', async () => {
    const w = watch();
    await w.admit('C1', [alert(1, 'A'), alert(2, 'A'), alert(3, 'A'), alert(4, 'A')]);
    await waitFor('the summary', () => summaries().length > 0);
    now += 250;
    await waitFor('the summary marked ended', () => summaries().at(-1)?.summary.endedAt !== undefined);
    const end = summaries().at(-1)!;
    expect(end.summary.endedAt?.getTime()).toBe(now);
    expect(end.summary.total).toBe(4);
    // Calm: the window has emptied as well, so one new alert is shown on its own.
    now += 60_000;
    expect(await w.admit('C1', [alert(9, 'A')])).toEqual([]);
    await w.stop();
  });

  it('counts the alerts of every replica in one window and shows one summary, each replica listing its own in its thread', async () => {
    const replicas = [watch(), watch(), watch()];
    // One alert on each: three in the channel's minute, the threshold. The fourth starts the storm, though no replica
    // has seen more than two.
    for (const [i, w] of replicas.entries()) expect(await w.admit('C1', [alert(10 + i, 'A')])).toEqual([]);
    now += 100;
    const taken = [];
    for (const [i, w] of replicas.entries()) taken.push(...(await w.admit('C1', [alert(20 + i, i === 2 ? 'B' : 'A', 'P2')])));
    expect(taken.map((a) => a.id)).toEqual([20, 21, 22]);
    await waitFor(
      'every replica listing its alerts, the summary counting 3',
      () => listed().length === 3 && summaries().at(-1)?.summary.total === 3,
    );
    const posts = summaries().filter((s) => s.kind === 'post');
    expect(posts).toHaveLength(1);
    expect(listed().sort()).toEqual([20, 21, 22]);
    expect(shown.filter((s) => s.kind === 'list').every((s) => s.ts === 'ts-1')).toBe(true);
    const last = summaries().at(-1)!;
    expect(last.summary.total).toBe(3);
    expect(last.summary.rows.map((r) => `${r.name}/${r.severity}×${r.count}`).sort()).toEqual(['A/P2×2', 'B/P2×1']);
    // A repeated delivery to any replica knows the storm took the alert.
    expect([...(await replicas[1]!.took([12, 20, 21, 22].map((id) => ({ id, channel: 'C1' }))))].sort()).toEqual([20, 21, 22]);
    // The same ids in another channel (another database's alerts, sharing Redis) were not taken.
    expect([...(await replicas[1]!.took([20, 21].map((id) => ({ id, channel: 'C2' }))))]).toEqual([]);
    await Promise.all(replicas.map((w) => w.stop()));
  });

  it('shows a change in the summary within its edit slot, without waiting for the next list in the thread', async () => {
    const w = watch({ flushMs: 60_000 });
    await w.admit('C1', [alert(1, 'A'), alert(2, 'A'), alert(3, 'A'), alert(4, 'A')]);
    await waitFor('the summary and its first list', () => shown.length >= 2);
    expect(shown.map((s) => s.kind)).toEqual(['post', 'list']);
    await w.admit('C1', [alert(5, 'B')]);
    await w.admit('C1', [alert(6, 'B')]);
    await waitFor('the summary counting 6', () => summaries().at(-1)?.summary.total === 6);
    // The summary counts both; they are listed in the thread at the next list, a minute on.
    expect(shown.filter((s) => s.kind !== 'edit').map((s) => s.kind)).toEqual(['post', 'list']);
    expect(summaries().at(-1)).toMatchObject({ kind: 'edit', summary: { total: 6 } });
    await w.stop();
  });

  it('lists the alerts still waiting for the thread when it stops, and shows their count in the summary', async () => {
    const w = watch({ flushMs: 60_000, editMs: 60_000 });
    await w.admit('C1', [alert(1, 'A'), alert(2, 'A'), alert(3, 'A'), alert(4, 'A')]);
    await waitFor('the first list', () => listed().length === 4);
    await w.admit('C1', [alert(5, 'B'), alert(6, 'B')]);
    await w.stop();
    expect(listed()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(summaries().at(-1)).toMatchObject({ kind: 'edit', ts: 'ts-1', summary: { total: 6 } });
  });

  it('gives a summary up once when Slack refuses its channel: logged and counted once, not retried, the storm still counted', async () => {
    const registry = new Registry();
    const metrics = createStormMetrics(registry);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    let attempts = 0;
    const refusing: StormPublisher = {
      ...publisher,
      postSummary: async (summary) => {
        attempts++;
        throw new StormChannelRefusedError(summary.channel, 'not_in_channel');
      },
    };
    const replicas = [watch({ publisher: refusing, metrics, logger }), watch({ publisher: refusing, metrics, logger })];
    await replicas[0]!.admit('C1', [alert(1, 'A'), alert(2, 'A'), alert(3, 'A'), alert(4, 'A')]);
    await waitFor('the refused summary', () => attempts === 1);
    // Later alerts on either replica are still taken (the channel would refuse their own messages too), and nothing
    // tries the channel again: not after a list interval, not after several.
    expect((await replicas[1]!.admit('C1', [alert(5, 'A')])).map((a) => a.id)).toEqual([5]);
    expect((await replicas[0]!.admit('C1', [alert(6, 'A')])).map((a) => a.id)).toEqual([6]);
    // Four list intervals (flushMs 50) pass: an absence can only be shown by letting the time go by.
    await settle(200);
    expect(attempts).toBe(1);
    expect(shown).toEqual([]);
    expect((await metrics.abandoned.get()).values).toEqual([{ value: 1, labels: { reason: 'not_in_channel' } }]);
    const refusals = lines.map((l) => JSON.parse(l) as { msg: string; channel?: string }).filter((l) => /refuses/.test(l.msg));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ channel: 'C1', reason: 'not_in_channel' });
    // Another channel is not affected.
    await replicas[0]!.admit('C2', [alert(11, 'A'), alert(12, 'A'), alert(13, 'A'), alert(14, 'A')]);
    await waitFor("the other channel's summary", () => attempts === 2);
    expect(attempts).toBe(2);
    await Promise.all(replicas.map((w) => w.stop()));
  });

  it("turns Slack's refusals of the channel into the storm's, and leaves other failures to be retried", async () => {
    const slack = await startSlackEmulator();
    try {
      const poster = createSlackPoster({
        client: new WebClient('xoxb-test-token', { slackApiUrl: slack.url, retryConfig: { retries: 0 } }),
        coordination: createMemoryCoordination(),
        logger: pino({ level: 'silent' }),
      });
      const messenger = createStormMessenger({ poster });
      const summary: StormSummary = { channel: 'C9', startedAt: new Date(T0), total: 4, rows: [] };
      slack.failNext('chat.postMessage', { error: 'is_archived' });
      await expect(messenger.postSummary(summary, 'k1')).rejects.toMatchObject({ code: 'STORM_CHANNEL_REFUSED', reason: 'is_archived' });
      const ts = await messenger.postSummary(summary, 'k2');
      slack.failNext('chat.update', { error: 'message_not_found' });
      await expect(messenger.editSummary(ts, summary)).rejects.toBeInstanceOf(StormChannelRefusedError);
      slack.failNext('chat.postMessage', { error: 'not_in_channel' });
      await expect(messenger.listAlerts('C9', ts, [alert(1, 'A')])).rejects.toMatchObject({ reason: 'not_in_channel' });
      slack.failNext('chat.update', { error: 'internal_error' });
      const other = await messenger.editSummary(ts, summary).catch((err: unknown) => err);
      expect(other).not.toBeInstanceOf(StormChannelRefusedError);
    } finally {
      await slack.close();
    }
  });

  it('keeps at most maxPending alerts waiting for a thread Slack keeps failing: the oldest are left out, and logged', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    let failing = true;
    let listAttempts = 0;
    const flaky: StormPublisher = {
      ...publisher,
      listAlerts: async (channel, ts, alerts) => {
        listAttempts++;
        if (failing) throw new Error('Slack is down');
        await publisher.listAlerts(channel, ts, alerts);
      },
    };
    const w = watch({ publisher: flaky, logger, flushMs: 60_000, maxPending: 5 });
    await w.admit('C1', [alert(1, 'A'), alert(2, 'A'), alert(3, 'A'), alert(4, 'A')]);
    // The first list fails and puts its alerts back; the next ones are only counted until the thread is reachable.
    await waitFor('the first list to fail', () => listAttempts > 0);
    await w.admit(
      'C1',
      [5, 6, 7, 8, 9, 10].map((id) => alert(id, 'B')),
    );
    failing = false;
    await w.stop();
    expect(listed()).toEqual([6, 7, 8, 9, 10]);
    const left = lines
      .map((l) => JSON.parse(l) as { msg: string; notListed?: number[] })
      .filter((l) => l.notListed && /too far behind/.test(l.msg));
    expect(left.flatMap((l) => l.notListed)).toEqual([1, 2, 3, 4, 5]);
    expect(summaries().at(-1)).toMatchObject({ summary: { total: 10 } });
  });

  it("keeps one bot's storms to itself on a shared store: its key prefix is its database's", async () => {
    const botA = watch({ keyPrefix: databaseKeyPrefix({ databaseUrl: 'postgres://a:pw@db:5432/bot_a', dataDir: '/data' }) });
    const botB = watch({ keyPrefix: databaseKeyPrefix({ databaseUrl: 'postgres://a:pw@db:5432/bot_b', dataDir: '/data' }) });
    const taken = await botA.admit('C1', [alert(1, 'A'), alert(2, 'A'), alert(3, 'A'), alert(4, 'A')]);
    expect(taken.map((a) => a.id)).toEqual([1, 2, 3, 4]);
    // Bot B's channel C1 (the same workspace) is not in a storm, and its alert 4 (another database's) was not taken.
    expect(await botB.admit('C1', [alert(5, 'A')])).toEqual([]);
    expect([...(await botB.took([{ id: 4, channel: 'C1' }]))]).toEqual([]);
    expect([...(await botA.took([{ id: 4, channel: 'C1' }]))]).toEqual([4]);
    await Promise.all([botA.stop(), botB.stop()]);
  });

  it("names a database by where it is, never by who connects: a replica's prefix is its database's", () => {
    const a = databaseKeyPrefix({ databaseUrl: 'postgres://bot:secret@db.internal:5432/incidents?sslmode=require', dataDir: '/x' });
    expect(databaseKeyPrefix({ databaseUrl: 'postgres://other:pw@db.internal/incidents', dataDir: '/y' })).toBe(a);
    expect(databaseKeyPrefix({ databaseUrl: 'postgres://bot:secret@db.internal:5432/staging', dataDir: '/x' })).not.toBe(a);
    expect(databaseKeyPrefix({ dataDir: '/data/a' })).not.toBe(databaseKeyPrefix({ dataDir: '/data/b' }));
    expect(a).toMatch(/^db-[0-9a-f]{12}$/);
  });
});
