import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { watchBotLog } from './listener-errors';
import { freePort } from './services';

// Works from test/support and from its compiled copy under dist-bench/ alike.
const MAIN = path.join(projectRoot(__dirname), 'dist', 'main.js');

function projectRoot(from: string): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

export interface BotProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Every JSON log line the bot printed so far, parsed. */
  logs(): Record<string, unknown>[];
  /** Raw stdout + stderr, for assertions that nothing secret leaked. */
  output(): string;
  waitForReady(timeoutMs?: number): Promise<void>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts the built bot (dist/main.js) as a separate process, the way an operator does,
 * with exactly the environment given (plus PATH). `npm test` builds first.
 */
export async function startBot(
  env: Record<string, string | undefined>,
  opts: { nodeArgs?: string[]; /** Another build's dist/main.js (an earlier release). */ main?: string } = {},
): Promise<BotProcess> {
  const main = opts.main ?? MAIN;
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` (npm test does it for you)`);
  const port = env.PORT ? Number(env.PORT) : await freePort();
  // Exactly as `npm start` runs it (package.json), heap cap included; benches may add node flags (--cpu-prof).
  const child = spawn(process.execPath, ['--max-old-space-size=128', ...(opts.nodeArgs ?? []), main], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'debug', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  watchBotLog(`bot on port ${port}`, () => out);
  return {
    url,
    port,
    child,
    output: () => out,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return { unparsed: l };
          }
        }),
    waitForReady: async (timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`the bot exited with ${child.exitCode} before it was ready:\n${out.slice(-3000)}`);
        try {
          const res = await fetch(`${url}/health/ready`);
          last = await res.text();
          if (res.status === 200) return;
        } catch (err) {
          last = (err as Error).message;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`the bot was not ready within ${timeoutMs} ms (last answer: ${last})\n${out.slice(-3000)}`);
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
