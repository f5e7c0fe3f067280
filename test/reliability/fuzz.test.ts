import fc from 'fast-check';
import { parseAlertmanagerWebhook } from '../../src/alerts/alertmanager-webhook';
import { parseSlackAlert } from '../../src/alerts/slack-alert-parser';
import type { DiagnosisResult } from '../../src/diagnosis';
import { validateBlocks } from '../../src/emulator/block-kit-limits';
import { renderDiagnosisBlocks } from '../../src/slack/blocks/diagnosis-blocks';
import { escapeMrkdwn } from '../../src/slack/blocks/mrkdwn';
import { parseIncidentCommand } from '../../src/slack/command-grammar';

/**
 * Hostile input: whatever arrives, the parsers answer (never throw), and whatever the bot
 * renders passes Slack's Block Kit checks and contains no mention or link Slack would expand.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const totals: Record<string, number> = {};
const count = (name: string) => (totals[name] = (totals[name] ?? 0) + 1);
afterAll(() => {
  process.stdout.write(`fuzz cases run: ${JSON.stringify(totals)}\n`);
});

// Strings built to hurt: Slack control sequences, mrkdwn, control characters, big and unicode.
const nasty = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.constantFrom(
    '<!channel>',
    '<!here>',
    '<@U012ABC>',
    '<#C0123|general>',
    '<!subteam^S01|@oncall>',
    '<https://evil.example|click>',
    '*bold* _it_ `code` ```block```',
    '\u0000\u0007\u001b[31m',
    '&lt;!channel&gt;',
    '$(rm -rf /)',
    "'; DROP TABLE incidents; --",
    '../../etc/passwd',
    '{{agent}}',
  ),
  fc.string({ minLength: 3000, maxLength: 5000 }),
);

/** A Slack control sequence in rendered output means user text escaped its escaping. */
function assertNoSlackSequences(text: string): void {
  expect(text).not.toMatch(/<[!@#]/);
  expect(text).not.toMatch(/<https?:\/\/evil/);
}

describe('fuzz: /incident command text', () => {
  it('always parses to a command or a specific problem with usage', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          nasty,
          fc
            .tuple(fc.constantFrom('diagnose', 'open', 'ack', 'sev', 'resolve', 'remediate', 'update', 'status'), nasty)
            .map(([a, b]) => `${a} ${b}`),
        ),
        (text) => {
          count('command');
          const r = parseIncidentCommand(text);
          if (!r.ok) {
            expect(r.problem.length).toBeGreaterThan(0);
            expect(r.usage).toMatch(/\/incident/);
            // What the listener shows is escaped: no mention survives.
            assertNoSlackSequences(escapeMrkdwn(r.problem));
          } else if (r.command.name === 'diagnose' || r.command.name === 'remediate') {
            for (const [k, v] of Object.entries(r.command.labels)) {
              expect(k).toMatch(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/);
              expect(v.length).toBeLessThanOrEqual(256);
              expect(v).not.toMatch(/\s/);
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: alert posts and webhooks', () => {
  it('parses any Slack post without throwing, with labels capped', () => {
    fc.assert(
      fc.property(
        nasty,
        nasty,
        nasty,
        fc.constantFrom('[FIRING:2] ', '[RESOLVED] ', '[FIRING:1] StuckDetected ', ''),
        (title, text, label, prefix) => {
          count('slack-post');
          const events = parseSlackAlert(
            {
              subtype: 'bot_message',
              text: '',
              attachments: [
                { title: `${prefix}${title}`, text: `*Labels:*\n- alertname = ${title}\n- agent = ${label}\n${text}`, fallback: title },
              ],
            },
            { receivedAt: new Date('2026-01-01T00:00:00Z') },
          );
          for (const e of events) {
            expect(Object.keys(e.labels).length).toBeLessThanOrEqual(64);
            for (const [k, v] of Object.entries(e.labels)) {
              expect(k.length).toBeLessThanOrEqual(128);
              expect(v.length).toBeLessThanOrEqual(1024);
              // eslint-disable-next-line no-control-regex
              expect(v).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('accepts or refuses any webhook body with a message, never a throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({
            version: fc.constant('4'),
            groupKey: nasty,
            status: fc.constantFrom('firing', 'resolved', 'weird'),
            alerts: fc.array(
              fc.oneof(
                fc.jsonValue(),
                fc.record({
                  status: fc.constantFrom('firing', 'resolved'),
                  labels: fc.dictionary(nasty, nasty, { maxKeys: 5 }),
                  annotations: fc.dictionary(nasty, nasty, { maxKeys: 3 }),
                  startsAt: fc.constantFrom('2026-01-01T00:00:00Z', 'yesterday'),
                  fingerprint: nasty,
                }),
              ),
              { maxLength: 5 },
            ),
          }),
        ),
        (body) => {
          count('webhook');
          const r = parseAlertmanagerWebhook(body);
          if (!r.ok) expect(r.message.length).toBeGreaterThan(0);
          else
            expect(r.webhook.alerts.length + r.webhook.rejected.length).toBe(
              Array.isArray((body as { alerts?: unknown[] }).alerts) ? (body as { alerts: unknown[] }).alerts.length : 0,
            );
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: rendering a diagnosis', () => {
  const probe = fc.record({
    id: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    kind: fc.constantFrom('prometheus', 'redis', 'docker', 'http'),
    title: nasty,
    status: fc.constantFrom('ok', 'warn', 'crit', 'unknown' as const),
    summary: nasty,
    figures: fc.array(fc.record({ label: nasty, value: fc.oneof(nasty, fc.double()) }), { maxLength: 6 }),
    evidence: fc.record({ query: nasty, excerpt: nasty }),
    durationMs: fc.nat(10_000),
  });
  it('always produces valid Block Kit with no mention, link or broadcast from the data', () => {
    fc.assert(
      fc.property(
        fc.array(probe, { maxLength: 40 }),
        fc.dictionary(fc.stringMatching(/^[a-z_]{1,10}$/), nasty, { maxKeys: 5 }),
        nasty,
        fc.boolean(),
        (probes, labels, cause, complete) => {
          count('diagnosis-render');
          const r: DiagnosisResult = {
            runbook: { id: 'rb', title: 'Runbook', link: 'https://runbooks.example.com/x', file: 'rb.yaml' },
            dashboards: [],
            alert: { name: 'StuckDetected', severity: 'P1', labelHints: ['agent'] },
            labels,
            startedAt: '2026-01-01T00:00:00Z',
            complete,
            status: 'crit',
            probes: probes.map((p) => ({ ...p, status: p.status as 'ok' })),
            pending: [],
            causes: [{ probe: 'x', status: 'crit', cause, fix: cause }],
            manualSteps: [cause],
            remediations: [{ id: 'clear', kind: 'redis.delete-keys', title: 'Clear', risk: 'medium' }],
          };
          const { text, blocks } = renderDiagnosisBlocks(r);
          expect(validateBlocks(blocks)).toEqual([]);
          // Button values are opaque data Slack never renders; everything else is shown to people.
          const shown = JSON.stringify(blocks, (k, v: unknown) => (k === 'value' ? undefined : v)).replace(
            /<https:\/\/runbooks\.example\.com\/x\|[^>]*>/g,
            '',
          );
          assertNoSlackSequences(shown);
          assertNoSlackSequences(text);
        },
      ),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });
});
