import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { runDiagnosis } from '../../src/diagnosis';
import { findAlert, parseRunbook } from '../../src/runbooks';

/**
 * File probes stay inside their root on disk, not only on paper: a log file or a worker folder that is a symlink to
 * somewhere else is refused, as the file remediations already refuse it.
 */
const logger = pino({ level: 'silent' });
let base: string;
let root: string;
let outside: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'ibt-sec-files-'));
  root = path.join(base, 'logs');
  outside = path.join(base, 'private');
  await mkdir(path.join(root, 'workers'), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(outside, 'shadow'), 'ERROR root:$6$secrethash:19000:0:99999:7:::\n');
  await writeFile(path.join(outside, 'heartbeat.json'), JSON.stringify({ timestamp: new Date().toISOString() }));
  await writeFile(path.join(outside, 'daemon.pid'), `${process.pid}\n`);
  await writeFile(path.join(root, 'marie.log'), 'INFO fine\nERROR task 3 failed\n');
  await symlink(path.join(outside, 'shadow'), path.join(root, 'anga.log'));
  await symlink(path.join(outside, 'nothing-yet'), path.join(root, 'fabien.log'));
  await symlink(outside, path.join(root, 'workers', 'anga'));
  await symlink(path.join(outside, 'daemon.pid'), path.join(root, 'daemon.pid'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const RUNBOOK = `id: files
title: Files
link: https://runbooks.internal/files
targets:
  logs:
    kind: files
    root: \${LOG_DIR}
    allow:
      labels: { worker: [marie, anga, fabien] }
probes:
  - id: app-log
    title: Application log
    kind: log-tail
    target: logs
    params: { path: '{{worker}}.log', lines: 10 }
  - id: heartbeat
    title: Heartbeat
    kind: heartbeat
    target: logs
    params: { path: 'workers/{{worker}}/heartbeat.json' }
  - id: pid
    title: PID file
    kind: pidfile
    target: logs
    params: { path: daemon.pid }
alerts:
  - name: WorkerDown
    severity: P1
    labels: [worker]
`;

async function diagnose(labels: Record<string, string>) {
  const parsed = parseRunbook('files.yaml', RUNBOOK, { LOG_DIR: root });
  if ('problems' in parsed) throw new Error(JSON.stringify(parsed.problems));
  const hit = findAlert({ dir: '.', runbooks: [parsed.runbook] }, 'WorkerDown');
  if (!hit.found) throw new Error('WorkerDown missing');
  const r = await runDiagnosis({ runbook: hit.runbook, alert: hit.alert, labels, logger });
  return Object.fromEntries(r.probes.map((p) => [p.id, p]));
}

describe('file probes resolve symlinks before the root check', () => {
  it('a regular log inside the root is read', async () => {
    const probes = await diagnose({ worker: 'marie' });
    expect(probes['app-log']).toMatchObject({ status: 'warn', evidence: { excerpt: 'ERROR task 3 failed' } });
  });

  it('a log file symlinked out of the root is refused, and nothing of the target file is shown', async () => {
    const probes = await diagnose({ worker: 'anga' });
    expect(probes['app-log']).toMatchObject({
      status: 'unknown',
      summary: 'refused: anga.log resolves outside the target root (symlink): refused',
      figures: [],
    });
    expect(JSON.stringify(probes['app-log'])).not.toContain('secrethash');
    expect(probes.heartbeat).toMatchObject({
      status: 'unknown',
      summary: 'refused: workers/anga/heartbeat.json resolves outside the target root (symlink): refused',
    });
    expect(probes.pid).toMatchObject({
      status: 'unknown',
      summary: 'refused: daemon.pid resolves outside the target root (symlink): refused',
    });
  });

  it('a dangling symlink is refused too (it could be pointed anywhere before the next read)', async () => {
    const probes = await diagnose({ worker: 'fabien' });
    expect(probes['app-log']).toMatchObject({ status: 'unknown', summary: 'refused: fabien.log is a symlink to nothing: refused' });
  });

  it('a label value outside the allow-list never becomes a path', async () => {
    const probes = await diagnose({ worker: 'shadow' });
    expect(probes['app-log']).toMatchObject({
      status: 'unknown',
      summary: 'refused: worker=shadow is not allowed on target logs (allowed: marie, anga, fabien)',
    });
  });
});
