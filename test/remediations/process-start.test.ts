import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processStart } from '../../src/remediations/process-start';
import type { ResolvedTarget } from '../../src/targets/target';
import type { RemediationContext } from '../../src/remediations/types';
import { freePort } from '../support/services';
import { loadConfig } from '../../src/config';
import { actionContext, target } from './harness';

// A stand-in for `memory_daemon.py start`: writes its PID file once its /health endpoint listens, and records the
// environment variable names it was given.
const FAKE_DAEMON = `
const fs = require('fs'), http = require('http');
const [port, pidfile] = process.argv.slice(2);
fs.writeFileSync('env.json', JSON.stringify(Object.keys(process.env)));
http.createServer((q, s) => { s.writeHead(q.url === '/health' ? 200 : 404); s.end('ok'); })
  .listen(Number(port), '127.0.0.1', () => fs.writeFileSync(pidfile, String(process.pid)));
`;

let home: string;
let repo: string;
const started: number[] = [];
beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'ibt-start-home-'));
  repo = await mkdtemp(path.join(tmpdir(), 'ibt-start-repo-'));
  await writeFile(path.join(repo, 'fake-daemon.js'), FAKE_DAEMON);
});
afterEach(async () => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rm(home, { recursive: true, force: true });
  await rm(repo, { recursive: true, force: true });
});

function context(port: number, labels: Record<string, string> = {}): RemediationContext {
  const targets: Record<string, ResolvedTarget> = {
    'daemon-home': target('daemon-home', 'files', { root: home }),
    'daemon-repo': target('daemon-repo', 'files', { root: repo }),
    daemon: target('daemon', 'http', { url: `http://127.0.0.1:${port}` }),
  };
  // the environment the bot process would hand on: loadConfig picks it out of its own (a token among them here)
  const { childProcessEnv } = loadConfig({ PATH: process.env.PATH, LANG: 'C.UTF-8', SLACK_BOT_TOKEN_FOR_TEST: 'xoxb-must-not-leak' });
  return { ...actionContext(targets['daemon-home'], labels), targetNamed: (name) => targets[name], childEnv: childProcessEnv };
}

describe('process.start (seed 000: start the daemon fresh)', () => {
  it('removes the stale PID file, starts the allow-listed argv without a shell or the bot secrets, verified by PID file and health', async () => {
    const port = await freePort();
    const ctx = context(port);
    await writeFile(path.join(home, 'memory-daemon.pid'), '999999');
    const params = processStart.params.parse({
      argv: [process.execPath, 'fake-daemon.js', String(port), path.join(home, 'memory-daemon.pid')],
      workdirTarget: 'daemon-repo',
      pidfile: 'memory-daemon.pid',
      health: { target: 'daemon' },
      verifySeconds: 20,
    });
    process.env.SLACK_BOT_TOKEN_FOR_TEST = 'xoxb-must-not-leak';
    try {
      const preview = await processStart.preview(params, ctx);
      expect(preview.items).toEqual([
        'remove stale PID file memory-daemon.pid (process 999999 gone)',
        `run ${JSON.stringify(process.execPath)} "fake-daemon.js" "${port}" ${JSON.stringify(path.join(home, 'memory-daemon.pid'))} in daemon-repo (no shell, no inherited secrets)`,
        `then wait up to 20 s for a running process in memory-daemon.pid and HTTP 2xx from http://127.0.0.1:${port}/health`,
      ]);
      const result = await processStart.execute(params, preview, ctx);
      const pid = (result.data as { pid: number }).pid;
      started.push(pid);
      expect(result.items).toEqual(['removed stale PID file memory-daemon.pid', `started ${process.execPath} as process ${pid}`]);
      const verification = await processStart.verify(params, preview, result, ctx);
      expect(verification).toEqual({
        status: 'passed',
        summary: `process ${pid} is running (memory-daemon.pid); http://127.0.0.1:${port}/health answered 200`,
      });
      const envNames = JSON.parse(await readFile(path.join(repo, 'env.json'), 'utf8')) as string[];
      expect(envNames).not.toContain('SLACK_BOT_TOKEN_FOR_TEST');
      expect(envNames.filter((n) => ['PATH', 'HOME', 'LANG', 'TZ'].includes(n)).sort()).toEqual(['LANG', 'PATH']);
      expect(envNames.every((n) => ['PATH', 'HOME', 'LANG', 'TZ'].includes(n))).toBe(true);
      // running now: a second start is refused at preview
      await expect(processStart.preview(params, ctx)).rejects.toThrow(
        `already running: process ${pid} from memory-daemon.pid; nothing to start`,
      );
    } finally {
      delete process.env.SLACK_BOT_TOKEN_FOR_TEST;
    }
  });

  it('a program that exits with an error fails verification with its exit code', async () => {
    const port = await freePort();
    const ctx = context(port);
    const params = processStart.params.parse({
      argv: [process.execPath, '-e', 'process.exit(3)'],
      workdirTarget: 'daemon-repo',
      pidfile: 'memory-daemon.pid',
      verifySeconds: 20,
    });
    const preview = await processStart.preview(params, ctx);
    expect(preview.items[0]).toMatch(/^run .* in daemon-repo/);
    const result = await processStart.execute(params, preview, ctx);
    expect(await processStart.verify(params, preview, result, ctx)).toEqual({
      status: 'failed',
      summary: `process ${(result.data as { pid: number }).pid} exited with code 3`,
    });
  });

  it('a missing program is refused; labels never choose the program nor become options', async () => {
    const port = await freePort();
    const missing = processStart.params.parse({ argv: ['/nonexistent/memory_daemon'], pidfile: 'memory-daemon.pid' });
    const preview = await processStart.preview(missing, context(port));
    await expect(processStart.execute(missing, preview, context(port))).rejects.toThrow(
      /could not start \/nonexistent\/memory_daemon: spawn \/nonexistent\/memory_daemon ENOENT/,
    );
    expect(processStart.params.safeParse({ argv: ['{{program}}'], pidfile: 'x.pid' }).success).toBe(false);
    const withLabel = processStart.params.parse({ argv: [process.execPath, 'fake-daemon.js', '{{agent}}'], pidfile: 'x.pid' });
    await expect(processStart.preview(withLabel, context(port, { agent: '--inspect' }))).rejects.toThrow(
      /would start with "-" from a label value: refused/,
    );
  });
});
