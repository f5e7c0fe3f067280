import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { LabelError, renderPathInside, renderPlain } from './params-template';
import type { ResolvedTarget } from './target';

/**
 * The files connector: every path a probe reads or an action touches goes through here. A path is checked lexically
 * (no `..` out of the root, no absolute path) and on disk (its real path, after symlinks, stays inside the real
 * root), so a log file symlinked to /etc/shadow is refused instead of read.
 */

/** A path inside a files target: the one to open, and the one to show (relative to the root: no host layout leaks). */
export interface PathInsideRoot {
  full: string;
  shown: string;
}

/** A path inside a files target's root that may not exist yet (probes report a missing file as missing). */
export async function pathInsideRoot(
  target: ResolvedTarget | undefined,
  template: string,
  labels: Readonly<Record<string, string>>,
): Promise<PathInsideRoot> {
  const root = target?.values.root;
  if (!root) throw new LabelError('the files target has no root configured');
  const { full, lexical } = await resolvePathInside(root, template, labels);
  return { full, shown: shownPath(root, lexical) };
}

/**
 * The real path (after symlinks) of the file, or of its deepest existing ancestor when the file does not exist yet,
 * must stay inside the real root. Returns the real path when it exists, else the lexical one (so a missing file is
 * reported as missing), and the lexical path for display. Refusals are `LabelError`s (the label chose the path).
 */
export async function resolvePathInside(
  root: string,
  template: string,
  labels: Readonly<Record<string, string>>,
): Promise<{ full: string; lexical: string }> {
  const lexical = renderPathInside(root, template, labels);
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return { full: lexical, lexical };
  }
  for (let probe = lexical; ; probe = path.dirname(probe)) {
    let real: string;
    try {
      real = await realpath(probe);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (probe === lexical && code === 'ENOENT' && (await lstat(lexical).catch(() => undefined))?.isSymbolicLink()) {
        throw new LabelError(`${path.relative(path.resolve(root), lexical)} is a symlink to nothing: refused`);
      }
      if ((code === 'ENOENT' || code === 'ENOTDIR') && probe !== path.dirname(probe)) continue;
      throw err;
    }
    if (!isInsideDir(realRoot, real))
      throw new LabelError(`${path.relative(path.resolve(root), lexical) || '.'} resolves outside the target root (symlink): refused`);
    return { full: probe === lexical ? real : lexical, lexical };
  }
}

/** An existing path was refused: outside the root, `..`, absolute, or (`missing`) not there. */
export class PathRefused extends Error {
  constructor(
    message: string,
    readonly missing = false,
  ) {
    super(message);
    this.name = 'PathRefused';
  }
}

/**
 * The stricter form actions use: the path must exist, may not spell `..` at all (even one that stays inside), and its
 * real path must be inside the real root. Returns the real path, and the path as written (relative to the root).
 */
export async function existingPathInsideRoot(
  root: string | undefined,
  template: string,
  labels: Readonly<Record<string, string>>,
): Promise<PathInsideRoot> {
  if (!root) throw new PathRefused('the files target has no root configured');
  const rel = renderPlain(template, labels);
  if (rel.split(/[\\/]+/).includes('..')) throw new PathRefused(`path ${JSON.stringify(rel)} contains "..": refused`);
  if (path.isAbsolute(rel)) throw new PathRefused(`path ${JSON.stringify(rel)} is absolute: paths are relative to the target root`);
  const lexical = renderPathInside(root, template, labels);
  const realRoot = await realpath(root);
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw new PathRefused(`${rel} does not exist under the target root`, true);
    throw err;
  }
  if (!isInsideDir(realRoot, real)) throw new PathRefused(`${rel} resolves outside the target root (symlink): refused`);
  return { full: real, shown: rel };
}

export function isInsideDir(root: string, full: string): boolean {
  return full === root || full.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** A regular file that is not a symlink (a symlink inside a checked directory could still point anywhere). */
export async function regularFile(full: string): Promise<{ mtimeMs: number; ino: number; size: number } | undefined> {
  try {
    const s = await lstat(full);
    if (!s.isFile() || s.isSymbolicLink()) return undefined;
    return { mtimeMs: s.mtimeMs, ino: s.ino, size: s.size };
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** File names taken from a directory listing go back only as plain names: no separators, no dot names. */
export function plainName(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\\') && !name.includes('\0');
}

/** Turns a filesystem error into the words an operator expects. */
export function describeFsError(err: unknown, what: string): { missing: boolean; message: string } {
  const code = (err as { code?: string }).code;
  if (code === 'ENOENT') return { missing: true, message: `${what} not found` };
  if (code === 'EACCES' || code === 'EPERM') return { missing: false, message: `${what}: permission denied` };
  if (code === 'ENOTDIR') return { missing: true, message: `${what}: not a directory` };
  return { missing: false, message: `${what}: ${(err as Error).message}` };
}

export function isFsError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/** Path shown in results: relative to the configured root, so host layout is not leaked. */
export function shownPath(root: string, full: string): string {
  return full.startsWith(root) ? full.slice(root.length).replace(/^\/+/, '') || '.' : full;
}
