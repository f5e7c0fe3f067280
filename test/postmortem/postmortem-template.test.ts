import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTemplateProblem } from '../../src/incidents/templates';
import { buildPostmortemFacts } from '../../src/postmortem/postmortem-facts';
import { postmortemSummary } from '../../src/postmortem/postmortem-service';
import { loadPostmortemTemplate, renderPostmortem, validatePostmortemTemplate } from '../../src/postmortem/postmortem-template';
import type { ThreadContents } from '../../src/postmortem/thread-reader';
import { escapeMrkdwn } from '../../src/slack/blocks/mrkdwn';
import type { Incident } from '../../src/domain/incident';

const TEMPLATES = join(__dirname, '..', '..', 'templates');

describe('validatePostmortemTemplate', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pm-template-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('accepts the shipped templates/postmortem.md', async () => {
    expect(await validatePostmortemTemplate(TEMPLATES)).toEqual([]);
  });

  it('names a missing file', async () => {
    const [p] = await validatePostmortemTemplate(dir);
    expect(formatTemplateProblem(p!)).toMatch(/postmortem\.md: missing: create it/);
  });

  it('names an unknown variable with its line and the closest known ones', async () => {
    await writeFile(join(dir, 'postmortem.md'), '# {{title}}\n\n{{action_itmes}}\n');
    const problems = await validatePostmortemTemplate(dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 3 });
    expect(problems[0]!.message).toMatch(/^unknown variable \{\{action_itmes\}\} \(did you mean \{\{action_items\}\}/);
  });

  it('names a syntax error with its line, and loading refuses it', async () => {
    await writeFile(join(dir, 'postmortem.md'), '# {{title}}\n{{#impact}}\nno end\n');
    expect(await validatePostmortemTemplate(dir)).toEqual([
      { file: expect.stringMatching(/postmortem\.md$/), line: 2, message: '{{#impact}} is never closed with {{/impact}}' },
    ]);
    await expect(loadPostmortemTemplate(dir)).rejects.toMatchObject({ code: 'NOT_CONFIGURED' });
  });
});

const incident: Incident = {
  id: 'INC-20260111100100',
  title: 'Evil <!channel> title <@U0ALICE>',
  severity: 'P1',
  status: 'resolved',
  channelId: 'C1',
  threadTs: '1768125630.000100',
  createdBy: 'U0ALICE',
  createdAt: new Date('2026-01-11T10:01:00Z'),
  startedAt: new Date('2026-01-11T10:00:00Z'),
  acknowledgedAt: new Date('2026-01-11T10:20:00Z'),
  acknowledgedBy: 'U0BOB',
  mitigatedAt: null,
  mitigatedBy: null,
  resolvedAt: new Date('2026-01-11T11:00:00Z'),
  resolvedBy: 'U0BOB',
  impact: 'all <!here> customers',
  summary: null,
  rootCause: '&lt;!everyone&gt; typed literally',
  resolution: null,
  lastUpdateAt: null,
  nextUpdateDueAt: null,
};

const hostileThread: ThreadContents = {
  channel: 'C1',
  threadTs: '1768125630.000100',
  pages: 1,
  names: new Map([['U0ALICE', 'alice']]),
  messages: [
    '<!channel> TODO: page <!subteam^S1|@oncall> and <@U0ALICE> about <#C0OPS|ops>',
    'AI: <!everyone> &lt;!here&gt; <https://evil.example|<@U0BOB>>',
    '- [ ] `<@U0ALICE>` in code and ```<!channel>``` in a block',
    'root cause: <@U0NOBODY> caused by &lt;@U0ALICE&gt;',
  ].map((text, i) => ({
    ts: `17681257${String(i).padStart(2, '0')}.000100`,
    userId: 'U0ALICE',
    author: 'alice',
    isBot: false,
    fromThisBot: false,
    text,
    edited: false,
    files: [],
  })),
};

describe('no mention is ever produced', () => {
  it('neither in the draft nor in the Slack summary, whatever the thread and the record say', async () => {
    const facts = buildPostmortemFacts({
      incident,
      events: [],
      thread: hostileThread,
      now: new Date('2026-01-11T12:00:00Z'),
      workspaceUrl: 'https://acme.slack.com',
    });
    const markdown = renderPostmortem(await loadPostmortemTemplate(TEMPLATES), facts, {
      version: 1,
      generatedAt: new Date('2026-01-11T12:00:00Z'),
    });
    const summary = postmortemSummary(facts, {
      version: 1,
      filename: 'postmortem.md',
      escape: escapeMrkdwn,
      stats: {
        messages: 4,
        pages: 1,
        threadReadMs: 1,
        timelineEvents: 0,
        actionItems: 3,
        rootCauseStatements: 1,
        impactStatements: 0,
        decisions: 0,
        peakValues: 0,
        participants: 1,
      },
    });
    expect(markdown).not.toMatch(/<[@!#]/);
    expect(summary).not.toMatch(/<[@!#]/);
    // The summary has no Slack control sequence at all: every "<" from a value is escaped.
    expect(summary).not.toMatch(/<(?!\u200b)/);
    expect(summary).toContain('• Page @oncall and @alice about #ops (oncall)');
    expect(summary).toContain('• @everyone &lt;\u200b!here&gt; [@U0BOB](https://evil.example)');
    expect(summary).toContain('*Post-mortem draft v1: Evil &lt;!channel&gt; title &lt;@U0ALICE&gt;*');
    // Action items on the way: broadcasts named as text, the link kept, code kept.
    expect(markdown).toContain('- [ ] Page @oncall and @alice about #ops (owner: @oncall) — said by @alice');
    expect(markdown).toContain('@everyone <\u200b!here> [@U0BOB](https://evil.example)');
    expect(markdown).toContain('- Recorded: all <\u200b!here> customers');
    expect(markdown).toContain('[message](https://acme.slack.com/archives/C1/p1768125700000100?thread_ts=1768125630.000100&cid=C1)');
  });

  it('renders the draft from a given template as a whole, and a missed SLA as missed', async () => {
    const facts = buildPostmortemFacts({
      incident,
      events: [],
      now: new Date('2026-01-11T12:00:00Z'),
      workspaceUrl: 'https://acme.slack.com',
    });
    const source = await readFile(join(TEMPLATES, 'postmortem.md'), 'utf8');
    expect(source).toContain('[FILL IN]');
    const markdown = renderPostmortem(await loadPostmortemTemplate(TEMPLATES), facts, {
      version: 3,
      generatedAt: new Date('2026-01-11T12:00:00Z'),
    });
    // Judged from detection (the opening, without an alert): 19 min for a 15-minute SLA.
    expect(markdown).toContain('- Response SLA (P1 at detection, 15 min): missed (acknowledged after 19 min)');
    expect(markdown).toContain('**Duration:** 1 h');
    // Without the thread, the draft does not claim that nobody committed to anything.
    expect(markdown).toContain('The Slack messages were not read, so the action items people agreed on are not listed here. [FILL IN]');
    expect(markdown.endsWith('\n')).toBe(true);
  });

  it('detection is the first report posted in the channel after the impact began, when it came before the opening and any alert', () => {
    const ts = (iso: string) => (new Date(iso).getTime() / 1000).toFixed(6);
    const channel = (messages: Array<[string, string, string]>): ThreadContents => ({
      channel: 'C1',
      threadTs: '',
      pages: 1,
      names: new Map(),
      messages: messages.map(([iso, author, text]) => ({
        ts: ts(iso),
        userId: `U0${author.toUpperCase()}`,
        author,
        isBot: false,
        fromThisBot: false,
        text,
        edited: false,
        files: [],
      })),
    });
    const build = (events: Parameters<typeof buildPostmortemFacts>[0]['events']) =>
      buildPostmortemFacts({
        incident: { ...incident, createdAt: new Date('2026-01-11T10:01:00Z'), startedAt: new Date('2026-01-11T09:40:00Z') },
        events,
        related: [
          {
            place: 'channel',
            contents: channel([
              ['2026-01-11T09:30:00Z', 'pat', 'errors in the nightly export again, unrelated, ignore'],
              ['2026-01-11T09:47:20Z', 'mia', 'Hi, several customers report card terminals declining payments since ~09:40'],
              ['2026-01-11T09:52:00Z', 'rob', 'more reports coming in'],
            ]),
          },
        ],
        now: new Date('2026-01-11T12:00:00Z'),
        workspaceUrl: 'https://acme.slack.com',
      });
    const reported = build([]);
    expect(reported.detection.toISOString()).toBe('2026-01-11T09:47:20.000Z');
    expect(reported.detectionSource).toMatch(
      /^first report in the channel, by @mia: \[message\]\(https:\/\/acme\.slack\.com\/archives\/C1\/p\d+\)$/,
    );
    expect(reported.timeToAcknowledgeMinutes).toBeCloseTo(32 + 40 / 60, 5);
    // An alert that fired before the report is the detection.
    const alerted = build([
      {
        id: 1,
        incidentId: incident.id,
        at: new Date('2026-01-11T09:45:00Z'),
        actor: 'alert:7',
        kind: 'alert_fired',
        text: 'Alert TerminalDeclines fired',
        data: { alertId: 7, fingerprint: 'f7', name: 'TerminalDeclines' },
      },
    ]);
    expect([alerted.detection.toISOString(), alerted.detectionSource]).toEqual([
      '2026-01-11T09:45:00.000Z',
      'alert TerminalDeclines fired',
    ]);
  });

  it('a time written in another zone in a status update is followed by its UTC time, in the timeline and the root cause', () => {
    const facts = buildPostmortemFacts({
      incident,
      events: [
        {
          id: 2,
          incidentId: incident.id,
          at: new Date('2026-01-11T10:30:00Z'),
          actor: 'U0BOB',
          kind: 'status_update',
          text: 'Cause identified: the gateway certificate expired at 11:05 CET. Fix: fail over.',
          data: {},
        },
      ],
      now: new Date('2026-01-11T12:00:00Z'),
      workspaceUrl: 'https://acme.slack.com',
    });
    expect(facts.timeline.map((t) => t.text)).toEqual([
      'Cause identified: the gateway certificate expired at 11:05 CET (10:05 UTC). Fix: fail over.',
    ]);
    expect(facts.rootCauses.map((c) => c.text)).toEqual(['the gateway certificate expired at 11:05 CET (10:05 UTC).']);
  });

  it('the resolution recorded without a summary is what the Resolved moment of the timeline says', async () => {
    const at = new Date('2026-01-11T11:00:00Z');
    const facts = buildPostmortemFacts({
      incident: { ...incident, resolution: 'Failed over to the standby terminal gateway' },
      events: [
        {
          id: 1,
          incidentId: incident.id,
          at,
          actor: 'U0BOB',
          kind: 'resolved',
          text: 'Resolved',
          data: { rootCause: 'expired gateway certificate', resolution: 'Failed over to the standby terminal gateway' },
        },
      ],
      now: new Date('2026-01-11T12:00:00Z'),
      workspaceUrl: 'https://acme.slack.com',
    });
    expect(facts.timeline.map((t) => t.text)).toEqual(['Resolved: Failed over to the standby terminal gateway']);
  });

  it('keeps seed 004\'s "Tasks affected" and "Error rate" when probes saw peak values, and seed 000\'s staging test and sharing', async () => {
    const facts = buildPostmortemFacts({
      incident,
      events: [],
      now: new Date('2026-01-11T12:00:00Z'),
      workspaceUrl: 'https://acme.slack.com',
    });
    const withPeaks: typeof facts = {
      ...facts,
      peaks: [{ label: 'Task processing p95', value: 42, unit: 's', display: '42 s', at: new Date('2026-01-11T10:05:00Z') }],
    };
    const markdown = renderPostmortem(await loadPostmortemTemplate(TEMPLATES), withPeaks, {
      version: 1,
      generatedAt: new Date('2026-01-11T12:00:00Z'),
    });
    expect(markdown).toContain('Peak values seen by the diagnostic checks:');
    expect(markdown).toContain('- Tasks affected: [FILL IN]');
    expect(markdown).toContain('- Error rate: [FILL IN]');
    expect(markdown).toContain('- [ ] Fix verified in staging');
    expect(markdown).toContain('- [ ] Lessons shared with the team');
  });
});
