import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';

export interface Row {
  bench: string;
  measure: string;
  value: string;
  target: string;
  verdict: 'met' | 'missed' | 'info';
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(samples: number[]): { n: number; p50: number; p99: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

export function ms(n: number): string {
  return `${n.toFixed(1)} ms`;
}

export function machine(): string {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)} at the start`;
}

/** The code measured: the commit, whether src/ differs from it, and BENCH_LABEL when given. */
export function revision(): string {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  const sha = git(['rev-parse', '--short', 'HEAD']) || 'unknown commit';
  const dirty = git(['status', '--porcelain', '--', 'src']) ? ' with uncommitted changes to src/' : '';
  return `code ${sha}${dirty}${process.env.BENCH_LABEL ? ` (${process.env.BENCH_LABEL})` : ''}`;
}

/** Runs `fn` with at most `concurrency` in flight, `total` times. */
export async function runConcurrent(total: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        await fn(i);
      }
    }),
  );
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK)

/**
 * CPU time of a process so far, in seconds: the sum over its threads of the scheduler's run time in nanoseconds
 * (/proc/<pid>/task/<tid>/schedstat, field 1). utime + stime from /proc/<pid>/stat counts in 10 ms ticks, which over
 * a round of ~150 ms of CPU is a ±7 % step; the fallback when schedstat is not available.
 */
export function cpuSeconds(pid: number): number {
  let ns = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // a thread that ended between the listing and the read (the bot and bare Bolt keep theirs for the whole run)
      }
    }
  } catch {
    ns = NaN; // no schedstat here: ticks instead
  }
  if (Number.isFinite(ns) && ns > 0) return ns / 1e9;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may contain spaces: split after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Extra node flags for the bot process under bench (BENCH_BOT_NODE_ARGS, e.g. a heap cap or --trace-gc); they follow and override the
 * default cap.
 */
export function benchBotNodeArgs(): string[] {
  return process.env.BENCH_BOT_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
}
