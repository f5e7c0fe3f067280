import { closeSync, readFileSync, unlinkSync, writeSync, openSync, fsyncSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The file in a data directory that says which process holds it. */
export const LOCK_FILE = 'incident-bot.lock';

/** How often the holder touches the lock file, and how old a foreign host's lock must be to count as abandoned. */
const HEARTBEAT_MS = 10_000;
const FOREIGN_STALE_MS = 60_000;
/** A lock file with no readable owner yet (its writer is between creating and writing it) is respected this long. */
const UNREADABLE_GRACE_MS = 10_000;

export interface LockHolder {
  pid: number;
  host: string;
  /** The process's start time in clock ticks since boot (Linux), so a reused pid is not taken for the holder. */
  processStart?: string;
  startedAt: string;
  command: string;
}

export interface DataDirLock {
  readonly file: string;
  /** Deletes the lock file (only if it is still ours); safe to call twice. */
  release(): Promise<void>;
}

/** Another live process holds the directory; the message names it and says what to do. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder | undefined,
    readonly lockFile: string,
  ) {
    const who = holder
      ? `another incident-bot process (pid ${holder.pid} on ${holder.host}, started ${holder.startedAt}: ${holder.command})`
      : 'another incident-bot process that is writing its lock file right now';
    super(
      `DATA_DIR ${dir} is in use by ${who}. Two processes on one embedded database corrupt it. ` +
        'Stop that process first, or give this one its own DATA_DIR (or set DATABASE_URL to share a PostgreSQL server). ' +
        `If that process is gone for certain (e.g. it ran on another machine sharing this directory), delete ${lockFile}.`,
    );
    this.name = 'DataDirInUseError';
  }
}

export interface LockOptions {
  /** Tests inject these; the defaults describe this process. */
  pid?: number;
  host?: string;
  now?: () => number;
  /** Whether a pid on this host is running (its start time when /proc tells it, else true), or undefined when not. */
  processInfo?: (pid: number) => { running: false } | { running: true; processStart?: string };
}

/**
 * Takes the data directory for this process: creates `<dir>/incident-bot.lock` exclusively (O_EXCL) with this process's
 * pid, host, start time and command line. A lock whose holder is gone — its pid no longer runs on this host (or runs
 * as a newer process that reused the pid), or it was written on another host and not touched for a minute — is
 * taken over; a live one refuses with `DataDirInUseError`. The lock is touched every 10 s while held, and removed by
 * `release()` or when the process exits.
 *
 * @example
 * const lock = await lockDataDir(config.dataDir);   // before opening the embedded database
 * ...
 * await lock.release();                             // after closing it
 */
export async function lockDataDir(dir: string, opts: LockOptions = {}): Promise<DataDirLock> {
  const pid = opts.pid ?? process.pid;
  const host = opts.host ?? os.hostname();
  const now = opts.now ?? Date.now;
  const processInfo = opts.processInfo ?? localProcessInfo;
  const file = path.join(dir, LOCK_FILE);
  await fs.mkdir(dir, { recursive: true });
  const own = processInfo(pid);
  const me: LockHolder = {
    pid,
    host,
    ...(own.running && own.processStart ? { processStart: own.processStart } : {}),
    startedAt: new Date(now()).toISOString(),
    command: process.argv.slice(1).join(' ').slice(0, 300),
  };
  const text = `${JSON.stringify(me)}\n`;
  if (heldHere.has(file)) throw new DataDirInUseError(dir, parseHolder((await readLock(file))?.text ?? ''), file);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(file, text)) return held(file, text, now);
    const found = await readLock(file);
    if (!found) continue; // released between our attempt and the read: try again
    const holder = parseHolder(found.text);
    if (!isAbandoned(holder, found.mtimeMs, { pid, host, now: now(), processInfo })) throw new DataDirInUseError(dir, holder, file);
    await removeIfUnchanged(file, found.text);
  }
  throw new DataDirInUseError(dir, parseHolder((await readLock(file))?.text ?? ''), file);
}

function createExclusive(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Lock files this process holds: its own pid in one of them means "open here already", not "left by a previous run". */
const heldHere = new Set<string>();

function held(file: string, text: string, now: () => number): DataDirLock {
  heldHere.add(file);
  let released = false;
  const ours = () => {
    try {
      return readFileSync(file, 'utf8') === text;
    } catch {
      return false;
    }
  };
  const removeSync = () => {
    if (released) return;
    released = true;
    heldHere.delete(file);
    clearInterval(heartbeat);
    process.off('exit', removeSync);
    if (ours()) unlinkSafe(file);
  };
  // A holder on another host cannot be asked whether it runs: a lock file that keeps being touched says so.
  const heartbeat = setInterval(() => {
    const t = new Date(now());
    fs.utimes(file, t, t).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  // A clean exit that skipped release (process.exit after an error) still leaves the directory free.
  process.on('exit', removeSync);
  return {
    file,
    release: async () => removeSync(),
  };
}

function unlinkSafe(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

async function readLock(file: string): Promise<{ text: string; mtimeMs: number } | undefined> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
    return { text, mtimeMs: stat.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid !== 'number' || typeof h.host !== 'string') return undefined;
    return {
      pid: h.pid,
      host: h.host,
      ...(typeof h.processStart === 'string' ? { processStart: h.processStart } : {}),
      startedAt: String(h.startedAt ?? 'at an unknown time'),
      command: String(h.command ?? ''),
    };
  } catch {
    return undefined;
  }
}

function isAbandoned(
  holder: LockHolder | undefined,
  mtimeMs: number,
  me: { pid: number; host: string; now: number; processInfo: NonNullable<LockOptions['processInfo']> },
): boolean {
  if (!holder) return me.now - mtimeMs > UNREADABLE_GRACE_MS;
  if (holder.host !== me.host) return me.now - mtimeMs > FOREIGN_STALE_MS;
  // Our own pid in a lock we have not taken yet: an earlier run of this container (pid 1 again) or process.
  if (holder.pid === me.pid) return true;
  const info = me.processInfo(holder.pid);
  if (!info.running) return true;
  return Boolean(holder.processStart && info.processStart && holder.processStart !== info.processStart);
}

/** Replaces nothing a live process wrote meanwhile: the stale file is moved aside and checked before it is deleted. */
async function removeIfUnchanged(file: string, staleText: string): Promise<void> {
  const aside = `${file}.stale-${process.pid}-${Date.now()}`;
  try {
    await fs.rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await fs.readFile(aside, 'utf8').catch(() => staleText);
  // Another starter took over in between and this moved its fresh lock: put it back (unless a third one is there).
  if (moved !== staleText) await fs.link(aside, file).catch(() => undefined);
  await fs.rm(aside, { force: true });
}

function localProcessInfo(pid: number): { running: false } | { running: true; processStart?: string } {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it runs, as another user.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return { running: false };
  }
  try {
    // Field 22 of /proc/<pid>/stat, counted after the command name (which may contain spaces and parentheses).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const processStart = fields[19];
    return processStart ? { running: true, processStart } : { running: true };
  } catch {
    return { running: true };
  }
}
