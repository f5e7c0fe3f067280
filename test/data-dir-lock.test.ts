import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataDirInUseError, LOCK_FILE, lockDataDir, type LockOptions } from '../src/data-dir-lock';

/** The lock's decisions with the other process described by hand: which holders are alive, on which host, since when. */
describe('lockDataDir', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ib-lock-'));
    file = path.join(dir, LOCK_FILE);
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const holder = (over: Record<string, unknown>) =>
    JSON.stringify({ pid: 4242, host: 'here', startedAt: '2026-11-26T10:00:00.000Z', command: 'dist/main.js', ...over });
  const alive =
    (starts: Record<number, string> = {}): LockOptions['processInfo'] =>
    (pid) =>
      pid === 4242 || pid === 7 ? { running: true, ...(starts[pid] ? { processStart: starts[pid] } : {}) } : { running: false };
  const me: LockOptions = { pid: 7, host: 'here', processInfo: alive() };

  it('refuses while a live process on this host holds the directory, naming it', async () => {
    await writeFile(file, holder({}));
    const err = await lockDataDir(dir, me).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirInUseError);
    expect((err as Error).message).toContain(`DATA_DIR ${dir} is in use by another incident-bot process (pid 4242 on here`);
    expect((err as Error).message).toContain(`delete ${file}`);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: 4242 });
  });

  it('takes over from a pid that no longer runs, and from a pid reused by a newer process', async () => {
    await writeFile(file, holder({ pid: 999_999 }));
    const a = await lockDataDir(dir, me);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: 7, host: 'here' });
    await a.release();
    expect(existsSync(file)).toBe(false);

    await writeFile(file, holder({ processStart: '100' }));
    const b = await lockDataDir(dir, { ...me, processInfo: alive({ 4242: '555' }) });
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: 7 });
    await b.release();
  });

  it('takes over its own pid from an earlier run (a container restarted as pid 1), but not a lock it holds itself', async () => {
    await writeFile(file, holder({ pid: 7 }));
    const lock = await lockDataDir(dir, me);
    await expect(lockDataDir(dir, me)).rejects.toThrow(DataDirInUseError);
    await lock.release();
    await lockDataDir(dir, me).then((l) => l.release());
  });

  it("waits a minute before taking over another host's lock that is no longer touched", async () => {
    const now = Date.now();
    await writeFile(file, holder({ host: 'elsewhere' }));
    await utimes(file, new Date(now - 30_000), new Date(now - 30_000));
    await expect(lockDataDir(dir, { ...me, now: () => now })).rejects.toThrow(/pid 4242 on elsewhere/);
    await utimes(file, new Date(now - 61_000), new Date(now - 61_000));
    const lock = await lockDataDir(dir, { ...me, now: () => now });
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: 7, host: 'here' });
    await lock.release();
  });

  it('respects a lock file still being written, and clears one left empty by a crash', async () => {
    const now = Date.now();
    await writeFile(file, '');
    await expect(lockDataDir(dir, { ...me, now: () => now })).rejects.toThrow(/writing its lock file right now/);
    await utimes(file, new Date(now - 11_000), new Date(now - 11_000));
    const lock = await lockDataDir(dir, { ...me, now: () => now });
    await lock.release();
  });

  it('leaves a lock that is no longer its own in place on release', async () => {
    const lock = await lockDataDir(dir, me);
    await writeFile(file, holder({}));
    await lock.release();
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: 4242 });
  });
});
