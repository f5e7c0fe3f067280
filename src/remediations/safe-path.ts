import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { renderPathInside, renderPlain } from '../probes/params-template';
import { RemediationRefused } from './types';

/**
 * A path under a files target's root, checked twice: lexically (no `..`, no absolute path) and on disk (the real path,
 * after symlinks, is still inside the real root). Returns the real path, and the path as shown (relative to the root).
 */
export async function resolveInsideRoot(root: string | undefined, template: string, labels: Readonly<Record<string, string>>): Promise<{ full: string; shown: string }> {
  if (!root) throw new RemediationRefused('the files target has no root configured');
  const rel = renderPlain(template, labels);
  if (rel.split(/[\\/]+/).includes('..')) throw new RemediationRefused(`path ${JSON.stringify(rel)} contains "..": refused`);
  if (path.isAbsolute(rel)) throw new RemediationRefused(`path ${JSON.stringify(rel)} is absolute: paths are relative to the target root`);
  const lexical = renderPathInside(root, template, labels);
  const realRoot = await realpath(root);
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw new RemediationRefused(`${rel} does not exist under the target root`);
    throw err;
  }
  if (!isInside(realRoot, real)) throw new RemediationRefused(`${rel} resolves outside the target root (symlink): refused`);
  return { full: real, shown: rel };
}

export function isInside(root: string, full: string): boolean {
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
