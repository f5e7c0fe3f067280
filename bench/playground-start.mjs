#!/usr/bin/env node
/* global process, performance, setTimeout, clearTimeout, console */
// Time from `npm start` with no Slack configured (on a built tree) to the playground's banner, as a newcomer sees it:
// a first start in an empty DATA_DIR (the embedded database is created) and then restarts (it is copied).
// Usage: npm run build && node bench/playground-start.mjs [restarts=3]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const restarts = Number(process.argv[2] ?? 3);
const dataDir = mkdtempSync(path.join(tmpdir(), 'ib-bench-playground-'));
const port = 3900 + Math.floor(Math.random() * 90);

/** One `npm start` (the same two steps package.json runs), until the banner; then Ctrl-C and wait for the exit. */
function startOnce() {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('sh', ['-c', 'node scripts/build-if-stale.js && exec node --max-old-space-size=128 dist/main.js'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let readyMs;
    const onData = (d) => {
      out += d.toString();
      if (readyMs === undefined && out.includes('Playground ready →')) {
        readyMs = performance.now() - started;
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (readyMs === undefined) reject(new Error(`no banner (exit ${code}):\n${out.slice(-2000)}`));
      else resolve({ readyMs, banner: /Playground ready → \S+/.exec(out)?.[0], steps: out.split('\n').filter((l) => l.startsWith('incident-bot: ')) });
    });
  });
}

try {
  console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the start; PORT=${port}`);
  const first = await startOnce();
  console.log(`first start (creates the embedded database): ${(first.readyMs / 1000).toFixed(1)} s → ${first.banner}`);
  for (const s of first.steps) console.log(`  ${s}`);
  const times = [];
  for (let i = 0; i < restarts; i++) times.push((await startOnce()).readyMs);
  times.sort((a, b) => a - b);
  if (times.length) console.log(`restarts (copy of the empty database), median / max of ${times.length}: ${(times[Math.floor(times.length / 2)] / 1000).toFixed(1)} s / ${(times[times.length - 1] / 1000).toFixed(1)} s (target ≤ 15 s)`);
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
