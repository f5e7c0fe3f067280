import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocksRemoveStale, locksRemoveStale } from '../../src/remediations/locks-remove-stale';
import { processSignal } from '../../src/remediations/process-signal';
import { tasksFailStuck } from '../../src/remediations/tasks-fail-stuck';
import { tasksRequeueStuck } from '../../src/remediations/tasks-requeue-stuck';
import { actionContext, target } from './harness';

let root: string;
let outside: string;
const children: ChildProcess[] = [];
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ibt-rem-root-'));
  outside = await mkdtemp(path.join(tmpdir(), 'ibt-rem-outside-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

const filesTarget = () => target('shared', 'files', { root });

async function writeAged(file: string, content: string, ageMinutes: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  const t = new Date(Date.now() - ageMinutes * 60_000);
  await utimes(file, t, t);
}

describe('tasks.requeue-stuck (seed 001)', () => {
  it('moves stuck active tasks back to pending with retry_count + 1 and the failure reason; fresh ones stay', async () => {
    await writeAged(path.join(root, 'tasks/marie/active/t1.json'), JSON.stringify({ id: 't1', retry_count: 2 }), 30);
    await writeAged(path.join(root, 'tasks/marie/active/t2.json'), JSON.stringify({ id: 't2' }), 11);
    await writeAged(path.join(root, 'tasks/marie/active/fresh.json'), JSON.stringify({ id: 'fresh' }), 1);
    await writeAged(path.join(root, 'tasks/anga/active/other.json'), JSON.stringify({ id: 'other' }), 60);
    const params = tasksRequeueStuck.params.parse({ dir: 'tasks/{{worker}}', olderThanMinutes: 10, reason: 'worker_crash' });
    const ctx = actionContext(filesTarget(), { worker: 'marie' });
    const preview = await tasksRequeueStuck.preview(params, ctx);
    expect(preview.items).toEqual(['tasks/marie/active/t1.json (30 min old)', 'tasks/marie/active/t2.json (11 min old)']);
    const result = await tasksRequeueStuck.execute(params, preview, ctx);
    expect(await tasksRequeueStuck.verify(params, preview, result, ctx)).toMatchObject({ status: 'passed' });
    const t1 = JSON.parse(await readFile(path.join(root, 'tasks/marie/pending/t1.json'), 'utf8'));
    expect(t1).toMatchObject({ id: 't1', retry_count: 3, failure_reason: 'worker_crash' });
    expect(typeof t1.last_failure).toBe('number');
    expect(JSON.parse(await readFile(path.join(root, 'tasks/marie/pending/t2.json'), 'utf8')).retry_count).toBe(1);
    expect(await readdir(path.join(root, 'tasks/marie/active'))).toEqual(['fresh.json']);
    expect(await readdir(path.join(root, 'tasks/anga/active'))).toEqual(['other.json']);
  });

  it('leaves a task that a worker touched after the preview', async () => {
    await writeAged(path.join(root, 'tasks/marie/active/t1.json'), '{"id":"t1"}', 30);
    const params = tasksRequeueStuck.params.parse({ dir: 'tasks/{{worker}}', olderThanMinutes: 10 });
    const ctx = actionContext(filesTarget(), { worker: 'marie' });
    const preview = await tasksRequeueStuck.preview(params, ctx);
    await writeAged(path.join(root, 'tasks/marie/active/t1.json'), '{"id":"t1","step":2}', 0);
    const result = await tasksRequeueStuck.execute(params, preview, ctx);
    expect(result.summary).toBe('moved 0 of 1 tasks to tasks/marie/pending');
    expect(await readdir(path.join(root, 'tasks/marie/active'))).toEqual(['t1.json']);
  });
});

describe('tasks.fail-stuck (seed 004)', () => {
  it('moves stuck tasks unchanged to failed', async () => {
    await writeAged(path.join(root, 'tasks/fabien/active/slow.json'), '{"id":"slow"}', 6);
    await writeAged(path.join(root, 'tasks/fabien/active/ok.json'), '{"id":"ok"}', 2);
    const params = tasksFailStuck.params.parse({ dir: 'tasks/{{worker}}', olderThanMinutes: 5 });
    const ctx = actionContext(filesTarget(), { worker: 'fabien' });
    const preview = await tasksFailStuck.preview(params, ctx);
    const result = await tasksFailStuck.execute(params, preview, ctx);
    expect(await tasksFailStuck.verify(params, preview, result, ctx)).toMatchObject({ status: 'passed' });
    expect(await readFile(path.join(root, 'tasks/fabien/failed/slow.json'), 'utf8')).toBe('{"id":"slow"}');
    expect(await readdir(path.join(root, 'tasks/fabien/active'))).toEqual(['ok.json']);
  });
});

describe('paths stay inside the root', () => {
  it('refuses a symlink that leads out of the root, .. in a label, and does not follow symlinked files', async () => {
    await writeAged(path.join(outside, 'active/victim.json'), '{"id":"victim"}', 60);
    await mkdir(path.join(root, 'tasks'), { recursive: true });
    await symlink(outside, path.join(root, 'tasks/evil'));
    const params = tasksFailStuck.params.parse({ dir: 'tasks/{{worker}}', olderThanMinutes: 5 });
    await expect(tasksFailStuck.preview(params, actionContext(filesTarget(), { worker: 'evil' }))).rejects.toThrow(
      /outside the target root/,
    );
    await expect(tasksFailStuck.preview(params, actionContext(filesTarget(), { worker: '../..' }))).rejects.toThrow(/\.\./);
    // a symlinked lock file inside the root is not touched
    await mkdir(path.join(root, 'locks'));
    await writeAged(path.join(outside, 'marie_target.lock'), 'x', 60);
    await symlink(path.join(outside, 'marie_target.lock'), path.join(root, 'locks/marie_link.lock'));
    const lp = locksRemoveStale.params.parse({ dir: 'locks', prefix: '{{worker}}_', olderThanMinutes: 5 });
    expect((await locksRemoveStale.preview(lp, actionContext(filesTarget(), { worker: 'marie' }))).empty).toBe(true);
    expect(await readdir(outside)).toContain('marie_target.lock');
    await expect(readdir(path.join(outside, 'active'))).resolves.toEqual(['victim.json']);
  });
});

describe('locks.remove-stale', () => {
  it("removes this worker's stale locks only", async () => {
    await writeAged(path.join(root, 'locks/marie_task1.lock'), '', 10);
    await writeAged(path.join(root, 'locks/marie_task2.lock'), '', 1);
    await writeAged(path.join(root, 'locks/anga_task1.lock'), '', 10);
    const params = locksRemoveStale.params.parse({ dir: 'locks', prefix: '{{worker}}_', olderThanMinutes: 5 });
    const ctx = actionContext(filesTarget(), { worker: 'marie' });
    const preview = await locksRemoveStale.preview(params, ctx);
    expect(preview.items).toEqual(['locks/marie_task1.lock (10 min old)']);
    const result = await locksRemoveStale.execute(params, preview, ctx);
    expect(await locksRemoveStale.verify(params, preview, result, ctx)).toMatchObject({ status: 'passed' });
    expect((await readdir(path.join(root, 'locks'))).sort()).toEqual(['anga_task1.lock', 'marie_task2.lock']);
  });

  it('removes a PID file only when its process is gone', async () => {
    await writeAged(path.join(root, 'memory-daemon.pid'), '4242\n', 1);
    const params = locksRemoveStale.params.parse({ path: 'memory-daemon.pid', onlyIfProcessGone: true });
    const alive = createLocksRemoveStale(() => true);
    expect((await alive.preview(params, actionContext(filesTarget()))).empty).toBe(true);
    const gone = createLocksRemoveStale(() => false);
    const ctx = actionContext(filesTarget());
    const preview = await gone.preview(params, ctx);
    expect(preview.items).toEqual(['memory-daemon.pid (60 s old, process 4242 gone)']);
    await gone.execute(params, preview, ctx);
    expect(await readdir(root)).toEqual([]);
  });
});

describe('process.signal through a PID file', () => {
  function startChild(script: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    return new Promise((resolve, reject) => {
      child.stdout!.once('data', () => resolve(child));
      child.once('error', reject);
    });
  }

  it('HUP reaches a running daemon that reloads; TERM stops it; a stale PID file is refused', async () => {
    const daemon = await startChild(
      "process.on('SIGHUP', () => console.log('reloaded')); console.log('ready'); setInterval(() => {}, 1000);",
    );
    await writeFile(path.join(root, 'memory-daemon.pid'), `${daemon.pid}\n`);
    const reloaded = new Promise<string>((resolve) =>
      daemon.stdout!.on('data', (b: Buffer) => b.toString().includes('reloaded') && resolve('reloaded')),
    );
    const hup = processSignal.params.parse({ pidfile: 'memory-daemon.pid', signal: 'SIGHUP', processName: 'node' });
    const ctx = actionContext(filesTarget());
    const preview = await processSignal.preview(hup, ctx);
    expect(preview.data.pid).toBe(daemon.pid);
    const result = await processSignal.execute(hup, preview, ctx);
    await expect(reloaded).resolves.toBe('reloaded');
    expect(await processSignal.verify(hup, preview, result, ctx)).toMatchObject({ status: 'passed' });

    const exited = new Promise<NodeJS.Signals | null>((resolve) => daemon.once('exit', (_code, signal) => resolve(signal)));
    const term = processSignal.params.parse({ pidfile: 'memory-daemon.pid', signal: 'TERM', processName: 'node' });
    const tpreview = await processSignal.preview(term, ctx);
    const tresult = await processSignal.execute(term, tpreview, ctx);
    expect(await exited).toBe('SIGTERM');
    expect(await processSignal.verify(term, tpreview, tresult, ctx)).toMatchObject({ status: 'passed' });

    await expect(processSignal.preview(term, actionContext(filesTarget()))).rejects.toThrow(/stale PID file memory-daemon.pid/);
    expect(processSignal.params.safeParse({ pidfile: 'x.pid', signal: 'SIGKILL' }).success).toBe(false);
  });

  it('refuses a PID that belongs to another program', async () => {
    const other = await startChild("console.log('ready'); setInterval(() => {}, 1000);");
    await writeFile(path.join(root, 'memory-daemon.pid'), `${other.pid}\n`);
    const p = processSignal.params.parse({ pidfile: 'memory-daemon.pid', signal: 'HUP', processName: 'memory_daemon' });
    await expect(processSignal.preview(p, actionContext(filesTarget()))).rejects.toThrow(/not memory_daemon/);
    other.kill('SIGKILL');
  });
});
