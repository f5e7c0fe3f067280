import type { ActionsBlock, Button, ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { DiagnosisResult } from '../../diagnosis/run-diagnosis';
import type { ProbeResult, ProbeStatus } from '../../probes/types';
import { cutFormatted, escapeAndCut, escapeMrkdwn } from './mrkdwn';

export const REMEDIATION_ACTION_ID = 'remediation_request';
export const DIAGNOSE_AGAIN_ACTION_ID = 'diagnose_again';
/** Dashboard link buttons (`dashboard_link_0` …). */
export const DASHBOARD_LINK_ACTION = /^dashboard_link_\d+$/;

/** Button value of a remediation request: runbook id, remediation id and the labels of the diagnosis. */
export interface RemediationButtonValue {
  runbook: string;
  action: string;
  labels: Record<string, string>;
}

/** Button value of "Run again": the alert and its labels. */
export interface DiagnoseAgainValue {
  alert: string;
  labels: Record<string, string>;
}

export interface DiagnosisRenderOptions {
  /** Remediation id → the environment variables its target lacks: shown without a Request button. */
  unconfigured?: Readonly<Record<string, readonly string[]>>;
}

export interface DiagnosisMessage {
  /** Notification / fallback text (escaped). */
  text: string;
  blocks: KnownBlock[];
}

const LIMITS = { blocks: 50, section: 3000, header: 150, button: 75, value: 2000, context: 10 };

const EMOJI: Record<ProbeStatus | 'pending', string> = {
  ok: ':large_green_circle:',
  warn: ':large_yellow_circle:',
  crit: ':red_circle:',
  unknown: ':white_circle:',
  pending: ':hourglass_flowing_sand:',
};
const WORD: Record<ProbeStatus, string> = { ok: 'OK', warn: 'WARN', crit: 'CRIT', unknown: 'UNKNOWN' };

/**
 * Renders a partial or final diagnosis as a Block Kit message. Pure; never exceeds Block Kit limits (50 blocks,
 * 3000-character sections, 75-character buttons, 2000-character values): long text is cut with a note.
 * Every interpolated value is escaped, so probe output can never produce a mention or `<!channel>`.
 *
 * @example
 * const { text, blocks } = renderDiagnosisBlocks(result);
 * await client.chat.update({ channel, ts, text, blocks });
 */
export function renderDiagnosisBlocks(r: DiagnosisResult, opts: DiagnosisRenderOptions = {}): DiagnosisMessage {
  const head: KnownBlock[] = [];
  const tail: KnownBlock[] = [];

  head.push(header(`${r.complete ? 'Diagnosis' : 'Diagnosing'}: ${r.alert.name} (${r.alert.severity})`));
  head.push(section(overallLine(r)));

  if (r.causes.length) {
    const lines = r.causes.map(
      (c) => `• *${escapeMrkdwn(c.cause)}* (${escapeMrkdwn(c.probe)} is ${WORD[c.status]}): ${escapeMrkdwn(c.fix)}`,
    );
    tail.push(section(cutFormatted(`*Likely causes*\n${lines.join('\n')}`, LIMITS.section)));
  }
  if (r.complete && r.manualSteps.length) {
    tail.push(section(cutFormatted(`*Manual steps*\n${r.manualSteps.map((s) => `☐ ${escapeMrkdwn(s)}`).join('\n')}`, LIMITS.section)));
  }
  const runbookTitle = escapeAndCut(r.runbook.title, 150);
  const context: ContextBlock = {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `:book: ${r.runbook.link ? `<${safeUrl(r.runbook.link)}|Runbook: ${runbookTitle.replace(/\|/g, '¦')}>` : `Runbook: ${runbookTitle}`} · ${escapeMrkdwn(r.runbook.file)}`,
      },
    ],
  };
  tail.push(context);
  if (r.complete && r.dashboards.length) {
    tail.push({
      type: 'actions',
      block_id: 'diagnosis_dashboards',
      elements: r.dashboards.slice(0, 5).map((d, i) => ({
        type: 'button',
        text: { type: 'plain_text', text: cutPlain(d.title, LIMITS.button), emoji: true },
        action_id: `dashboard_link_${i}`,
        url: d.url.slice(0, 3000),
      })),
    });
  }

  if (r.complete) {
    const remediations = r.remediations.slice(0, 8);
    for (const m of remediations) {
      const missing = opts.unconfigured?.[m.id];
      if (missing && missing.length) {
        // No button for an action that cannot run here: say what it needs instead.
        tail.push(
          section(
            `*${escapeAndCut(m.title, 500)}* · risk ${m.risk} · not available here: needs ${missing.map((v) => `\`${escapeAndCut(v, 64)}\``).join(' and ')} (not configured; ask your operator)`,
          ),
        );
        continue;
      }
      const value = remediationValue(r, m.id);
      tail.push({
        type: 'section',
        block_id: cutPlain(`remediation:${m.id}`, 255),
        text: { type: 'mrkdwn', text: `*${escapeAndCut(m.title, 500)}* · risk ${m.risk} · needs an approval` },
        accessory: button(`Request: ${m.title}`, REMEDIATION_ACTION_ID, value, m.risk === 'high' ? 'danger' : undefined),
      });
    }
    const actions: ActionsBlock = {
      type: 'actions',
      block_id: 'diagnosis_actions',
      elements: [button('Run again', DIAGNOSE_AGAIN_ACTION_ID, againValue(r))],
    };
    tail.push(actions);
  }

  // Probe lines fill what is left of the 50 blocks.
  const budget = LIMITS.blocks - head.length - tail.length;
  const probeBlocks = probeSections(r, Math.max(1, budget));
  const blocks = [...head, ...probeBlocks, ...tail].slice(0, LIMITS.blocks);
  return { text: fallbackText(r), blocks };
}

function overallLine(r: DiagnosisResult): string {
  const counts = (['crit', 'warn', 'unknown', 'ok'] as ProbeStatus[])
    .map((s) => [s, r.probes.filter((p) => p.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${WORD[s].toLowerCase()}`);
  const total = r.probes.length + r.pending.length;
  const labels = Object.entries(r.labels);
  const status = r.complete
    ? `${EMOJI[r.status]} *${WORD[r.status]}*`
    : `${EMOJI.pending} *running* — ${r.probes.length} of ${total} checks done`;
  const parts = [
    `*Overall:* ${status}${counts.length ? ` (${counts.join(', ')})` : ''}`,
    `*Runbook:* ${escapeAndCut(r.runbook.title, 200)}`,
  ];
  if (labels.length) parts.push(`*Labels:* ${labels.map(([k, v]) => `\`${escapeAndCut(k, 64)}=${escapeAndCut(v, 200)}\``).join(' ')}`);
  if (r.alert.summary) parts.push(escapeAndCut(r.alert.summary, 500));
  return cutFormatted(parts.join('\n'), LIMITS.section);
}

function probeLine(p: ProbeResult): string {
  const figures = p.figures
    .slice(0, 6)
    .map((f) => `${escapeAndCut(f.label, 80)}: ${escapeAndCut(`${f.value}${f.unit ? ` ${f.unit}` : ''}`, 80)}`)
    .join(' · ');
  let line = `${EMOJI[p.status]} *${escapeAndCut(p.title, 150)}* — ${escapeAndCut(p.summary, 400)}${p.assumed ? ' _(assumed metric)_' : ''}`;
  if (figures) line += `\n      ${figures}`;
  if ((p.status === 'crit' || p.status === 'warn') && p.evidence.excerpt) {
    line += `\n\`\`\`${escapeAndCut(p.evidence.excerpt, 500, '\n… (cut; full output with incident-bot diagnose --json)')}\`\`\``;
  }
  return line;
}

const NOT_CONFIGURED = /^not configured: set (.+)$/;

/**
 * The checks that could not run because their target is not configured, as one line (titles grouped by what to set):
 * a newcomer sees what the diagnosis found first, not a list of UNKNOWNs.
 */
function notConfiguredLine(probes: ProbeResult[]): string | undefined {
  if (probes.length < 2) return undefined;
  const byVars = new Map<string, string[]>();
  for (const p of probes) {
    const vars = NOT_CONFIGURED.exec(p.summary)![1]!;
    byVars.set(vars, [...(byVars.get(vars) ?? []), p.title]);
  }
  const groups = [...byVars].map(
    ([vars, titles]) => `${titles.map((t) => escapeAndCut(t, 80)).join(', ')} (not configured: set ${escapeAndCut(vars, 200)})`,
  );
  return `${EMOJI.unknown} *${probes.length} checks not configured* — ${groups.join('; ')}`;
}

function probeSections(r: DiagnosisResult, maxBlocks: number): KnownBlock[] {
  const unconfigured = r.probes.filter((p) => p.status === 'unknown' && NOT_CONFIGURED.test(p.summary));
  const collapsed = notConfiguredLine(unconfigured);
  const shown = collapsed ? r.probes.filter((p) => !unconfigured.includes(p)) : r.probes;
  const lines = [
    ...shown.map(probeLine),
    ...(collapsed ? [collapsed] : []),
    ...r.pending.map((p) => `${EMOJI.pending} *${escapeAndCut(p.title, 150)}* — running…`),
  ];
  const blocks: SectionBlock[] = [];
  let current = '';
  for (let i = 0; i < lines.length; i++) {
    const line = cutFormatted(lines[i] as string, LIMITS.section - 100);
    if (current && current.length + 1 + line.length > LIMITS.section) {
      if (blocks.length === maxBlocks - 1) {
        current = cutFormatted(current, LIMITS.section - 80) + `\n… and ${lines.length - i} more checks (see incident-bot diagnose)`;
        current = cutFormatted(current, LIMITS.section);
        blocks.push(section(current));
        return blocks;
      }
      blocks.push(section(current));
      current = line;
    } else {
      current = current ? `${current}\n${line}` : line;
    }
  }
  if (current) blocks.push(section(current));
  return blocks;
}

function fallbackText(r: DiagnosisResult): string {
  const counts = (['crit', 'warn', 'unknown', 'ok'] as ProbeStatus[])
    .map((s) => [s, r.probes.filter((p) => p.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const total = r.probes.length + r.pending.length;
  return r.complete
    ? `Diagnosis of ${escapeAndCut(r.alert.name, 100)}: ${WORD[r.status]}${counts ? ` (${counts})` : ''}`
    : `Diagnosing ${escapeAndCut(r.alert.name, 100)}: ${total} checks, ${r.probes.length} done…`;
}

function header(text: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: cutPlain(text, LIMITS.header), emoji: true } };
}

function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function button(text: string, actionId: string, value: string, style?: 'danger' | 'primary'): Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text: cutPlain(text, LIMITS.button), emoji: true },
    action_id: actionId,
    value,
    ...(style ? { style } : {}),
  };
}

function cutPlain(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Percent-encodes characters that would end or split a Slack link. */
function safeUrl(url: string): string {
  return url.replace(/[<>|\s]/g, (c) => encodeURIComponent(c));
}

/** JSON that fits a button value: labels are dropped, largest first, until it is under 2000 characters. */
function fitValue(build: (labels: Record<string, string>) => unknown, labels: Record<string, string>): string {
  const entries = Object.entries(labels).sort((a, b) => a[0].length + a[1].length - (b[0].length + b[1].length));
  for (let n = entries.length; n >= 0; n--) {
    const text = JSON.stringify(build(Object.fromEntries(entries.slice(0, n))));
    if (text.length <= LIMITS.value) return text;
  }
  return JSON.stringify(build({})).slice(0, LIMITS.value);
}

function remediationValue(r: DiagnosisResult, action: string): string {
  return fitValue((labels): RemediationButtonValue => ({ runbook: r.runbook.id, action, labels }), r.labels);
}

function againValue(r: DiagnosisResult): string {
  return fitValue((labels): DiagnoseAgainValue => ({ alert: r.alert.name, labels }), r.labels);
}

/** Parses a `remediation_request` button value; undefined when it is not one of ours. */
export function parseRemediationValue(value: string): RemediationButtonValue | undefined {
  try {
    const v = JSON.parse(value) as Partial<RemediationButtonValue>;
    if (typeof v.runbook !== 'string' || typeof v.action !== 'string' || !isStringRecord(v.labels)) return undefined;
    return { runbook: v.runbook, action: v.action, labels: v.labels };
  } catch {
    return undefined;
  }
}

/** Parses a `diagnose_again` button value; undefined when it is not one of ours. */
export function parseDiagnoseAgainValue(value: string): DiagnoseAgainValue | undefined {
  try {
    const v = JSON.parse(value) as Partial<DiagnoseAgainValue>;
    if (typeof v.alert !== 'string' || !isStringRecord(v.labels)) return undefined;
    return { alert: v.alert, labels: v.labels };
  } catch {
    return undefined;
  }
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}
