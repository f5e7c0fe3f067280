import fs from 'node:fs/promises';
import path from 'node:path';
import { ackBench } from './ack';
import { alertStormBench } from './alert-storm';
import { diagnoseBench } from './diagnose';
import { postmortemBench } from './postmortem';
import { machine, type Row } from './lib';
import { startBench } from './start';

const BENCHES: Record<string, () => Promise<Row[]>> = { start: startBench, ack: ackBench, diagnose: diagnoseBench, postmortem: postmortemBench, 'alert-storm': alertStormBench };

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const rows: Row[] = [];
  for (const [name, run] of Object.entries(BENCHES)) {
    if (only.length && !only.includes(name)) continue;
    process.stderr.write(`running ${name}…\n`);
    const got = await run();
    // Shown as each bench ends, so a later failure loses nothing measured.
    for (const r of got) process.stderr.write(`  ${r.measure}: ${r.value} (${r.verdict})\n`);
    rows.push(...got);
  }
  const table = [
    '| bench | measure | value | target | verdict |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.bench} | ${r.measure} | ${r.value} | ${r.target} | ${r.verdict} |`),
  ].join('\n');
  process.stdout.write(`${table}\n`);
  const doc = `# Benchmark results\n\nMachine: ${machine()}. Run: ${new Date().toISOString()}.\nEvery comparison is measured side by side in the same run; figures are medians and p99s, not single times.\n\n${table}\n`;
  await fs.writeFile(path.resolve(__dirname, '../../bench/RESULTS.md'), doc);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
