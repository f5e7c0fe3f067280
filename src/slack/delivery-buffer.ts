import type { Logger } from '../logger';

/**
 * Slack deliveries that arrived while PostgreSQL was unreachable. Slack has already had
 * its 200 (Bolt acks events first), so it will not retry them: the bot keeps them in
 * memory, bounded, and replays them through Bolt once the database answers again.
 * They are lost only if the process dies during the outage or the buffer overflows
 * (both logged and counted).
 */
export interface DeliveryBuffer<T> {
  /** False when the buffer is full and the delivery was dropped. */
  push(entry: T): boolean;
  size(): number;
  start(): void;
  stop(): void;
  /** Replays what is buffered now if storage answers; resolves with how many went through. */
  drain(): Promise<number>;
}

export interface DeliveryBufferDeps<T> {
  replay(entry: T): Promise<void>;
  storageUp(): Promise<boolean>;
  logger: Logger;
  capacity?: number;
  intervalMs?: number;
  onChange?(size: number): void;
  onDrop?(): void;
}

export function createDeliveryBuffer<T>(deps: DeliveryBufferDeps<T>): DeliveryBuffer<T> {
  const capacity = deps.capacity ?? 10_000;
  const queue: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  let draining = false;
  let warned = false;

  const drain = async (): Promise<number> => {
    if (draining || queue.length === 0) return 0;
    draining = true;
    let done = 0;
    try {
      if (!(await deps.storageUp())) return 0;
      while (queue.length) {
        const entry = queue[0]!;
        try {
          await deps.replay(entry);
        } catch (err) {
          // Storage failed again mid-drain: keep this one and the rest for the next round.
          deps.logger.warn({ err: { message: (err as Error).message }, left: queue.length }, 'replaying buffered deliveries paused');
          break;
        }
        queue.shift();
        done++;
        deps.onChange?.(queue.length);
      }
      if (done) deps.logger.info({ replayed: done, left: queue.length }, 'buffered deliveries replayed after the storage outage');
      if (queue.length === 0) warned = false;
      return done;
    } finally {
      draining = false;
    }
  };

  return {
    push: (entry) => {
      if (queue.length >= capacity) {
        deps.onDrop?.();
        deps.logger.error({ capacity }, 'delivery buffer full: a Slack delivery received during the storage outage was dropped');
        return false;
      }
      queue.push(entry);
      deps.onChange?.(queue.length);
      if (!warned) {
        warned = true;
        deps.logger.warn('storage unavailable: buffering Slack deliveries in memory until PostgreSQL answers');
      }
      return true;
    },
    size: () => queue.length,
    start: () => {
      timer = setInterval(() => void drain(), deps.intervalMs ?? 1_000);
      timer.unref();
    },
    stop: () => clearInterval(timer),
    drain,
  };
}
