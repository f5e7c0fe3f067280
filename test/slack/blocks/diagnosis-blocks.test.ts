import { validateBlocks } from '../../../src/emulator/block-kit-limits';
import type { DiagnosisResult } from '../../../src/diagnosis';
import type { ProbeResult, ProbeStatus } from '../../../src/probes/types';
import {
  DIAGNOSE_AGAIN_ACTION_ID,
  parseDiagnoseAgainValue,
  parseRemediationValue,
  REMEDIATION_ACTION_ID,
  renderDiagnosisBlocks,
} from '../../../src/slack/blocks/diagnosis-blocks';
import { escapeAndCut, escapeMrkdwn } from '../../../src/slack/blocks/mrkdwn';

function probe(i: number, status: ProbeStatus, over: Partial<ProbeResult> = {}): ProbeResult {
  return {
    id: `p${i}`,
    kind: 'prometheus',
    title: `Check ${i}`,
    status,
    summary: `value ${i}`,
    figures: [{ label: 'value', value: i, unit: 's' }],
    evidence: {},
    durationMs: 12,
    ...over,
  };
}

function result(over: Partial<DiagnosisResult> = {}): DiagnosisResult {
  return {
    runbook: { id: 'memory-daemon', title: 'Memory daemon', link: 'https://runbooks.example.com/md', file: 'memory-daemon.yaml' },
    dashboards: [],
    alert: { name: 'StuckDetected', severity: 'P1', labelHints: ['agent'] },
    labels: { agent: 'agent-7' },
    startedAt: '2026-03-01T12:00:00.000Z',
    finishedAt: '2026-03-01T12:00:01.200Z',
    complete: true,
    status: 'crit',
    probes: [probe(1, 'crit', { summary: '3 stuck agents', evidence: { excerpt: 'ERROR stuck' } }), probe(2, 'ok')],
    pending: [],
    causes: [{ probe: 'p1', status: 'crit', cause: 'Agent stuck', fix: 'Clear its stream' }],
    manualSteps: ['Check the stream monitor', 'Kill the agent if safe'],
    remediations: [{ id: 'clear-agent-stream', kind: 'redis.delete-keys', title: "Clear the stuck agent's stream", risk: 'medium' }],
    ...over,
  };
}

const allText = (blocks: unknown[]): string => JSON.stringify(blocks);

/** Every text Slack renders (button values are opaque data, not rendered). */
function renderedTexts(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => renderedTexts(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'text' && typeof v === 'string') out.push(v);
      else if (k !== 'value') renderedTexts(v, out);
    }
  }
  return out;
}

describe('renderDiagnosisBlocks', () => {
  it('final result: header, status, one line per probe with figures, causes, checklist, link, buttons', () => {
    const { text, blocks } = renderDiagnosisBlocks(result());
    expect(validateBlocks(blocks)).toEqual([]);
    expect(text).toBe('Diagnosis of StuckDetected: CRIT (1 crit, 1 ok)');
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Diagnosis: StuckDetected (P1)', emoji: true } });
    const s = allText(blocks);
    expect(s).toContain(':red_circle: *CRIT*');
    expect(s).toContain(':red_circle: *Check 1* — 3 stuck agents');
    expect(s).toContain('value: 1 s');
    expect(s).toContain('```ERROR stuck```');
    expect(s).toContain('*Agent stuck* (p1 is CRIT): Clear its stream');
    expect(s).toContain('☐ Check the stream monitor');
    expect(s).toContain('<https://runbooks.example.com/md|Runbook: Memory daemon>');

    const buttons = blocks.flatMap((b): unknown[] =>
      'accessory' in b && b.accessory ? [b.accessory] : 'elements' in b ? [...b.elements] : [],
    ) as {
      type: string;
      action_id?: string;
      value?: string;
    }[];
    const remediation = buttons.find((b) => b.action_id === REMEDIATION_ACTION_ID);
    expect(parseRemediationValue(remediation?.value ?? '')).toEqual({
      runbook: 'memory-daemon',
      action: 'clear-agent-stream',
      labels: { agent: 'agent-7' },
    });
    const again = buttons.find((b) => b.action_id === DIAGNOSE_AGAIN_ACTION_ID);
    expect(parseDiagnoseAgainValue(again?.value ?? '')).toEqual({ alert: 'StuckDetected', labels: { agent: 'agent-7' } });
  });

  it('partial result: progress line, pending probes, no buttons yet', () => {
    const { text, blocks } = renderDiagnosisBlocks(
      result({
        complete: false,
        finishedAt: undefined,
        probes: [probe(1, 'ok')],
        pending: [{ id: 'p2', title: 'Slow one', kind: 'postgres' }],
      }),
    );
    expect(validateBlocks(blocks)).toEqual([]);
    expect(text).toBe('Diagnosing StuckDetected: 2 checks, 1 done…');
    const s = allText(blocks);
    expect(s).toContain('*running* — 1 of 2 checks done');
    expect(s).toContain(':hourglass_flowing_sand: *Slow one* — running…');
    expect(s).not.toContain(REMEDIATION_ACTION_ID);
    expect(s).not.toContain(DIAGNOSE_AGAIN_ACTION_ID);
  });

  it('escapes every interpolated value: nothing can mention or ping the channel', () => {
    const evil = '<!channel> <@U123> <https://evil.example|click> & more';
    const { text, blocks } = renderDiagnosisBlocks(
      result({
        labels: { agent: evil },
        probes: [probe(1, 'crit', { title: evil, summary: evil, figures: [{ label: evil, value: evil }], evidence: { excerpt: evil } })],
        causes: [{ probe: 'p1', status: 'crit', cause: evil, fix: evil }],
        manualSteps: [evil],
        alert: { name: 'StuckDetected', severity: 'P1', summary: evil, labelHints: [] },
      }),
    );
    const s = [...renderedTexts(blocks), text].join('\n');
    expect(s).not.toMatch(/<!channel>|<@U123>|<https:\/\/evil/);
    expect(s).toContain('&lt;!channel&gt; &lt;@U123&gt;');
    expect(s).toContain('&amp; more');
  });

  it('stays within Block Kit limits for huge results, cutting with a note', () => {
    const probes = Array.from({ length: 120 }, (_, i) =>
      probe(i, (['ok', 'warn', 'crit', 'unknown'] as ProbeStatus[])[i % 4] as ProbeStatus, {
        title: `Probe ${i} ${'t'.repeat(200)}`,
        summary: 's'.repeat(2000),
        figures: Array.from({ length: 20 }, (_, j) => ({ label: `f${j}`.repeat(30), value: 'v'.repeat(300) })),
        evidence: { excerpt: 'line with & and <\n'.repeat(500) },
      }),
    );
    const labels = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`label${i}`, 'x'.repeat(100)]));
    const r = result({
      probes,
      labels,
      causes: Array.from({ length: 100 }, (_, i) => ({
        probe: `p${i}`,
        status: 'crit' as const,
        cause: 'c'.repeat(100),
        fix: 'f'.repeat(100),
      })),
      manualSteps: Array.from({ length: 100 }, () => 'step '.repeat(40)),
      remediations: Array.from({ length: 12 }, (_, i) => ({
        id: `r${i}`,
        kind: 'docker.restart',
        title: 'R'.repeat(75),
        risk: 'high' as const,
      })),
    });
    const { blocks } = renderDiagnosisBlocks(r);
    expect(validateBlocks(blocks)).toEqual([]);
    expect(blocks.length).toBeLessThanOrEqual(50);
    const s = allText(blocks);
    expect(s).toMatch(/more checks \(see incident-bot diagnose\)/);
    expect(s).toContain('(cut');
    for (const b of blocks) {
      const acc = 'accessory' in b ? (b.accessory as { value?: string; text?: { text: string } }) : undefined;
      if (acc?.value) expect(acc.value.length).toBeLessThanOrEqual(2000);
      if (acc?.text) expect(acc.text.text.length).toBeLessThanOrEqual(75);
    }
  });

  it('no runbook link is rendered when none is configured; dashboards become link buttons; assumed metrics say so', () => {
    const r = result({
      runbook: { id: 'memory-daemon', title: 'Memory daemon', file: 'memory-daemon.yaml' },
      dashboards: [{ title: 'Grafana overview', url: 'https://grafana.corp.internal/d/continuous-claude-overview' }],
      probes: [probe(1, 'warn', { assumed: true, summary: '0.7 s (> 0.5)' })],
    });
    const { blocks } = renderDiagnosisBlocks(r);
    const text = allText(blocks);
    expect(text).toContain(':book: Runbook: Memory daemon · memory-daemon.yaml');
    expect(text).not.toContain('<https://');
    expect(text).toContain('0.7 s (&gt; 0.5) _(assumed metric)_');
    expect(blocks).toContainEqual({
      type: 'actions',
      block_id: 'diagnosis_dashboards',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Grafana overview', emoji: true },
          action_id: 'dashboard_link_0',
          url: 'https://grafana.corp.internal/d/continuous-claude-overview',
        },
      ],
    });
    expect(validateBlocks(blocks)).toEqual([]);
  });

  it('a button value drops labels rather than exceed 2000 characters', () => {
    const labels = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`l${i}`, 'x'.repeat(128)]));
    const { blocks } = renderDiagnosisBlocks(result({ labels }));
    expect(validateBlocks(blocks)).toEqual([]);
    const acc = blocks.find((b) => 'accessory' in b && b.accessory) as { accessory: { value: string } };
    const v = parseRemediationValue(acc.accessory.value);
    expect(acc.accessory.value.length).toBeLessThanOrEqual(2000);
    expect(Object.keys(v?.labels ?? {}).length).toBeGreaterThan(5);
    expect(Object.keys(v?.labels ?? {}).length).toBeLessThan(30);
  });
});

describe('mrkdwn helpers', () => {
  it('escapes the three characters Slack interprets', () => {
    expect(escapeMrkdwn('a & <b> c')).toBe('a &amp; &lt;b&gt; c');
  });
  it('cuts after escaping without leaving half an entity', () => {
    const out = escapeAndCut('&&&&&&&&&&', 20, '…');
    expect(out.endsWith('…')).toBe(true);
    expect(out.length).toBeLessThanOrEqual(20);
    expect(out.replace(/&amp;/g, '')).toBe('…');
  });
});
