import fs from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Logger } from '../logger';
import type { InboxDelivery } from '../domain/inbox-delivery';

/**
 * Deliveries that arrived while PostgreSQL was unreachable: appended (and fsynced) to a file in
 * DATA_DIR before Slack gets its 200, and moved into the inbox once the database answers. The file
 * survives kill -9; whichever process starts next on the same DATA_DIR replays it.
 *
 * One file per process (`<host>-<pid>-<start>.ndjson`). A file whose writer is gone (same host, pid
 * not running) or that has not changed for a minute is replayed by any process that finds it.
 */
export interface DeliverySpool {
  append(delivery: InboxDelivery): Promise<void>;
  /** Moves every replayable file into the inbox; resolves with how many deliveries were new there. */
  replay(into: (batch: readonly InboxDelivery[]) => Promise<number>): Promise<number>;
  /** Deliveries written to this process's file and not yet replayed. */
  size(): number;
}

const ABANDONED_AFTER_MS = 60_000;
const BATCH = 200;

/** Whether the file's writer was a process on this host that is no longer running. */
function writerGone(host: string, name: string): boolean {
  const m = /^(.*)-(\d+)-[0-9a-z]+\.ndjson(?:\.replaying)?$/.exec(name);
  if (!m || m[1] !== host) return false;
  try {
    process.kill(Number(m[2]), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Moves one spool file into the inbox in batches, then deletes it; resolves with how many deliveries were new there. */
async function replayFile(file: string, into: (batch: readonly InboxDelivery[]) => Promise<number>, logger: Logger): Promise<number> {
  const text = await fs.readFile(file, 'utf8');
  const entries: InboxDelivery[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      entries.push(JSON.parse(line) as InboxDelivery);
    } catch {
      // A line cut short by a crash mid-write was never acknowledged to Slack: Slack retries it.
      logger.warn({ file: path.basename(file) }, 'skipping a torn line in the delivery spool');
    }
  }
  let added = 0;
  for (let i = 0; i < entries.length; i += BATCH) added += await into(entries.slice(i, i + BATCH));
  await fs.rm(file, { force: true });
  return added;
}

export function createDeliverySpool(opts: { dir: string; logger: Logger; now?: () => number }): DeliverySpool {
  const now = opts.now ?? Date.now;
  const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '_');
  const ownName = `${host}-${process.pid}-${now().toString(36)}.ndjson`;
  const ownPath = path.join(opts.dir, ownName);
  let written = 0;
  let ready: Promise<void> | undefined;
  // Appends and the rename at the start of a replay never interleave within this process.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };

  return {
    append: (delivery) =>
      serial(async () => {
        ready ??= fs.mkdir(opts.dir, { recursive: true }).then(() => undefined);
        await ready;
        const fh = await fs.open(ownPath, 'a');
        try {
          await fh.appendFile(JSON.stringify(delivery) + '\n');
          await fh.datasync();
        } finally {
          await fh.close();
        }
        written++;
      }),
    replay: async (into) => {
      let names: string[];
      try {
        names = (await fs.readdir(opts.dir)).filter((n) => n.endsWith('.ndjson') || n.endsWith('.ndjson.replaying'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw err;
      }
      let added = 0;
      const moving = `${ownPath}.replaying`;
      if (names.includes(`${ownName}.replaying`)) added += await replayFile(moving, into, opts.logger);
      if (names.includes(ownName)) {
        // New appends go to a fresh file while this one is replayed.
        const had = written;
        await serial(() => fs.rename(ownPath, moving));
        added += await replayFile(moving, into, opts.logger);
        written -= had;
      }
      for (const name of names) {
        if (name === ownName || name === `${ownName}.replaying`) continue;
        const file = path.join(opts.dir, name);
        const stat = await fs.stat(file).catch(() => undefined);
        if (!stat) continue;
        if (!writerGone(host, name) && now() - stat.mtimeMs < ABANDONED_AFTER_MS) continue;
        added += await replayFile(file, into, opts.logger);
      }
      return added;
    },
    size: () => written,
  };
}
