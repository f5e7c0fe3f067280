import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ackBench } from './ack';
import { alertStormBench } from './alert-storm';
import { diagnoseBench } from './diagnose';
import { embeddedBurstBench } from './embedded-burst';
import { playgroundStartBench } from './playground-start';
import { postmortemBench } from './postmortem';
import { postmortemQualityBench } from './postmortem-quality';
import { machine, revision, type Row } from './lib';
import { readPrevious, renderResults, type StoredRow } from './results-file';
import { startBench } from './start';

// postmortem measures the RSS of this process, so it runs before the ack bench fills the emulator with 10,000 calls.
const BENCHES: Record<string, () => Promise<Row[]>> = {
  start: startBench,
  postmortem: postmortemBench,
  ack: ackBench,
  diagnose: diagnoseBench,
  'alert-storm': alertStormBench,
};
BENCHES['embedded-burst'] = embeddedBurstBench;
BENCHES['postmortem-quality'] = postmortemQualityBench;
BENCHES['playground-start'] = playgroundStartBench;

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const rows: Row[] = [];
  let host = `${machine()}; ${revision()}`;
  for (const [name, run] of Object.entries(BENCHES)) {
    if (only.length && !only.includes(name)) continue;
    process.stderr.write(`running ${name}…\n`);
    // A bench that fails is recorded as a miss with its reason; the others' figures are kept.
    const got = await run().catch((err: unknown): Row[] => [
      { bench: name, measure: 'run', value: `failed: ${(err as Error).message.split('\n')[0]}`, target: 'completes', verdict: 'missed' },
    ]);
    // Shown as each bench ends, so a later failure loses nothing measured.
    for (const r of got) process.stderr.write(`  ${r.measure}: ${r.value} (${r.verdict})\n`);
    rows.push(...got);
  }
  const at = new Date().toISOString();
  // The load at the end too: other people's work on a shared machine comes and goes during a run.
  host = host.replace(/ at the start;/, ` at the start, ${os.loadavg()[0]!.toFixed(1)} at the end;`);
  const table = [
    '| bench | measure | value | target | verdict |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.bench} | ${r.measure} | ${r.value} | ${r.target} | ${r.verdict} |`),
  ].join('\n');
  process.stdout.write(`${host}, ${at}\n${table}\n`);
  const file = path.resolve(__dirname, '../../bench/RESULTS.md');
  const previous = readPrevious(await fs.readFile(file, 'utf8').catch(() => undefined));
  const ran = Object.keys(BENCHES).filter((name) => !only.length || only.includes(name));
  const current: StoredRow[] = rows.map((r) => ({ ...r, machine: host, at }));
  await fs.writeFile(file, renderResults(current, previous, ran));
  process.stderr.write(`written to ${file}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
