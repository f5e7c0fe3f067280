/**
 * Sends the latest of a stream of states at most once per interval, and always the
 * final one: progress updates of a long message stay within chat.update's rate tier
 * (about 50 per minute) however fast probes finish.
 */
export function createCoalescedUpdater<T>(send: (state: T) => Promise<void>, intervalMs: number, now: () => number = Date.now) {
  let latest: { state: T } | undefined;
  let lastSentAt = -Infinity;
  let inFlight: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const flushLatest = () => {
    timer = undefined;
    const next = latest;
    latest = undefined;
    if (!next) return inFlight;
    lastSentAt = now();
    inFlight = inFlight.then(() => send(next.state)).catch(() => undefined);
    return inFlight;
  };

  return {
    push(state: T): void {
      if (closed) return;
      latest = { state };
      if (timer) return;
      const wait = Math.max(0, lastSentAt + intervalMs - now());
      if (wait === 0) void flushLatest();
      else timer = setTimeout(() => void flushLatest(), wait);
    },
    /** Sends `state` after whatever is in flight, cancelling pending intermediate states. */
    async finish(state: T): Promise<void> {
      closed = true;
      clearTimeout(timer);
      latest = undefined;
      await inFlight;
      await send(state);
    },
  };
}
