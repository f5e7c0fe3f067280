import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// `npm start` runs scripts/build-if-stale.js before the bot. It is exercised on a scratch project (the real script,
// the real TypeScript) so that touching sources here never races with other tests reading dist/.
const ROOT = path.resolve(__dirname, '../..');

function scratchProject(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'incident-bot-build-'));
  mkdirSync(path.join(dir, 'scripts'));
  mkdirSync(path.join(dir, 'src'));
  copyFileSync(path.join(ROOT, 'scripts/build-if-stale.js'), path.join(dir, 'scripts/build-if-stale.js'));
  copyFileSync(path.join(ROOT, 'tsconfig.build.json'), path.join(dir, 'tsconfig.build.json'));
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, skipLibCheck: true, types: [], outDir: 'dist', rootDir: '.' },
    }),
  );
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  writeFileSync(path.join(dir, 'src/main.ts'), 'export const answer: number = 1;\n');
  return dir;
}

function run(dir: string) {
  const r = spawnSync(process.execPath, ['scripts/build-if-stale.js'], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

/** Moves a file's mtime past dist/main.js without waiting for the clock. */
function makeNewerThanBuild(dir: string, file: string): void {
  const built = statSync(path.join(dir, 'dist/main.js')).mtime;
  const later = new Date(built.getTime() + 60_000);
  utimesSync(path.join(dir, file), later, later);
}

describe('scripts/build-if-stale.js (run by npm start and npm install)', () => {
  let dir: string;
  beforeAll(() => {
    dir = scratchProject();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles when dist/ does not exist, then starts without compiling while nothing changed', () => {
    const first = run(dir);
    expect(first).toMatchObject({ status: 0 });
    expect(first.stderr).toMatch(/dist\/main\.js does not exist yet: compiling/);
    expect(readFileSync(path.join(dir, 'dist/main.js'), 'utf8')).toMatch(/exports\.answer = 1/);

    const second = run(dir);
    expect(second).toEqual({ status: 0, stderr: '' });
  });

  it('recompiles when a source is newer than the build', () => {
    writeFileSync(path.join(dir, 'src/main.ts'), 'export const answer: number = 2;\n');
    makeNewerThanBuild(dir, 'src/main.ts');
    const r = run(dir);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/src changed since the last build: compiling/);
    expect(readFileSync(path.join(dir, 'dist/main.js'), 'utf8')).toMatch(/exports\.answer = 2/);
  });

  it('refuses to start on a type error, leaves dist/ as it was and tries again next time', () => {
    writeFileSync(path.join(dir, 'src/main.ts'), "export const answer: number = 'three';\n");
    makeNewerThanBuild(dir, 'src/main.ts');
    const failed = run(dir);
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toMatch(/the build failed/);
    expect(readFileSync(path.join(dir, 'dist/main.js'), 'utf8')).toMatch(/exports\.answer = 2/);

    const again = run(dir);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/src changed since the last build: compiling/);
  });
});
