import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { runDiagnosis } from '../../src/diagnosis';
import { processSignal } from '../../src/remediations/process-signal';
import { findAlert, loadCatalog, type Catalog, type Runbook } from '../../src/runbooks';
import type { Database } from '../../src/store/database';
import { createMigratedDatabase } from '../support/migrated-database';
import { makeService } from '../remediations/harness';

/**
 * A PID file names its process: when the daemon died and its pid went to another program, "flush the daemon (HUP)"
 * must not signal that program. The shipped memory-daemon catalog expects `memory_daemon.py` on the command line.
 */
const COMMANDS_DIR = path.join(__dirname, '..', '..', 'commands');
let home: string;
let db: Database;
let drop: () => Promise<void>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'ibt-sec-pid-'));
  ({ db, drop } = await createMigratedDatabase('security_pid'));
}, 60_000);
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await drop?.();
  await rm(home, { recursive: true, force: true });
});

/** A node process that reports every HUP it receives (so a wrongly sent signal is seen, not just survived). */
function startProcess(extraArgs: string[] = []): Promise<{ child: ChildProcess; hups: () => number }> {
  let hups = 0;
  const child = spawn(
    process.execPath,
    ['-e', "process.on('SIGHUP',()=>console.log('HUP'));console.log('ready');setInterval(()=>{},1e3)", ...extraArgs],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      hups += (b.toString().match(/HUP/g) ?? []).length;
      if (b.toString().includes('ready')) resolve({ child, hups: () => hups });
    });
    child.once('error', reject);
  });
}

async function shipped(): Promise<{ catalog: Catalog; rb: Runbook }> {
  const catalog = await loadCatalog(COMMANDS_DIR, { MEMORY_DAEMON_HOME: home });
  return { catalog, rb: catalog.runbooks.find((r) => r.id === 'memory-daemon') as Runbook };
}

describe('PID files must name the expected process', () => {
  it("refuses to signal a reused PID (another program's), through the shipped restart-daemon action; nothing is sent", async () => {
    const other = await startProcess();
    await writeFile(path.join(home, 'memory-daemon.pid'), `${other.child.pid}\n`);
    const { catalog, rb } = await shipped();
    const { service } = makeService(db, {
      resolveTarget: ({ target }) => catalog.runbooks.find((r) => r.id === 'memory-daemon')?.targets[target],
    });
    const declaration = rb.remediations.find((r) => r.id === 'restart-daemon') as Record<string, unknown>;
    const r = await service.request({ declaration, runbookId: rb.id, requestedBy: 'U0ALICE' });
    expect(r).toMatchObject({ kind: 'refused' });
    expect((r as { reason: string }).reason).toMatch(
      new RegExp(
        `^process ${other.child.pid} runs ".*", which does not match /memory_daemon\\\\.py/ \\(PID file memory-daemon.pid\\): refused, nothing signalled$`,
      ),
    );
    expect(other.child.exitCode).toBeNull();
    expect(other.hups()).toBe(0);
  });

  it('the pidfile probe reports a reused PID as the daemon being gone', async () => {
    const other = await startProcess();
    await writeFile(path.join(home, 'memory-daemon.pid'), `${other.child.pid}\n`);
    const { catalog } = await shipped();
    const hit = findAlert(catalog, 'DaemonNotRunning');
    if (!hit.found) throw new Error('DaemonNotRunning missing');
    const result = await runDiagnosis({
      runbook: hit.runbook,
      alert: { ...hit.alert, probes: ['daemon-pid'] },
      logger: pino({ level: 'silent' }),
    });
    expect(result.probes[0]).toMatchObject({ id: 'daemon-pid', status: 'crit' });
    expect(result.probes[0]?.summary).toMatch(
      new RegExp(`^PID file memory-daemon.pid names the wrong process: process ${other.child.pid} runs`),
    );
  });

  it('signals the daemon the PID file names, and the preview shows the match', async () => {
    const daemon = await startProcess(['scripts/core/memory_daemon.py', 'start']);
    await writeFile(path.join(home, 'memory-daemon.pid'), `${daemon.child.pid}\n`);
    const { catalog, rb } = await shipped();
    const { service } = makeService(db, {
      resolveTarget: ({ target }) => catalog.runbooks.find((r) => r.id === 'memory-daemon')?.targets[target],
    });
    const declaration = rb.remediations.find((r) => r.id === 'restart-daemon') as Record<string, unknown>;
    const r = await service.request({ declaration, runbookId: rb.id, requestedBy: 'U0ALICE' });
    if (r.kind !== 'created') throw new Error(JSON.stringify(r));
    expect(r.request.preview.summary).toMatch(/command line ".*scripts\/core\/memory_daemon\.py start" matches \/memory_daemon\\\.py\//);
    const a = await service.approve(r.request.id, 'U0BOB', []);
    expect(a).toMatchObject({ kind: 'ran', outcome: 'succeeded' });
    expect(daemon.child.exitCode).toBeNull();
  });

  it('a process.signal declaration that does not name its process is invalid', () => {
    const parsed = processSignal.params.safeParse({ pidfile: 'memory-daemon.pid', signal: 'HUP' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/name the process the PID file must point at/);
  });
});
