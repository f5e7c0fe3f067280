import { Counter, type Registry } from 'prom-client';
import type { Severity } from '../domain/severity';
import type { Logger } from '../logger';
import type { AlertRecord } from '../domain/alert';
import type { Coordination, Lock, SharedRecord } from '../coordination/coordination';

/** A channel's storm as shown in its one summary message. */
export interface StormSummary {
  channel: string;
  startedAt: Date;
  /** Set once the channel has calmed down: the last edit of the summary. */
  endedAt?: Date;
  total: number;
  /** Counts by alert name and severity, the one seen most recently first. */
  rows: { name: string; severity: Severity; count: number; lastAt: Date }[];
}

/** Shows a storm (the Slack side implements it): one summary edited in place, the alerts listed in its thread. */
export interface StormPublisher {
  /** Posts the channel's summary of a new storm; its ts. `key` makes the post idempotent across retries. */
  postSummary(summary: StormSummary, key: string): Promise<string>;
  editSummary(ts: string, summary: StormSummary): Promise<void>;
  /** Lists alerts in the thread of the summary `ts`. */
  listAlerts(channel: string, ts: string, alerts: readonly AlertRecord[]): Promise<void>;
}

/**
 * Thrown by a publisher when Slack will not take the channel's summary however often it is tried: the bot is not in
 * the channel, the channel is archived or gone, the summary was deleted. The storm gives up on that summary.
 */
export class StormChannelRefusedError extends Error {
  readonly code = 'STORM_CHANNEL_REFUSED';
  constructor(
    readonly channel: string,
    readonly reason: string,
  ) {
    super(`Slack refuses the storm summary in ${channel}: ${reason}`);
    this.name = 'StormChannelRefusedError';
  }
}

export interface StormMetrics {
  /** Storm summaries given up because Slack refuses their channel, by Slack's reason. */
  abandoned: Counter<'reason'>;
}

/** The storm's metrics on the bot's Registry. */
export function createStormMetrics(registry: Registry): StormMetrics {
  return {
    abandoned: new Counter({
      name: 'incident_bot_storm_summaries_abandoned_total',
      help: "Alert storm summaries given up because Slack refuses their channel (not_in_channel, is_archived, …), by Slack's reason",
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}

export interface StormWatchOptions {
  publisher: StormPublisher;
  /** Where the window, the counts and the summary's ts live: shared by every replica (Redis), or in-process. */
  coordination: Coordination;
  logger: Logger;
  now?: () => number;
  /** More new alerts than this in a channel within `windowMs` start a storm. */
  threshold?: number;
  windowMs?: number;
  /** The thread gets the alerts taken since its last list at most this often: each list is a post in the channel. */
  flushMs?: number;
  /**
   * The summary is edited at most this often (by all replicas together), and shows a change about this long after it.
   * Default 2 s: Slack's chat.update budget is about 50 a minute per workspace, shared by every storming channel.
   */
  editMs?: number;
  /** A storm ends after this long without a new alert in its channel. */
  calmMs?: number;
  /**
   * Goes in front of every shared key of the storm: the replicas of one bot share it, another bot on the same Redis
   * (another database, whose alert ids restart at 1) has its own. See `databaseKeyPrefix`.
   */
  keyPrefix?: string;
  metrics?: StormMetrics;
  /** How long `stop` may spend listing the alerts still waiting for the thread. */
  stopTimeoutMs?: number;
  /**
   * At most this many alerts wait in memory per channel for the thread (Slack failing for a whole storm); past it the
   * oldest are left out of the thread, still recorded and counted in the summary. Default 2000 (50 thread messages).
   */
  maxPending?: number;
}

export interface StormWatch {
  /**
   * Counts new alerts of a channel, on every replica alike. The ones that arrive while the channel is in a storm are
   * taken (shown by the storm summary, not on their own) and returned; the caller shows the others as usual.
   */
  admit(channel: string, alerts: readonly AlertRecord[]): Promise<AlertRecord[]>;
  /**
   * Those of these alerts a storm summary took, on any replica (a repeated delivery must not show them again). Keyed
   * by channel and id, under the bot's key prefix: alert ids restart with each database.
   */
  took(alerts: readonly { id: number; channel: string }[]): Promise<Set<number>>;
  /**
   * Stops the timers, lists in the thread the alerts taken and not listed yet, and edits the summary to the last
   * count (shutdown); the storm goes on with the other replicas. Waits at most `stopTimeoutMs`.
   */
  stop(): Promise<void>;
}

/** A notification naming up to this many alerts still gets its own (group) message. */
export const STORM_THRESHOLD = 20;

// A redelivery comes within minutes (Slack) or a repeat interval (Alertmanager, hours, but then as a re-fire).
const TOOK_KEPT_MS = 3600_000;
// Who posts the summary holds this long to do it; past it, another replica may.
const POST_CLAIM_MS = 60_000;
// Who edits the summary holds the edit for at most this long (an edit that hangs must not stop the others for good).
const EDIT_LOCK_MS = 10_000;

/** What this replica holds of a channel's storm: its alerts not listed yet, and the summary it knows. */
interface LocalStorm {
  pending: AlertRecord[];
  /** The next list of `pending` in the thread. */
  listTimer?: NodeJS.Timeout;
  /** The next edit of the summary. */
  editTimer?: NodeJS.Timeout;
  /** This replica's posts of the storm, one at a time, in order: the summary exists before its thread. */
  writing: Promise<void>;
  /** This replica's edits of the summary, one at a time. */
  editing: Promise<void>;
  startedAt?: string;
  ts?: string;
  /** The storm (its startedAt) whose summary this replica claimed to post: a failed post is retried by it. */
  posting?: string;
}

type Step = (w: Watch, channel: string, storm: LocalStorm) => Promise<void>;

/** A storm watch's settings and what it holds, shared by the steps below. */
interface Watch {
  shared: Coordination;
  publisher: StormPublisher;
  logger: Logger;
  metrics?: StormMetrics;
  now: () => number;
  threshold: number;
  windowMs: number;
  flushMs: number;
  editMs: number;
  calmMs: number;
  /** How long the shared record outlives its last change. */
  recordMs: number;
  stopTimeoutMs: number;
  maxPending: number;
  keyOf: StormKeys;
  local: Map<string, LocalStorm>;
  /** The edit locks this replica holds to the end of their slot, released at once when it stops. */
  heldEdits: Map<NodeJS.Timeout, () => void>;
  stopped: boolean;
}

/**
 * Storm mode per channel, shared by the replicas: past `threshold` new alerts a minute (counted by all replicas in
 * one window) the channel gets one summary message instead of one message per alert. The summary's counts live in a
 * shared record; one replica posts the summary, each lists the alerts it took in its thread every `flushMs` (a post,
 * paced with the channel's others), and the summary is edited at most once per `editMs` by whichever replica holds
 * the edit, shortly after each change (edits are not posts: the channel's post budget does not hold them up). When
 * no new alert came for `calmMs` the replica that notices says the storm is over, and alerts are shown one by one
 * again. When the shared store fails, alerts are shown one by one: a storm is politeness, never a reason to lose an
 * alert. When Slack refuses the channel, the summary is given up until the storm is over.
 */
export function createStormWatch(opts: StormWatchOptions): StormWatch {
  const calmMs = opts.calmMs ?? 60_000;
  const windowMs = opts.windowMs ?? 60_000;
  const flushMs = opts.flushMs ?? 5_000;
  const w: Watch = {
    shared: opts.coordination,
    publisher: opts.publisher,
    logger: opts.logger,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    now: opts.now ?? Date.now,
    threshold: opts.threshold ?? STORM_THRESHOLD,
    windowMs,
    flushMs,
    editMs: opts.editMs ?? 2_000,
    calmMs,
    // Outlives the calm period, so the record is there when a replica comes to end the storm.
    recordMs: calmMs + windowMs + 4 * flushMs,
    stopTimeoutMs: opts.stopTimeoutMs ?? 10_000,
    maxPending: opts.maxPending ?? 2_000,
    keyOf: stormKeys(opts.keyPrefix ?? ''),
    local: new Map(),
    heldEdits: new Map(),
    stopped: false,
  };
  return {
    admit: (channel, alerts) => admit(w, channel, alerts),
    took: async (alerts) => {
      if (alerts.length === 0) return new Set();
      try {
        const claimed = await w.shared.areClaimed(alerts.map((a) => w.keyOf.took(a.channel, a.id)));
        return new Set(alerts.filter((_, i) => claimed[i]).map((a) => a.id));
      } catch {
        // Unknown: showing an alert twice is better than not at all.
        return new Set();
      }
    },
    stop: () => stop(w),
  };
}

async function admit(w: Watch, channel: string, alerts: readonly AlertRecord[]): Promise<AlertRecord[]> {
  if (alerts.length === 0 || w.stopped) return [];
  const record = await count(w, channel, alerts);
  if (!record) return [];
  // Slack refuses the channel: the storm's alerts are counted and recorded, not shown (they could not be).
  if (record.refused) return [...alerts];
  let storm = w.local.get(channel);
  if (!storm) {
    storm = { pending: [], writing: Promise.resolve(), editing: Promise.resolve() };
    w.local.set(channel, storm);
  }
  storm.pending.push(...alerts);
  trimPending(w, channel, storm);
  if (Number(record.total) === alerts.length) {
    w.logger.warn(
      { channel, threshold: w.threshold, windowMs: w.windowMs },
      'alert storm: the channel gets one summary instead of a message per alert',
    );
    // The first alerts of a storm show at once; later ones are counted in the summary within about `editMs` and
    // listed in its thread every `flushMs`.
    void run(w, channel, storm, list);
  } else {
    scheduleList(w, channel, storm);
    scheduleEdit(w, channel, storm);
  }
  return [...alerts];
}

/** Counts `alerts` in the channel's window and, in a storm, in its record; the record, or null when not in a storm. */
async function count(w: Watch, channel: string, alerts: readonly AlertRecord[]): Promise<SharedRecord | null> {
  const t = w.now();
  const set: Record<string, string> = { lastAt: String(t) };
  const increment: Record<string, number> = { total: alerts.length, version: 1 };
  for (const a of alerts) {
    const row = `${a.severity}|${a.name}`;
    increment[`n|${row}`] = (increment[`n|${row}`] ?? 0) + 1;
    set[`t|${row}`] = String(t);
  }
  try {
    const recent = await w.shared.countInWindow(
      w.keyOf.window(channel),
      alerts.map((a) => String(a.id)),
      w.windowMs,
    );
    // A storm goes on while alerts keep coming, even below the threshold; it starts only above it.
    const record = await w.shared.updateRecord(
      w.keyOf.record(channel),
      { setIfAbsent: { startedAt: String(t) }, set, increment },
      { ttlMs: w.recordMs, create: recent > w.threshold },
    );
    if (record)
      await w.shared.claimMany(
        alerts.map((a) => w.keyOf.took(channel, a.id)),
        TOOK_KEPT_MS,
      );
    return record;
  } catch (err) {
    w.logger.warn({ err: { message: (err as Error).message }, channel }, 'storm state unavailable: alerts are shown one by one');
    return null;
  }
}

/**
 * One thread write at a time per channel, in order (the summary exists before its thread), and one edit at a time
 * beside them: an edit needs only the summary's ts, and must not wait for a list's turn in the channel's posts.
 * A refused channel gives up the summary; other failures are retried.
 */
function run(w: Watch, channel: string, storm: LocalStorm, step: Step, lane: 'writing' | 'editing' = 'writing'): Promise<void> {
  storm[lane] = storm[lane]
    .then(() => step(w, channel, storm))
    .catch(async (err: Error) => {
      if (err instanceof StormChannelRefusedError) return giveUp(w, channel, storm, err);
      w.logger.warn({ err: { message: err.message }, channel }, 'storm summary not written; retrying');
      if (lane === 'editing') scheduleEdit(w, channel, storm, w.flushMs);
      else scheduleList(w, channel, storm);
    });
  return storm[lane];
}

function scheduleList(w: Watch, channel: string, storm: LocalStorm): void {
  if (storm.listTimer || w.stopped) return;
  storm.listTimer = setTimeout(() => {
    storm.listTimer = undefined;
    void run(w, channel, storm, list);
  }, w.flushMs).unref();
}

/**
 * An edit goes at once when the slot is free; otherwise it looks again a few times per slot, so that the last
 * change shows within about `editMs` of the edit before it.
 */
function scheduleEdit(w: Watch, channel: string, storm: LocalStorm, delayMs = 0): void {
  if (storm.editTimer || w.stopped) return;
  storm.editTimer = setTimeout(() => {
    storm.editTimer = undefined;
    void run(w, channel, storm, edit, 'editing');
  }, delayMs).unref();
}

function forget(w: Watch, channel: string, storm: LocalStorm): void {
  if (w.local.get(channel) === storm && storm.pending.length === 0) w.local.delete(channel);
}

async function giveUp(w: Watch, channel: string, storm: LocalStorm, err: StormChannelRefusedError): Promise<void> {
  clearTimeout(storm.listTimer);
  clearTimeout(storm.editTimer);
  storm.listTimer = storm.editTimer = undefined;
  const dropped = storm.pending.splice(0).map((a) => a.id);
  forget(w, channel, storm);
  // The other replicas stop too; the record stays, so the storm's alerts are still taken (the channel refuses
  // messages of their own as well) until it expires, calm, and the next storm tries again.
  const record = await w.shared
    .updateRecord(w.keyOf.record(channel), { setIfAbsent: { refused: err.reason } }, { ttlMs: w.recordMs, create: false })
    .catch(() => null);
  const first = await w.shared.claim(w.keyOf.refused(channel, record?.startedAt ?? storm.startedAt ?? '0'), w.recordMs).catch(() => true);
  if (!first) return;
  w.metrics?.abandoned.inc({ reason: err.reason });
  w.logger.error(
    { channel, reason: err.reason, notListed: dropped },
    'Slack refuses the alert storm summary in this channel: given up until the storm is over (the alerts are recorded)',
  );
}

/** The summary's ts, posting it when no replica has (once per storm). Undefined: another replica is posting it. */
async function summaryTs(w: Watch, channel: string, storm: LocalStorm, record: SharedRecord): Promise<string | undefined> {
  if (storm.startedAt !== record.startedAt) {
    storm.startedAt = record.startedAt;
    storm.ts = undefined;
  }
  // This replica's own post counts even when recording its ts failed: a retry must not post a second summary.
  if (record.ts ?? storm.ts) return (storm.ts = record.ts ?? storm.ts);
  if (storm.posting !== record.startedAt && !(await w.shared.claim(w.keyOf.post(channel, record.startedAt!), POST_CLAIM_MS)))
    return undefined;
  storm.posting = record.startedAt;
  storm.ts = await w.publisher.postSummary(summaryOf(channel, record), `storm:${channel}:${record.startedAt}`);
  await w.shared.updateRecord(
    w.keyOf.record(channel),
    { set: { ts: storm.ts, shown: record.version! } },
    { ttlMs: w.recordMs, create: false },
  );
  return storm.ts;
}

/** Lists this replica's taken alerts in the thread, asks for an edit when the counts moved, ends a calm storm. */
const list: Step = async (w, channel, storm) => {
  const record = await w.shared.readRecord(w.keyOf.record(channel));
  if (!record || record.refused) {
    // Ended (by another replica), expired or refused: what this replica still holds goes in the thread it knew.
    const rest = storm.pending.splice(0);
    if (rest.length && storm.ts && !record?.refused) await w.publisher.listAlerts(channel, storm.ts, rest);
    return forget(w, channel, storm);
  }
  const ts = await summaryTs(w, channel, storm, record);
  // Another replica is posting the summary: this one's alerts go in its thread once it is there.
  if (!ts) return scheduleList(w, channel, storm);
  // Counts that moved since the summary was posted or last edited (the edit itself checks) show shortly.
  scheduleEdit(w, channel, storm);
  await listPending(w, channel, storm, ts);
  if (w.now() - Number(record.lastAt) >= w.calmMs && !(await end(w, channel, storm, ts, record))) return;
  scheduleList(w, channel, storm);
};

async function listPending(w: Watch, channel: string, storm: LocalStorm, ts: string): Promise<void> {
  const batch = storm.pending.splice(0);
  try {
    if (batch.length) await w.publisher.listAlerts(channel, ts, batch);
  } catch (err) {
    storm.pending.unshift(...batch);
    trimPending(w, channel, storm);
    throw err;
  }
}

/**
 * Alerts wait for the thread in memory; while Slack fails for a long storm they would pile up to the heap's cap. The
 * oldest past `maxPending` are left out of the thread (they are recorded, and counted in the summary).
 */
function trimPending(w: Watch, channel: string, storm: LocalStorm): void {
  const over = storm.pending.length - w.maxPending;
  if (over <= 0) return;
  const ids = storm.pending.splice(0, over).map((a) => a.id);
  // A long outage can drop thousands: the log line names the first hundred and says how many.
  w.logger.warn(
    { channel, notListed: ids.slice(0, 100), count: ids.length },
    'storm thread too far behind: these alerts are left out of it (recorded, and counted in the summary)',
  );
}

/** Says the storm is over when no alert came since `record` was read; false when this replica is done with it. */
async function end(w: Watch, channel: string, storm: LocalStorm, ts: string, record: SharedRecord): Promise<boolean> {
  const lock = await w.shared.acquireLock(w.keyOf.edit(channel), EDIT_LOCK_MS);
  // Another replica is editing: the next list tries again, so the last word on the summary is "over".
  if (!lock) return true;
  try {
    const ended = await w.shared.deleteRecordIf(w.keyOf.record(channel), 'lastAt', record.lastAt!);
    if (ended) {
      await w.publisher.editSummary(ts, { ...summaryOf(channel, ended), endedAt: new Date(w.now()) });
      w.logger.info({ channel, alerts: Number(ended.total) }, 'alert storm over: alerts are shown one by one again');
    }
  } finally {
    await lock.release().catch(() => undefined);
  }
  if (storm.pending.length > 0) return true;
  forget(w, channel, storm);
  return false;
}

/** Shows the latest counts in the summary, unless they are shown; one replica at a time, once per `editMs`. */
const edit: Step = async (w, channel, storm) => {
  if ((await showLatest(w, channel)) === 'busy') scheduleEdit(w, channel, storm, Math.max(10, w.editMs / 4));
};

/** Edits the summary to the shared counts if they moved; 'busy' when another edit holds the slot or came since. */
async function showLatest(w: Watch, channel: string): Promise<'busy' | 'done'> {
  const key = w.keyOf.record(channel);
  const record = await w.shared.readRecord(key);
  const ts = record?.ts;
  // No record: ended or expired. No ts yet: the list that posts the summary asks for the edit after it.
  if (!record || !ts || record.refused || record.shown === record.version) return 'done';
  const started = w.now();
  const lock = await w.shared.acquireLock(w.keyOf.edit(channel), EDIT_LOCK_MS);
  if (!lock) return 'busy';
  let latest: SharedRecord | null = null;
  try {
    latest = await w.shared.readRecord(key);
    if (latest && !latest.refused) {
      await w.publisher.editSummary(ts, summaryOf(channel, latest));
      await w.shared.updateRecord(key, { set: { shown: latest.version! } }, { ttlMs: w.recordMs, create: false });
    }
  } finally {
    holdToSlotEnd(w, lock, started);
  }
  // Changed while this edit was on its way: a trailing edit shows it.
  const after = latest ? await w.shared.readRecord(key) : null;
  return after && after.version !== latest!.version ? 'busy' : 'done';
}

/** The edit lock is held to the end of its slot: the next edit, on any replica, comes `editMs` after this one began. */
function holdToSlotEnd(w: Watch, lock: Lock, started: number): void {
  const release = () => void lock.release().catch(() => undefined);
  const left = started + w.editMs - w.now();
  if (left <= 0 || w.stopped) return release();
  const timer = setTimeout(() => {
    w.heldEdits.delete(timer);
    release();
  }, left).unref();
  w.heldEdits.set(timer, release);
}

/** At shutdown: the taken alerts not listed yet go in the thread, and the summary shows the last count. */
const finish: Step = async (w, channel, storm) => {
  await storm.editing;
  const record = await w.shared.readRecord(w.keyOf.record(channel));
  const ts = record?.ts ?? storm.ts;
  if (!ts || record?.refused) return;
  await listPending(w, channel, storm, ts);
  // Another replica's edit holds the slot at most `editMs`; then this one shows what it counted.
  for (let tries = 0; tries < 3 && (await showLatest(w, channel)) === 'busy'; tries++) await new Promise((r) => setTimeout(r, w.editMs));
};

async function stop(w: Watch): Promise<void> {
  w.stopped = true;
  const all = [...w.local.entries()];
  w.local.clear();
  for (const [, s] of all) {
    clearTimeout(s.listTimer);
    clearTimeout(s.editTimer);
  }
  for (const [timer, release] of w.heldEdits) {
    clearTimeout(timer);
    release();
  }
  w.heldEdits.clear();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((r) => (timer = setTimeout(r, w.stopTimeoutMs).unref()));
  await Promise.race([Promise.all(all.map(([channel, s]) => run(w, channel, s, finish))), timeout]);
  clearTimeout(timer);
  const left = all.flatMap(([channel, s]) => (s.pending.length ? [{ channel, alerts: s.pending.map((a) => a.id) }] : []));
  if (left.length)
    w.logger.error({ channels: left }, 'storm alerts not listed in their summary thread at shutdown (they are recorded and counted)');
}

/** The summary as the shared record holds it: counts by alert name and severity, the one seen most recently first. */
function summaryOf(channel: string, record: SharedRecord): StormSummary {
  const rows: StormSummary['rows'] = [];
  for (const [field, value] of Object.entries(record)) {
    if (!field.startsWith('n|')) continue;
    const row = field.slice(2);
    const bar = row.indexOf('|');
    rows.push({
      name: row.slice(bar + 1),
      severity: row.slice(0, bar) as Severity,
      count: Number(value),
      lastAt: new Date(Number(record[`t|${row}`] ?? record.lastAt)),
    });
  }
  rows.sort((a, b) => b.lastAt.getTime() - a.lastAt.getTime() || b.count - a.count || (a.name < b.name ? -1 : 1));
  return { channel, startedAt: new Date(Number(record.startedAt)), total: Number(record.total ?? 0), rows };
}

/**
 * The storm's shared keys, each behind the bot's key prefix: a channel id is the same for every bot in a workspace,
 * and an alert id is the same in every database.
 */
type StormKeys = ReturnType<typeof stormKeys>;

function stormKeys(prefix: string) {
  const k = (kind: string, ...parts: string[]) => [kind, ...(prefix ? [prefix] : []), ...parts].join(':');
  return {
    record: (channel: string) => k('storm', channel),
    window: (channel: string) => k('storm-window', channel),
    post: (channel: string, startedAt: string) => k('storm-post', channel, startedAt),
    edit: (channel: string) => k('storm-edit', channel),
    refused: (channel: string, startedAt: string) => k('storm-refused', channel, startedAt),
    took: (channel: string, alertId: number) => k('storm-took', channel, String(alertId)),
  };
}
