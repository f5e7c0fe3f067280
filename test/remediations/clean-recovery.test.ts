import { mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dirClear } from '../../src/remediations/dir-clear';
import { jsonFileUpdate } from '../../src/remediations/json-file-update';
import { locksRemoveStale } from '../../src/remediations/locks-remove-stale';
import { tasksRequeueStuck } from '../../src/remediations/tasks-requeue-stuck';
import { tasksResumeGradually } from '../../src/remediations/tasks-resume-gradually';
import { loadCatalog, type RemediationEntry } from '../../src/runbooks';
import { actionContext, target } from './harness';

// Seed 001 "Clean Recovery" (lines 182-222) and "Gradual Task Resume" (252-284), each step as the shipped catalog
// declares it, run against real folders.
let shared: string;
let tmp: string;
let entries: Map<string, RemediationEntry>;
beforeAll(async () => {
  const catalog = await loadCatalog(path.join(__dirname, '..', '..', 'commands'), {});
  entries = new Map((catalog.runbooks.find((r) => r.id === 'worker-crashes')?.remediations ?? []).map((e) => [e.id, e]));
});
beforeEach(async () => {
  shared = await mkdtemp(path.join(tmpdir(), 'ibt-clean-shared-'));
  tmp = await mkdtemp(path.join(tmpdir(), 'ibt-clean-tmp-'));
});
afterEach(async () => {
  await rm(shared, { recursive: true, force: true });
  await rm(tmp, { recursive: true, force: true });
});

const params = (id: string) => entries.get(id)?.params;
const sharedCtx = () => actionContext(target('shared', 'files', { root: shared }), { worker: 'marie' });

async function write(file: string, content: string, ageMinutes = 0): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  if (ageMinutes) {
    const t = new Date(Date.now() - ageMinutes * 60_000);
    await utimes(file, t, t);
  }
}

describe('seed 001 clean recovery, as the catalog declares it', () => {
  it('1. every active task of the worker goes back to pending with retry information, however fresh', async () => {
    await write(path.join(shared, 'tasks/marie/active/old.json'), JSON.stringify({ id: 'old', retry_count: 1 }), 30);
    await write(path.join(shared, 'tasks/marie/active/fresh.json'), JSON.stringify({ id: 'fresh' }));
    await write(path.join(shared, 'tasks/anga/active/other.json'), JSON.stringify({ id: 'other' }));
    const p = tasksRequeueStuck.params.parse(params('requeue-all-active-tasks'));
    const ctx = sharedCtx();
    const preview = await tasksRequeueStuck.preview(p, ctx);
    expect(preview.summary).toBe('requeue 2 tasks in tasks/marie/active → tasks/marie/pending');
    const result = await tasksRequeueStuck.execute(p, preview, ctx);
    expect(await tasksRequeueStuck.verify(p, preview, result, ctx)).toMatchObject({ status: 'passed' });
    expect((await readdir(path.join(shared, 'tasks/marie/pending'))).sort()).toEqual(['fresh.json', 'old.json']);
    expect(JSON.parse(await readFile(path.join(shared, 'tasks/marie/pending/fresh.json'), 'utf8'))).toMatchObject({
      id: 'fresh',
      retry_count: 1,
      failure_reason: 'worker_crash',
    });
    expect(await readdir(path.join(shared, 'tasks/anga/active'))).toEqual(['other.json']);
  });

  it('2. every lock of the worker is removed, other workers keep theirs', async () => {
    await write(path.join(shared, 'locks/marie_task-1.lock'), '1');
    await write(path.join(shared, 'locks/marie_task-2.lock'), '2', 30);
    await write(path.join(shared, 'locks/anga_task-3.lock'), '3');
    const p = locksRemoveStale.params.parse(params('remove-worker-locks'));
    const ctx = sharedCtx();
    const preview = await locksRemoveStale.preview(p, ctx);
    expect(preview.items.map((i) => i.replace(/ \(.*\)$/, ''))).toEqual(['locks/marie_task-1.lock', 'locks/marie_task-2.lock']);
    const result = await locksRemoveStale.execute(p, preview, ctx);
    expect(await locksRemoveStale.verify(p, preview, result, ctx)).toMatchObject({ status: 'passed' });
    expect(await readdir(path.join(shared, 'locks'))).toEqual(['anga_task-3.lock']);
  });

  it('3. state.json is reset to recovering with the crash time and recovery_count + 1', async () => {
    await write(
      path.join(shared, 'workers/marie/state.json'),
      JSON.stringify({ status: 'running', recovery_count: 2, current_task: 't1' }),
    );
    const p = jsonFileUpdate.params.parse(params('reset-worker-state'));
    const ctx = sharedCtx();
    const preview = await jsonFileUpdate.preview(p, ctx);
    expect(preview.items).toEqual(['status: "running" → "recovering"', 'last_crash: null → the time of the run', 'recovery_count: 2 → 3']);
    const result = await jsonFileUpdate.execute(p, preview, ctx);
    expect(await jsonFileUpdate.verify(p, preview, result, ctx)).toEqual({
      status: 'passed',
      summary: 'workers/marie/state.json holds the new state',
    });
    const state = JSON.parse(await readFile(path.join(shared, 'workers/marie/state.json'), 'utf8'));
    expect(state).toEqual({ status: 'recovering', last_crash: expect.any(Number), recovery_count: 3 });
    expect(Math.abs(state.last_crash - Date.now() / 1000)).toBeLessThan(60);
  });

  it('3b. a missing state.json is created with recovery_count 1; a file changed after the preview is left alone', async () => {
    await mkdir(path.join(shared, 'workers/marie'), { recursive: true });
    const p = jsonFileUpdate.params.parse(params('reset-worker-state'));
    const ctx = sharedCtx();
    const preview = await jsonFileUpdate.preview(p, ctx);
    expect(preview.summary).toBe('create workers/marie/state.json');
    await write(path.join(shared, 'workers/marie/state.json'), '{"status":"running"}');
    await expect(jsonFileUpdate.execute(p, preview, ctx)).rejects.toThrow(
      'workers/marie/state.json changed since the preview: nothing written',
    );
    const again = await jsonFileUpdate.preview(p, ctx);
    await jsonFileUpdate.execute(p, again, ctx);
    expect(JSON.parse(await readFile(path.join(shared, 'workers/marie/state.json'), 'utf8'))).toMatchObject({ recovery_count: 1 });
  });

  it("4. the worker's temporary folder is emptied and kept; a symlink inside is removed, never followed", async () => {
    await write(path.join(tmp, 'marie/scratch.txt'), 'x');
    await write(path.join(tmp, 'marie/run/session.sock.txt'), 'y');
    const precious = path.join(shared, 'precious.txt');
    await write(precious, 'keep me');
    await symlink(shared, path.join(tmp, 'marie/link-out'));
    const p = dirClear.params.parse(params('clear-worker-tmp'));
    const ctx = actionContext(target('worker-tmp', 'files', { root: tmp }), { worker: 'marie' });
    const preview = await dirClear.preview(p, ctx);
    expect(preview.items).toEqual(['marie/link-out', 'marie/run/ (folder, with its contents)', 'marie/scratch.txt']);
    const result = await dirClear.execute(p, preview, ctx);
    expect(await dirClear.verify(p, preview, result, ctx)).toMatchObject({ status: 'passed' });
    expect(await readdir(path.join(tmp, 'marie'))).toEqual([]);
    expect(await readFile(precious, 'utf8')).toBe('keep me');
    await expect(dirClear.preview(dirClear.params.parse({ path: '.' }), ctx)).rejects.toThrow(/is the target root itself: refused/);
    expect((await dirClear.preview(p, actionContext(target('worker-tmp', 'files', { root: tmp }), { worker: 'anga' }))).empty).toBe(true);
  });
});

describe('seed 001 gradual resume', () => {
  const resume = (over: Record<string, unknown> = {}) =>
    tasksResumeGradually.params.parse({ ...params('resume-tasks-gradually'), delaySeconds: 0, ...over });

  it('the catalog declares batches of 5, 30 s apart, stopping above 50 % failures', () => {
    expect(tasksResumeGradually.params.parse(params('resume-tasks-gradually'))).toMatchObject({
      batchSize: 5,
      delaySeconds: 30,
      stopAboveFailureRatio: 0.5,
    });
  });

  it('moves pending tasks to staged, oldest first, batch by batch', async () => {
    for (let i = 1; i <= 7; i++) await write(path.join(shared, `tasks/marie/pending/t${i}.json`), '{}', 60 - i);
    const p = resume();
    const ctx = sharedCtx();
    const preview = await tasksResumeGradually.preview(p, ctx);
    expect(preview.items).toEqual(['batch 1: t1.json, t2.json, t3.json, t4.json, t5.json', 'batch 2: t6.json, t7.json']);
    const result = await tasksResumeGradually.execute(p, preview, ctx);
    expect(result.summary).toBe('resumed 7 tasks in 2 batches');
    expect(await tasksResumeGradually.verify(p, preview, result, ctx)).toMatchObject({ status: 'passed' });
    expect((await readdir(path.join(shared, 'tasks/marie/staged'))).length).toBe(7);
  });

  it('stops when more than half a batch has failed, leaving the rest pending', async () => {
    for (let i = 1; i <= 12; i++) await write(path.join(shared, `tasks/marie/pending/t${String(i).padStart(2, '0')}.json`), '{}', 60 - i);
    // the worker (not the bot) already failed three of the first batch: t01, t02 and t03 are in failed/
    for (const n of ['t01', 't02', 't03']) await write(path.join(shared, `tasks/marie/failed/${n}.json`), '{}');
    const p = resume();
    const ctx = sharedCtx();
    const preview = await tasksResumeGradually.preview(p, ctx);
    const result = await tasksResumeGradually.execute(p, preview, ctx);
    expect(result.summary).toBe('stopped after batch 1: high failure rate; 5 tasks resumed');
    expect(result.items).toContain('stopped: 3 of 5 failed (more than 50 %); 7 tasks stay pending');
    expect(await tasksResumeGradually.verify(p, preview, result, ctx)).toMatchObject({
      status: 'failed',
      summary: expect.stringMatching(/stopped after batch 1/),
    });
    expect((await readdir(path.join(shared, 'tasks/marie/pending'))).length).toBe(7);
  });
});
