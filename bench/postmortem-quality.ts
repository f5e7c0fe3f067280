import fs from 'node:fs/promises';
import path from 'node:path';
import type { Row } from './lib';
import { loadFixtures, replayFixture } from '../test/support/incident-replay';
import { scoreDraft } from './postmortem-scoring';

const DRAFTS_DIR = path.resolve(__dirname, '../../bench/postmortem-drafts');
const pct = (x: number) => `${Math.round(x * 100)} %`;

/**
 * The post-mortem drafts of the incident threads in test/fixtures/incidents/, replayed through the bot, judged
 * against each thread's answer key: action items and timeline moments (precision / recall), every Metrics field,
 * the root cause, questions in Impact. The drafts are written to bench/postmortem-drafts/ for reading.
 */
export async function postmortemQualityBench(): Promise<Row[]> {
  const rows: Row[] = [];
  await fs.mkdir(DRAFTS_DIR, { recursive: true });
  const totals = {
    aiTp: 0,
    aiExtracted: 0,
    aiKeys: 0,
    aiMatched: 0,
    owners: 0,
    tlTp: 0,
    tlListed: 0,
    tlKeys: 0,
    tlMatched: 0,
    metricsOk: 0,
    metrics: 0,
  };
  for (const { name, fixture } of await loadFixtures()) {
    const { markdown, refused } = await replayFixture(fixture);
    await fs.writeFile(path.join(DRAFTS_DIR, `${name}.md`), markdown);
    const s = scoreDraft(markdown, fixture.answer);
    totals.aiTp += s.actionItems.truePositives;
    totals.aiExtracted += s.actionItems.extracted;
    totals.aiKeys += s.actionItems.real;
    totals.aiMatched += s.actionItems.matchedKeys;
    totals.owners += s.actionItems.ownersRight;
    totals.tlTp += s.timeline.truePositives;
    totals.tlListed += s.timeline.listed;
    totals.tlKeys += s.timeline.keyMoments;
    totals.tlMatched += s.timeline.matchedKeys;
    const okFields = s.metrics.filter((f) => f.ok).length;
    totals.metricsOk += okFields;
    totals.metrics += s.metrics.length;
    const wrongFields = s.metrics.filter((f) => !f.ok).map((f) => `${f.field} (want ${f.expected}, got "${f.got}")`);
    const a = s.actionItems;
    rows.push({
      bench: 'postmortem-quality',
      measure: `${name}: action items precision / recall / owners right`,
      value: `${pct(a.precision)} (${a.truePositives}/${a.extracted}) / ${pct(a.recall)} (${a.matchedKeys}/${a.real}) / ${a.ownersRight}/${a.matchedKeys}${a.missed.length ? `; missed: ${a.missed.join('; ')}` : ''}`,
      target: '≥ 80 % / ≥ 80 %',
      verdict: a.precision >= 0.8 && a.recall >= 0.8 ? 'met' : 'missed',
    });
    rows.push({
      bench: 'postmortem-quality',
      measure: `${name}: timeline key moments precision / recall`,
      value: `${pct(s.timeline.precision)} (${s.timeline.truePositives}/${s.timeline.listed} rows) / ${pct(s.timeline.recall)} (${s.timeline.matchedKeys}/${s.timeline.keyMoments})${s.timeline.missed.length ? `; missed: ${s.timeline.missed.join('; ')}` : ''}`,
      target: 'info',
      verdict: 'info',
    });
    rows.push({
      bench: 'postmortem-quality',
      measure: `${name}: Metrics fields correct`,
      value: `${okFields}/${s.metrics.length}${wrongFields.length ? `; wrong: ${wrongFields.join('; ')}` : ''}`,
      target: 'all',
      verdict: okFields === s.metrics.length ? 'met' : 'missed',
    });
    rows.push({
      bench: 'postmortem-quality',
      measure: `${name}: root cause filled / questions in Impact${refused.length ? ' / commands refused' : ''}`,
      value: `${s.rootCause ? 'yes' : 'no'} / ${s.impactQuestions}${refused.length ? ` / ${refused.join('; ')}` : ''}`,
      target: 'yes / 0',
      verdict: s.rootCause && s.impactQuestions === 0 ? 'met' : 'missed',
    });
  }
  const p = totals.aiExtracted ? totals.aiTp / totals.aiExtracted : 1;
  const r = totals.aiMatched / totals.aiKeys;
  rows.push({
    bench: 'postmortem-quality',
    measure: 'all threads: action items precision / recall / owners right',
    value: `${pct(p)} / ${pct(r)} / ${totals.owners}/${totals.aiMatched}`,
    target: '≥ 80 % / ≥ 80 %',
    verdict: p >= 0.8 && r >= 0.8 ? 'met' : 'missed',
  });
  rows.push({
    bench: 'postmortem-quality',
    measure: 'all threads: timeline key moments precision / recall',
    value: `${pct(totals.tlListed ? totals.tlTp / totals.tlListed : 1)} / ${pct(totals.tlMatched / totals.tlKeys)}`,
    target: 'info',
    verdict: 'info',
  });
  rows.push({
    bench: 'postmortem-quality',
    measure: 'all threads: Metrics fields correct',
    value: `${totals.metricsOk}/${totals.metrics}`,
    target: 'all',
    verdict: totals.metricsOk === totals.metrics ? 'met' : 'missed',
  });
  return rows;
}
