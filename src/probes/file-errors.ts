/** Turns a filesystem error into the words an operator expects (shared by the file-based probes). */
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
