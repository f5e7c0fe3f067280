import type { Severity } from '../domain/severity';
import type { Logger } from '../logger';
import type { AlertRecord } from '../domain/alert';

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
  /** Creates or edits the channel's summary, then lists `newAlerts` (those since the last call) in its thread. */
  showStorm(summary: StormSummary, newAlerts: readonly AlertRecord[]): Promise<void>;
}

export interface StormWatchOptions {
  publisher: StormPublisher;
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
   * Counts new alerts of a channel. The ones that arrive while the channel is in a storm are taken (shown by the
   * storm summary, not on their own) and returned; the caller shows the others as usual.
   */
  admit(channel: string, alerts: readonly AlertRecord[]): AlertRecord[];
  /** Whether a storm summary of this process showed the alert (a repeated delivery must not show it again). */
  took(alertId: number): boolean;
  /** Stops the timers and waits for writes in progress (shutdown); another replica's storm goes on. */
  stop(): Promise<void>;
}

/** A notification naming up to this many alerts still gets its own (group) message. */
export const STORM_THRESHOLD = 20;

interface Storm {
  summary: StormSummary;
  pending: AlertRecord[];
  lastAlertAt: number;
  timer?: NodeJS.Timeout;
  writing: Promise<void>;
}

/**
 * Storm mode per channel: past `threshold` new alerts a minute the channel gets one summary message instead of one
 * message per alert; when no new alert came for `calmMs` the summary says the storm is over and alerts are shown one
 * by one again. Kept per process: each replica summarises the alerts it took in.
 */
export function createStormWatch(opts: StormWatchOptions): StormWatch {
  const now = opts.now ?? Date.now;
  const threshold = opts.threshold ?? STORM_THRESHOLD;
  const windowMs = opts.windowMs ?? 60_000;
  const flushMs = opts.flushMs ?? 5_000;
  const calmMs = opts.calmMs ?? 60_000;
  const recent = new Map<string, number[]>();
  // Bounded: the ids of the last alerts storms took, for telling a redelivery from a new alert.
  const taken = new Set<number>();
  const remember = (id: number) => {
    taken.add(id);
    if (taken.size > 100_000) taken.delete(taken.values().next().value!);
  };
  const storms = new Map<string, Storm>();

  const write = (storm: Storm, ended: boolean) => {
    const newAlerts = storm.pending.splice(0);
    const summary: StormSummary = {
      ...storm.summary,
      rows: [...storm.summary.rows].sort((a, b) => b.lastAt.getTime() - a.lastAt.getTime()),
      ...(ended ? { endedAt: new Date(now()) } : {}),
    };
    // One write at a time per channel, in order: the summary must exist before its thread is written to.
    storm.writing = storm.writing
      .then(() => opts.publisher.showStorm(summary, newAlerts))
      .catch((err: Error) => opts.logger.warn({ err: { message: err.message }, channel: summary.channel }, 'storm summary not written'));
    return storm.writing;
  };

  const tick = (channel: string) => {
    const storm = storms.get(channel);
    if (!storm) return;
    storm.timer = undefined;
    const calm = now() - storm.lastAlertAt >= calmMs;
    if (calm) {
      storms.delete(channel);
      opts.logger.info({ channel, alerts: storm.summary.total }, 'alert storm over: alerts are shown one by one again');
      void write(storm, true);
      return;
    }
    if (storm.pending.length) void write(storm, false);
    schedule(channel, storm);
  };
  const schedule = (channel: string, storm: Storm) => {
    if (storm.timer) return;
    const untilCalm = storm.lastAlertAt + calmMs - now();
    storm.timer = setTimeout(() => tick(channel), Math.max(10, storm.pending.length ? flushMs : Math.min(flushMs, untilCalm))).unref();
  };

  return {
    admit: (channel, alerts) => {
      if (alerts.length === 0) return [];
      const t = now();
      const times = (recent.get(channel) ?? []).filter((x) => x > t - windowMs);
      for (let i = 0; i < alerts.length; i++) times.push(t);
      recent.set(channel, times);
      let storm = storms.get(channel);
      if (!storm && times.length <= threshold) return [];
      if (!storm) {
        storm = {
          summary: { channel, startedAt: new Date(t), total: 0, rows: [] },
          pending: [],
          lastAlertAt: t,
          writing: Promise.resolve(),
        };
        storms.set(channel, storm);
        opts.logger.warn({ channel, threshold, windowMs }, 'alert storm: the channel gets one summary instead of a message per alert');
      }
      storm.lastAlertAt = t;
      for (const a of alerts) {
        storm.summary.total++;
        const row = storm.summary.rows.find((r) => r.name === a.name && r.severity === a.severity);
        if (row) {
          row.count++;
          row.lastAt = new Date(t);
        } else storm.summary.rows.push({ name: a.name, severity: a.severity, count: 1, lastAt: new Date(t) });
        storm.pending.push(a);
        remember(a.id);
      }
      // The first alerts of a storm show at once; later ones at most every flushMs.
      if (storm.summary.total === alerts.length) void write(storm, false);
      schedule(channel, storm);
      return [...alerts];
    },
    took: (id) => taken.has(id),
    stop: async () => {
      const all = [...storms.values()];
      storms.clear();
      for (const s of all) clearTimeout(s.timer);
      await Promise.all(all.map((s) => s.writing));
    },
  };
}
