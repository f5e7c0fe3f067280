import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { existingPathInsideRoot, PathRefused, pathInsideRoot } from '../../src/targets/files-root';
import { LabelError } from '../../src/targets/params-template';
import type { ResolvedTarget } from '../../src/targets/target';

/** The files connector on a real directory tree: inside the root on disk, not only on paper. */
let base: string;
let root: string;
let target: ResolvedTarget;

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'ibt-files-root-')));
  root = path.join(base, 'root');
  await mkdir(path.join(root, 'workers', 'marie'), { recursive: true });
  await mkdir(path.join(base, 'private'));
  await writeFile(path.join(base, 'private', 'shadow'), 'secret');
  await writeFile(path.join(root, 'workers', 'marie', 'heartbeat.json'), '{}');
  await symlink(path.join(base, 'private', 'shadow'), path.join(root, 'anga.log'));
  await symlink(path.join(base, 'private'), path.join(root, 'workers', 'anga'));
  await symlink(path.join(base, 'private', 'nothing-yet'), path.join(root, 'fabien.log'));
  await symlink(path.join(root, 'workers', 'marie', 'heartbeat.json'), path.join(root, 'inside-link.json'));
  target = { name: 'logs', kind: 'files', values: { root }, missing: [] };
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('pathInsideRoot (probes: a missing file is reported as missing)', () => {
  it('gives the real path and the path relative to the root', async () => {
    await expect(pathInsideRoot(target, 'workers/{{w}}/heartbeat.json', { w: 'marie' })).resolves.toEqual({
      full: path.join(root, 'workers/marie/heartbeat.json'),
      shown: 'workers/marie/heartbeat.json',
    });
  });

  it('a file that does not exist yet inside the root is given, to be reported missing', async () => {
    await expect(pathInsideRoot(target, 'workers/{{w}}/heartbeat.json', { w: 'new' })).resolves.toEqual({
      full: path.join(root, 'workers/new/heartbeat.json'),
      shown: 'workers/new/heartbeat.json',
    });
  });

  it('refuses a file, a folder, or a dangling link that leads outside the root', async () => {
    await expect(pathInsideRoot(target, '{{w}}.log', { w: 'anga' })).rejects.toThrow(
      new LabelError('anga.log resolves outside the target root (symlink): refused'),
    );
    await expect(pathInsideRoot(target, 'workers/{{w}}/shadow', { w: 'anga' })).rejects.toThrow(
      /resolves outside the target root \(symlink\): refused/,
    );
    await expect(pathInsideRoot(target, '{{w}}.log', { w: 'fabien' })).rejects.toThrow(
      new LabelError('fabien.log is a symlink to nothing: refused'),
    );
    await expect(pathInsideRoot(target, '{{w}}', { w: '../private/shadow' })).rejects.toThrow(/leaves the configured root/);
  });

  it('follows a link that stays inside the root', async () => {
    await expect(pathInsideRoot(target, 'inside-link.json', {})).resolves.toEqual({
      full: path.join(root, 'workers/marie/heartbeat.json'),
      shown: 'inside-link.json',
    });
  });
});

describe('existingPathInsideRoot (actions: stricter)', () => {
  it('refuses .. even when it would stay inside, absolute paths, and missing files (marked missing)', async () => {
    await expect(existingPathInsideRoot(root, 'workers/../workers/marie/heartbeat.json', {})).rejects.toThrow(
      new PathRefused('path "workers/../workers/marie/heartbeat.json" contains "..": refused'),
    );
    await expect(existingPathInsideRoot(root, '/etc/passwd', {})).rejects.toThrow(/is absolute/);
    const missing = await existingPathInsideRoot(root, 'workers/{{w}}', { w: 'new' }).catch((err: PathRefused) => err);
    expect(missing).toBeInstanceOf(PathRefused);
    expect(missing).toMatchObject({ missing: true, message: 'workers/new does not exist under the target root' });
  });

  it('refuses a link that leads outside the root, and a dangling one', async () => {
    await expect(existingPathInsideRoot(root, '{{w}}.log', { w: 'anga' })).rejects.toThrow(
      new PathRefused('anga.log resolves outside the target root (symlink): refused'),
    );
    await expect(existingPathInsideRoot(root, '{{w}}.log', { w: 'fabien' })).rejects.toMatchObject({ missing: true });
  });

  it('gives the real path of what exists inside', async () => {
    await expect(existingPathInsideRoot(root, 'workers/{{w}}', { w: 'marie' })).resolves.toEqual({
      full: path.join(root, 'workers/marie'),
      shown: 'workers/marie',
    });
  });
});
