#!/usr/bin/env node
// Compiles src/ into dist/ only when a source or tsconfig is newer than dist/main.js, so `npm start` on an
// up-to-date build starts the bot at once. A build with type errors emits nothing (noEmitOnError), so dist/ stays
// older than the sources and the next start tries again instead of running stale code.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const output = path.join(root, 'dist', 'main.js');

function newestMtime(entry) {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted or renamed file shows only as a newer directory
  for (const name of fs.readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

function isStale() {
  if (!fs.existsSync(output)) return 'dist/main.js does not exist yet';
  const built = fs.statSync(output).mtimeMs;
  const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json'].map((p) => path.join(root, p));
  const changed = inputs.find((p) => fs.existsSync(p) && newestMtime(p) > built);
  return changed ? `${path.relative(root, changed)} changed since the last build` : undefined;
}

const reason = isStale();
if (reason) {
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  } catch {
    process.stderr.write(`incident-bot: ${reason} and TypeScript is not installed: run npm install (or npm ci), then npm run build\n`);
    process.exit(1);
  }
  process.stderr.write(`incident-bot: ${reason}: compiling (npm run build; about half a minute the first time)…\n`);
  const started = Date.now();
  // A silent half minute reads as a hang: say that the compiler is still at work.
  const ticker = setInterval(
    () => process.stderr.write(`incident-bot: still compiling… ${Math.round((Date.now() - started) / 1000)} s\n`),
    5000,
  );
  const child = spawn(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  child.on('exit', (code, signal) => {
    clearInterval(ticker);
    if (code !== 0) {
      process.stderr.write('incident-bot: the build failed (errors above); dist/ was left as it was\n');
      process.exit(code ?? (signal ? 1 : 1));
    }
    process.stderr.write(`incident-bot: compiled in ${Math.round((Date.now() - started) / 1000)} s\n`);
  });
}
