import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// The built logger, as main.ts creates it, writing to a pipe (a log collector, a container) and to a terminal
// (a person trying the playground). `script` gives the child a pseudo-terminal.
const LOGGER = path.resolve(__dirname, '../../dist/logger.js');
const program = `
  const { loadConfig } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/config.js'))});
  const { createLogger } = require(${JSON.stringify(LOGGER)});
  const config = loadConfig(process.env);
  createLogger({ level: 'info', pretty: config.logPretty }).info({ incident: 'INC-20261126045000' }, 'log format check');
`;

let scratch: string;
let programFile: string;

function logOnPipe(env: Record<string, string>): string {
  const r = spawnSync(process.execPath, [programFile], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout;
}

function logOnTerminal(env: Record<string, string>): string {
  const r = spawnSync('script', ['-qec', `'${process.execPath}' '${programFile}'`, '/dev/null'], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  expect(r.status).toBe(0);
  return r.stdout;
}

describe('log format', () => {
  beforeAll(() => {
    if (!existsSync(LOGGER)) throw new Error(`${LOGGER} is missing: run npm run build`);
    scratch = mkdtempSync(path.join(tmpdir(), 'incident-bot-log-'));
    programFile = path.join(scratch, 'log-once.js');
    writeFileSync(programFile, program);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('writes JSON lines when stdout is not a terminal', () => {
    const line = JSON.parse(logOnPipe({}).trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', msg: 'log format check', incident: 'INC-20261126045000' });
  });

  it('writes human-readable lines on a terminal', () => {
    const out = logOnTerminal({});
    expect(out).toMatch(/INFO.*log format check/);
    expect(out).not.toMatch(/"msg":/);
  });

  it('follows LOG_PRETTY when it is set, whatever stdout is', () => {
    expect(logOnPipe({ LOG_PRETTY: '1' })).toMatch(/INFO.*log format check/);
    expect(JSON.parse(logOnTerminal({ LOG_PRETTY: '0' }).trim())).toMatchObject({ msg: 'log format check' });
  });
});
