import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { LabelError, renderPathInside } from './params-template';

/**
 * A path inside a files target's root, checked on disk as well as lexically: the real path (after symlinks) of the
 * file, or of its deepest existing ancestor when the file does not exist yet, must stay inside the real root. A log
 * file symlinked to /etc/shadow is refused instead of read. Returns the real path when it exists, else the lexical
 * one (so a missing file is reported as missing), and the lexical path for display.
 */
export async function resolvePathInside(root: string, template: string, labels: Readonly<Record<string, string>>): Promise<{ full: string; lexical: string }> {
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
    if (!isInsideDir(realRoot, real)) throw new LabelError(`${path.relative(path.resolve(root), lexical) || '.'} resolves outside the target root (symlink): refused`);
    return { full: probe === lexical ? real : lexical, lexical };
  }
}

export function isInsideDir(root: string, full: string): boolean {
  return full === root || full.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}
