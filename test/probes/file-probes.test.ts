import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { diskProbe } from '../../src/probes/disk';
import { heartbeatProbe } from '../../src/probes/heartbeat';
import { logTailProbe } from '../../src/probes/log-tail';
import { createPidfileProbe, pidfileProbe } from '../../src/probes/pidfile';
import { taskQueueProbe } from '../../src/probes/task-queue';
import { runProbe } from './probe-harness';

const NOW = new Date('2026-03-01T12:00:00Z');
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ib-file-probes-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function put(rel: string, content: string, mtime?: Date): Promise<string> {
  const file = path.join(root, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  if (mtime) await utimes(file, mtime, mtime);
  return file;
}
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

describe('heartbeat probe', () => {
  it('ok when fresh, warn and crit by age; epoch seconds and ISO both read', async () => {
    await put('workers/marie/heartbeat.json', JSON.stringify({ timestamp: NOW.getTime() / 1000 - 20 }));
    await put('workers/anga/heartbeat.json', JSON.stringify({ timestamp: minutesAgo(3).toISOString() }));
    await put('workers/fabien/heartbeat.json', JSON.stringify({ timestamp: minutesAgo(30).toISOString() }));
    const params = { path: 'workers/{{worker}}/heartbeat.json' };
    const run = (worker: string) => runProbe(heartbeatProbe, params, { target: { root }, labels: { worker }, now: NOW });
    const [m, a, f] = await Promise.all([run('marie'), run('anga'), run('fabien')]);
    expect(m).toMatchObject({ status: 'ok', figures: [{ label: 'age', value: 20, unit: 's' }] });
    expect(a.status).toBe('warn');
    expect(f.status).toBe('crit');
    expect(f.summary).toMatch(/30 min ago/);
  });

  it('a missing heartbeat file is critical', async () => {
    const r = await runProbe(
      heartbeatProbe,
      { path: 'workers/{{worker}}/heartbeat.json' },
      { target: { root }, labels: { worker: 'ghost' }, now: NOW },
    );
    expect(r.status).toBe('crit');
    expect(r.summary).toMatch(/no heartbeat file/);
    expect(r.summary).not.toContain(root); // host layout stays out of results
  });

  it('refuses a label that walks out of the root', async () => {
    await expect(
      runProbe(
        heartbeatProbe,
        { path: 'workers/{{worker}}/heartbeat.json' },
        { target: { root }, labels: { worker: '../../../../etc' }, now: NOW },
      ),
    ).rejects.toThrow(/leaves the configured root/);
  });
});

describe('task-queue probe', () => {
  beforeAll(async () => {
    await put('tasks/marie/pending/p1.json', '{}');
    await put('tasks/marie/pending/p2.json', '{}');
    await put('tasks/marie/active/fresh.json', '{}', minutesAgo(1));
    await put('tasks/marie/active/stuck.json', '{}', minutesAgo(25));
    await put('tasks/marie/failed/f1.json', '{}');
    await put('tasks/marie/active/notes.txt', 'not a task', minutesAgo(60));
    await put('locks/marie_task1.lock', '', minutesAgo(12));
    await put('locks/marie_task2.lock', '', minutesAgo(1));
    await put('locks/anga_task3.lock', '', minutesAgo(60));
  });

  it('counts per state, finds stuck active tasks and this worker’s stale locks', async () => {
    const r = await runProbe(
      taskQueueProbe,
      { dir: 'tasks/{{worker}}', stuckMinutes: 10, locksDir: 'locks', lockPrefix: '{{worker}}_', lockStaleMinutes: 5 },
      { target: { root }, labels: { worker: 'marie' }, now: NOW },
    );
    expect(r.status).toBe('warn');
    const fig = Object.fromEntries(r.figures.map((f) => [f.label, f.value]));
    expect(fig).toMatchObject({
      pending: 2,
      active: 2,
      completed: 0,
      failed: 1,
      'stuck > 10 min': 1,
      'locks > 5 min': 1,
      'oldest active': '25 min',
    });
    expect(r.evidence.excerpt).toContain('stuck: stuck.json');
    expect(r.evidence.excerpt).toContain('stale lock: marie_task1.lock');
    expect(r.evidence.excerpt).not.toContain('anga');
  });

  it('ok when nothing is stuck', async () => {
    const r = await runProbe(
      taskQueueProbe,
      { dir: 'tasks/{{worker}}', stuckMinutes: 30 },
      { target: { root }, labels: { worker: 'marie' }, now: NOW },
    );
    expect(r.status).toBe('ok');
  });

  it('unknown when the task directory does not exist', async () => {
    const r = await runProbe(taskQueueProbe, { dir: 'tasks/{{worker}}' }, { target: { root }, labels: { worker: 'nobody' }, now: NOW });
    expect(r.status).toBe('unknown');
    expect(r.summary).toMatch(/not found/);
  });
});

describe('pidfile probe', () => {
  it('ok for a live process (this one)', async () => {
    await put('live.pid', `${process.pid}\n`);
    const r = await runProbe(pidfileProbe, { path: 'live.pid' }, { target: { root } });
    expect(r).toMatchObject({ status: 'ok', summary: `process ${process.pid} is running` });
  });

  it('crit and "stale" when the process is gone', async () => {
    await put('stale.pid', '4242');
    const probe = createPidfileProbe((pid) => pid !== 4242);
    const r = await runProbe(probe, { path: 'stale.pid' }, { target: { root } });
    expect(r.status).toBe('crit');
    expect(r.summary).toMatch(/stale PID file: process 4242 is not running/);
  });

  it('crit when missing or garbage', async () => {
    expect((await runProbe(pidfileProbe, { path: 'none.pid' }, { target: { root } })).summary).toMatch(/PID file missing/);
    await put('junk.pid', 'hello');
    expect((await runProbe(pidfileProbe, { path: 'junk.pid' }, { target: { root } })).status).toBe('crit');
  });
});

describe('log-tail probe', () => {
  it('counts error lines in the last N lines of a plain log', async () => {
    const lines = [
      ...Array.from({ length: 300 }, (_, i) => `INFO line ${i}`),
      'ERROR db connection lost',
      'Traceback (most recent call last):',
      'INFO ok',
    ];
    await put('daemon.log', `${lines.join('\n')}\n`);
    const r = await runProbe(logTailProbe, { path: 'daemon.log', lines: 100 }, { target: { root } });
    expect(r.status).toBe('warn');
    expect(r.figures).toEqual([
      { label: 'error lines', value: 2 },
      { label: 'lines read', value: 100 },
    ]);
    expect(r.evidence.excerpt).toBe('ERROR db connection lost\nTraceback (most recent call last):');
  });

  it('reads JSON logs by level', async () => {
    await put(
      'app.log',
      [{ level: 'info' }, { level: 'error', event: 'x' }, { level: 'ERROR' }, 'not json']
        .map((l) => (typeof l === 'string' ? l : JSON.stringify(l)))
        .join('\n'),
    );
    const r = await runProbe(logTailProbe, { path: 'app.log', format: 'json', crit: '>= 2' }, { target: { root } });
    expect(r.status).toBe('crit');
    expect(r.figures[0]).toEqual({ label: 'error lines', value: 2 });
  });

  it('unknown when the file is missing', async () => {
    const r = await runProbe(logTailProbe, { path: 'nope.log' }, { target: { root } });
    expect(r).toMatchObject({ status: 'unknown', summary: 'log file nope.log not found' });
  });
});

describe('disk probe', () => {
  it('reports used and free space of the real filesystem', async () => {
    const ok = await runProbe(diskProbe, { path: '.', warn: '>= 1.01', crit: '>= 1.02' }, { target: { root } });
    expect(ok.status).toBe('ok');
    expect(ok.figures[0]).toMatchObject({ label: 'used', unit: '%' });
    const used = ok.figures[0]?.value as number;
    expect(used).toBeGreaterThan(0);
    const crit = await runProbe(diskProbe, { path: '.', warn: '>= 0', crit: `>= ${used / 200}` }, { target: { root } });
    expect(crit.status).toBe('crit');
  });

  it('says what df says: used / (used + available), not counting the blocks reserved for root', async () => {
    const probed = (await runProbe(diskProbe, { path: '.', warn: '>= 1.01', crit: '>= 1.02' }, { target: { root } })).figures[0]
      ?.value as number;
    // df -P: "Filesystem 1024-blocks Used Available Capacity Mounted on"; Capacity is rounded up to a whole percent.
    const line = execFileSync('df', ['-P', root], { encoding: 'utf8' }).trim().split('\n').pop()!.split(/\s+/);
    const [usedKb, availKb] = [Number(line[2]), Number(line[3])];
    const df = (usedKb / (usedKb + availKb)) * 100;
    expect(Math.abs(probed - df)).toBeLessThan(0.5);
    expect(Math.ceil(probed - 0.05)).toBeLessThanOrEqual(Number(line[4]!.replace('%', '')));
  });
});
