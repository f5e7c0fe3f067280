/** Readiness inputs: each check answers ok or a reason an operator can act on. */
export type CheckResult = { ok: true } | { ok: false; reason: string };
export type ReadinessCheck = () => Promise<CheckResult>;

export interface Health {
  live(): { status: 'ok' };
  startup(): { started: boolean };
  ready(): Promise<{ ready: boolean; checks: Record<string, CheckResult> }>;
  markStarted(): void;
  markStopping(): void;
}

export function createHealth(checks: Record<string, ReadinessCheck>, timeoutMs = 1_500): Health {
  let started = false;
  let stopping = false;
  return {
    live: () => ({ status: 'ok' }),
    startup: () => ({ started }),
    markStarted: () => {
      started = true;
    },
    markStopping: () => {
      stopping = true;
    },
    ready: async () => {
      const results: Record<string, CheckResult> = {};
      if (!started) results.startup = { ok: false, reason: 'still starting' };
      if (stopping) results.shutdown = { ok: false, reason: 'shutting down' };
      await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          results[name] = await runCheck(check, timeoutMs);
        }),
      );
      return { ready: Object.values(results).every((r) => r.ok), checks: results };
    },
  };
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check(),
      new Promise<CheckResult>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
      }),
    ]);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
