import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseTemplate, renderTemplate, Mention } from '../../src/incidents/template-engine';
import { formatDuration, formatTemplateProblem, loadTemplates, validateTemplates, TEMPLATE_FILES } from '../../src/incidents/templates';
import { escapeMrkdwn } from '../../src/slack/blocks/mrkdwn';
import type { Incident } from '../../src/domain/incident';

const REPO_TEMPLATES = path.join(__dirname, '../../templates');

const incident: Incident = {
  id: 'INC-20260111100200',
  title: '<!channel> <@U123> Workers stuck & <https://evil.example|click>',
  severity: 'P1',
  status: 'open',
  channelId: 'C1',
  threadTs: null,
  createdBy: 'U0OPENER',
  createdAt: new Date('2026-01-11T10:02:00Z'),
  startedAt: new Date('2026-01-11T09:55:00Z'),
  acknowledgedAt: null,
  acknowledgedBy: null,
  mitigatedAt: null,
  mitigatedBy: null,
  resolvedAt: null,
  resolvedBy: null,
  impact: 'Tasks <!here> are not processed',
  summary: null,
  rootCause: null,
  resolution: null,
  lastUpdateAt: null,
  nextUpdateDueAt: new Date('2026-01-11T10:32:00Z'),
};

const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tempDirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function tempTemplates(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'incident-templates-'));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(dir, name), text);
  return dir;
}

async function copyOfRepoTemplates(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const spec of Object.values(TEMPLATE_FILES)) out[spec.file] = await fs.readFile(path.join(REPO_TEMPLATES, spec.file), 'utf8');
  return out;
}

describe('the shipped templates', () => {
  it('are valid', async () => {
    expect(await validateTemplates(REPO_TEMPLATES)).toEqual([]);
  });

  it('render the incident-opened notification of seed 002, with every value escaped', async () => {
    const t = await loadTemplates(REPO_TEMPLATES, escapeMrkdwn);
    const text = t.incidentOpened(incident);
    expect(text).toBe(
      [
        ':rotating_light: *INCIDENT: &lt;!channel&gt; &lt;@U123&gt; Workers stuck &amp; &lt;https://evil.example|click&gt;*',
        '*Severity:* P1 (high)',
        '*Start Time:* 2026-01-11 09:55 UTC',
        '*Impact:* Tasks &lt;!here&gt; are not processed',
        '*Current Status:* Investigating',
        '*Next Update:* In 30 minutes (by 10:32 UTC)',
        '*Incident ID:* INC-20260111100200',
      ].join('\n'),
    );
    // Nothing a value contributed can open a Slack control sequence.
    expect(text).not.toMatch(/<[!@#]/);
  });

  it('render status updates with a real mention of the author only', async () => {
    const t = await loadTemplates(REPO_TEMPLATES, escapeMrkdwn);
    const text = t.statusUpdate(
      { ...incident, status: 'acknowledged' },
      { text: 'failing over <!channel>', actor: 'U0ONCALL', at: new Date('2026-01-11T10:20:00Z') },
    );
    expect(text).toContain('*Update (2026-01-11 10:20 UTC, <@U0ONCALL>):* failing over &lt;!channel&gt;');
    expect(text).toContain('*Current Status:* Acknowledged, investigating');
    const spoofed = t.statusUpdate(incident, { text: 'x', actor: '<!channel>', at: new Date() });
    expect(spoofed).toContain('&lt;!channel&gt;');
    expect(spoofed).not.toContain('<!channel>');
  });

  it('render the resolution notification: duration, root cause, resolution, post-mortem only when offered', async () => {
    const t = await loadTemplates(REPO_TEMPLATES, escapeMrkdwn);
    const resolved: Incident = {
      ...incident,
      status: 'resolved',
      resolvedAt: new Date('2026-01-11T11:18:00Z'),
      resolvedBy: 'U0ONCALL',
      rootCause: 'Redis stream stuck',
      resolution: 'Restarted worker-7',
      nextUpdateDueAt: null,
    };
    const text = t.incidentResolved(resolved, { durationMinutes: 83, offerPostmortem: true });
    expect(text).toContain('*Resolution Time:* 2026-01-11 11:18 UTC');
    expect(text).toContain('*Duration:* 1 h 23 min');
    expect(text).toContain('*Root Cause:* Redis stream stuck');
    expect(text).toContain('*Resolution:* Restarted worker-7');
    expect(text).toContain('*Post-Mortem:* to be written');
    const quiet = t.incidentResolved({ ...resolved, severity: 'P3', rootCause: null }, { durationMinutes: 5, offerPostmortem: false });
    expect(quiet).not.toContain('Post-Mortem');
    expect(quiet).toContain('*Root Cause:* To be determined');
  });
});

describe('validateTemplates', () => {
  it('names a missing file', async () => {
    const files = await copyOfRepoTemplates();
    delete files['status-update.txt'];
    const dir = await tempTemplates(files);
    const problems = await validateTemplates(dir);
    expect(problems).toHaveLength(1);
    expect(formatTemplateProblem(problems[0]!)).toMatch(new RegExp(`^${path.basename(dir)}/status-update.txt: missing: create it`));
  });

  it('names an unknown variable with its line and the closest known ones', async () => {
    const files = await copyOfRepoTemplates();
    files['incident-opened.txt'] = 'INCIDENT: {{title}}\nSeverity: {{severty}}\n{{#postmortem}}x{{/postmortem}}';
    const dir = await tempTemplates(files);
    const problems = (await validateTemplates(dir)).map(formatTemplateProblem);
    expect(problems).toEqual([
      expect.stringMatching(
        /incident-opened.txt:2: unknown variable \{\{severty\}\} \(did you mean \{\{severity\}\}\?\); this template can use incident_id, title/,
      ),
      // postmortem exists, but only in the resolution notification
      expect.stringMatching(/incident-opened.txt:3: unknown variable \{\{postmortem\}\}/),
    ]);
    await expect(loadTemplates(dir, escapeMrkdwn)).rejects.toMatchObject({
      code: 'NOT_CONFIGURED',
      userMessage: expect.stringContaining('severty'),
    });
  });

  it('names syntax errors with their line', async () => {
    const files = await copyOfRepoTemplates();
    files['incident-resolved.txt'] = 'ok {{title}}\n{{#postmortem}}\nnever closed';
    files['status-update.txt'] = 'raw: {{{update}}}';
    const dir = await tempTemplates(files);
    const problems = (await validateTemplates(dir)).map(formatTemplateProblem);
    expect(problems).toEqual([
      expect.stringMatching(/status-update.txt:1: triple braces \{\{\{update\}\}\} are not supported/),
      expect.stringMatching(/incident-resolved.txt:2: \{\{#postmortem\}\} is never closed/),
    ]);
  });
});

describe('the template engine', () => {
  it('escapes every value, shows sections by truthiness, drops comments', () => {
    const out = renderTemplate(
      '{{! note }}A {{a}}{{#b}} B={{b}}{{/b}}{{^c}} no-c{{/c}}{{#d}} D{{/d}}',
      { a: '<&>', b: 'yes', c: '', d: false },
      escapeMrkdwn,
    );
    expect(out).toBe('A &lt;&amp;&gt; B=yes no-c');
  });

  it('renders mentions only for ids shaped like Slack user ids', () => {
    expect(renderTemplate('{{who}}', { who: Mention.of('U0ABC123') }, escapeMrkdwn)).toBe('<@U0ABC123>');
    expect(renderTemplate('{{who}}', { who: Mention.of('!channel') }, escapeMrkdwn)).toBe('!channel');
    expect(renderTemplate('{{who}}', { who: Mention.of('<!here>') }, escapeMrkdwn)).toBe('&lt;!here&gt;');
  });

  it('refuses mismatched sections', () => {
    expect(() => parseTemplate('{{#a}}x{{/b}}')).toThrow('{{/b}} closes {{#a}} (opened on line 1)');
    expect(() => parseTemplate('x{{/a}}')).toThrow('closes a section that was never opened');
    expect(() => parseTemplate('{{Bad Name}}')).toThrow('is not a variable name');
  });

  it('formats durations', () => {
    expect([0.5, 42, 60, 83, 1440, 1500, 3000].map(formatDuration)).toEqual([
      '< 1 min',
      '42 min',
      '1 h',
      '1 h 23 min',
      '1 d',
      '1 d 1 h',
      '2 d 2 h',
    ]);
  });
});
