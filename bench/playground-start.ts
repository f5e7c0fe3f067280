import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../test/support/services';
import { ms, summarize, type Row } from './lib';

const RESTARTS = 3;
const LIMIT_MS = 180_000;
const TARGET_MS = 15_000;
const ROOT = path.resolve(__dirname, '../..');

/**
 * `npm start` with no Slack configured, on a built tree, to the playground's banner: the first start in an empty
 * DATA_DIR (it creates the embedded database) and restarts (they copy it).
 */
export async function playgroundStartBench(): Promise<Row[]> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ib-bench-playground-'));
  const port = await freePort();
  try {
    const first = await startOnce(dataDir, port);
    const restarts: number[] = [];
    for (let i = 0; i < RESTARTS; i++) restarts.push(await startOnce(dataDir, port));
    const r = summarize(restarts);
    return [
      {
        bench: 'playground-start',
        measure: '`npm start` without Slack to the banner, first start (creates the embedded database)',
        value: ms(first),
        target: 'info',
        verdict: 'info',
      },
      {
        bench: 'playground-start',
        measure: `\`npm start\` without Slack to the banner, restarts (copy of the empty database), median / max of ${RESTARTS}`,
        value: `${ms(r.p50)} / ${ms(r.max)}`,
        target: '≤ 15 s',
        verdict: r.p50 <= TARGET_MS ? 'met' : 'missed',
      },
    ];
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The two steps `npm start` runs; resolves with the time to "Playground ready →", after a Ctrl-C and the exit. */
function startOnce(dataDir: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('sh', ['-c', 'node scripts/build-if-stale.js && exec node --max-old-space-size=128 dist/main.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let readyMs: number | undefined;
    const onData = (d: Buffer) => {
      out += d.toString();
      if (readyMs === undefined && out.includes('Playground ready →')) {
        readyMs = performance.now() - started;
        child.kill('SIGINT');
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (readyMs === undefined) reject(new Error(`no banner within ${LIMIT_MS / 1000} s (exit ${code}): ${out.slice(-500)}`));
      else resolve(readyMs);
    });
  });
}
