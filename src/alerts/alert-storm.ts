import type { Severity } from '../domain/severity';
import type { Logger } from '../logger';
import type { AlertRecord } from '../domain/alert';
import type { Coordination, SharedRecord } from '../coordination/coordination';

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

export interface StormWatchOptions {
  publisher: StormPublisher;
  /** Where the window, the counts and the summary's ts live: shared by every replica (Redis), or in-process. */
  coordination: Coordination;
  logger: Logger;
  now?: () => number;
  /** More new alerts than this in a channel within `windowMs` start a storm. */
  threshold?: number;
  windowMs?: number;
  /** The summary and the thread are written at most this often. */
  flushMs?: number;
  /** A storm ends after this long without a new alert in its channel. */
  calmMs?: number;
}

export interface StormWatch {
  /**
   * Counts new alerts of a channel, on every replica alike. The ones that arrive while the channel is in a storm are
   * taken (shown by the storm summary, not on their own) and returned; the caller shows the others as usual.
   */
  admit(channel: string, alerts: readonly AlertRecord[]): Promise<AlertRecord[]>;
  /**
   * Those of these alerts a storm summary took, on any replica (a repeated delivery must not show them again). Keyed
   * by channel and id: alert ids restart with each database, and Redis may be shared beyond this one.
   */
  took(alerts: readonly { id: number; channel: string }[]): Promise<Set<number>>;
  /** Stops the timers and waits for writes in progress (shutdown); the storm goes on with the other replicas. */
  stop(): Promise<void>;
}

/** A notification naming up to this many alerts still gets its own (group) message. */
export const STORM_THRESHOLD = 20;

// A redelivery comes within minutes (Slack) or a repeat interval (Alertmanager, hours, but then as a re-fire).
const TOOK_KEPT_MS = 3600_000;
// Who posts the summary holds this long to do it; past it, another replica may.
const POST_CLAIM_MS = 60_000;

/** What this replica holds of a channel's storm: its alerts not listed yet, and the summary it knows. */
interface LocalStorm {
  pending: AlertRecord[];
  timer?: NodeJS.Timeout;
  writing: Promise<void>;
  startedAt?: string;
  ts?: string;
  /** The storm (its startedAt) whose summary this replica claimed to post: a failed post is retried by it. */
  posting?: string;
}

/**
 * Storm mode per channel, shared by the replicas: past `threshold` new alerts a minute (counted by all replicas in
 * one window) the channel gets one summary message instead of one message per alert. The summary's counts live in a
 * shared record; one replica posts the summary, each lists the alerts it took in its thread, and the summary is
 * edited at most once per `flushMs` by whichever replica gets to it first. When no new alert came for `calmMs` the
 * replica that notices says the storm is over, and alerts are shown one by one again. When the shared store fails,
 * alerts are shown one by one: a storm is politeness, never a reason to lose an alert.
 */
export function createStormWatch(opts: StormWatchOptions): StormWatch {
  const { coordination: shared, publisher, logger } = opts;
  const now = opts.now ?? Date.now;
  const threshold = opts.threshold ?? STORM_THRESHOLD;
  const windowMs = opts.windowMs ?? 60_000;
  const flushMs = opts.flushMs ?? 5_000;
  const calmMs = opts.calmMs ?? 60_000;
  // Outlives the calm period, so the record is there when a replica comes to end the storm.
  const recordMs = calmMs + windowMs + 4 * flushMs;
  const local = new Map<string, LocalStorm>();
  let stopped = false;

  const recordKey = (channel: string) => `storm:${channel}`;

  const schedule = (channel: string, storm: LocalStorm) => {
    if (storm.timer || stopped) return;
    storm.timer = setTimeout(() => {
      storm.timer = undefined;
      void flush(channel, storm);
    }, flushMs).unref();
  };
  // One write at a time per channel, in order: the summary must exist before its thread is written to.
  const flush = (channel: string, storm: LocalStorm) => {
    storm.writing = storm.writing
      .then(() => write(channel, storm))
      .catch((err: Error) => {
        logger.warn({ err: { message: err.message }, channel }, 'storm summary not written; retrying');
        schedule(channel, storm);
      });
    return storm.writing;
  };

  const write = async (channel: string, storm: LocalStorm): Promise<void> => {
    const key = recordKey(channel);
    const record = await shared.readRecord(key);
    if (!record) {
      // Ended (by another replica) or expired: what this replica still holds goes in the thread it knew.
      const rest = storm.pending.splice(0);
      if (rest.length && storm.ts) await publisher.listAlerts(channel, storm.ts, rest);
      if (local.get(channel) === storm && storm.pending.length === 0) local.delete(channel);
      return;
    }
    if (storm.startedAt !== record.startedAt) {
      storm.startedAt = record.startedAt;
      storm.ts = undefined;
    }
    // This replica's own post counts even when recording its ts failed: a retry must not post a second summary.
    let ts = record.ts ?? storm.ts;
    if (!ts && (storm.posting === record.startedAt || (await shared.claim(`storm-post:${channel}:${record.startedAt}`, POST_CLAIM_MS)))) {
      storm.posting = record.startedAt;
      ts = await publisher.postSummary(summaryOf(channel, record), `storm:${channel}:${record.startedAt}`);
      storm.ts = ts;
    }
    if (!ts) {
      // Another replica is posting the summary: this one's alerts go in its thread once it is there.
      schedule(channel, storm);
      return;
    }
    storm.ts = ts;
    if (!record.ts) await shared.updateRecord(key, { set: { ts, shown: record.version! } }, { ttlMs: recordMs, create: false });
    const batch = storm.pending.splice(0);
    try {
      if (batch.length) await publisher.listAlerts(channel, ts, batch);
    } catch (err) {
      storm.pending.unshift(...batch);
      throw err;
    }
    if (record.ts && record.shown !== record.version && (await shared.claim(`storm-edit:${channel}`, Math.max(10, flushMs - 500)))) {
      const latest = (await shared.readRecord(key)) ?? record;
      await publisher.editSummary(ts, summaryOf(channel, latest));
      await shared.updateRecord(key, { set: { shown: latest.version! } }, { ttlMs: recordMs, create: false });
    }
    if (now() - Number(record.lastAt) >= calmMs) {
      const ended = await shared.deleteRecordIf(key, 'lastAt', record.lastAt!);
      if (ended) {
        await publisher.editSummary(ts, { ...summaryOf(channel, ended), endedAt: new Date(now()) });
        logger.info({ channel, alerts: Number(ended.total) }, 'alert storm over: alerts are shown one by one again');
      }
      if (storm.pending.length === 0) {
        if (local.get(channel) === storm) local.delete(channel);
        return;
      }
    }
    schedule(channel, storm);
  };

  return {
    admit: async (channel, alerts) => {
      if (alerts.length === 0 || stopped) return [];
      const t = now();
      const set: Record<string, string> = { lastAt: String(t) };
      const increment: Record<string, number> = { total: alerts.length, version: 1 };
      for (const a of alerts) {
        const row = `${a.severity}|${a.name}`;
        increment[`n|${row}`] = (increment[`n|${row}`] ?? 0) + 1;
        set[`t|${row}`] = String(t);
      }
      let record: SharedRecord | null;
      try {
        const recent = await shared.countInWindow(
          `storm-window:${channel}`,
          alerts.map((a) => String(a.id)),
          windowMs,
        );
        // A storm goes on while alerts keep coming, even below the threshold; it starts only above it.
        record = await shared.updateRecord(
          recordKey(channel),
          { setIfAbsent: { startedAt: String(t) }, set, increment },
          { ttlMs: recordMs, create: recent > threshold },
        );
        if (record)
          await shared.claimMany(
            alerts.map((a) => tookKey(channel, a.id)),
            TOOK_KEPT_MS,
          );
      } catch (err) {
        logger.warn({ err: { message: (err as Error).message }, channel }, 'storm state unavailable: alerts are shown one by one');
        return [];
      }
      if (!record) return [];
      let storm = local.get(channel);
      if (!storm) {
        storm = { pending: [], writing: Promise.resolve() };
        local.set(channel, storm);
      }
      storm.pending.push(...alerts);
      if (Number(record.total) === alerts.length) {
        logger.warn({ channel, threshold, windowMs }, 'alert storm: the channel gets one summary instead of a message per alert');
        // The first alerts of a storm show at once; later ones at most every flushMs.
        void flush(channel, storm);
      } else schedule(channel, storm);
      return [...alerts];
    },
    took: async (alerts) => {
      if (alerts.length === 0) return new Set();
      try {
        const claimed = await shared.areClaimed(alerts.map((a) => tookKey(a.channel, a.id)));
        return new Set(alerts.filter((_, i) => claimed[i]).map((a) => a.id));
      } catch {
        // Unknown: showing an alert twice is better than not at all.
        return new Set();
      }
    },
    stop: async () => {
      stopped = true;
      const all = [...local.values()];
      local.clear();
      for (const s of all) clearTimeout(s.timer);
      await Promise.all(all.map((s) => s.writing));
    },
  };
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

function tookKey(channel: string, alertId: number): string {
  return `storm-took:${channel}:${alertId}`;
}
