import { defuseMentions, mrkdwnToMarkdown } from '../../src/postmortem/mrkdwn-to-markdown';

const names = new Map([
  ['U0ALICE', 'alice'],
  ['U0BOB', 'bob'],
]);
const md = (text: string) => mrkdwnToMarkdown(text, names);

describe('mrkdwnToMarkdown', () => {
  it.each([
    ['user mention → @name', 'ping <@U0ALICE> and <@U0BOB>', 'ping @alice and @bob'],
    ['unknown user keeps its label, else its id', '<@U0NOBODY|zed> <@U0NOBODY>', '@zed @U0NOBODY'],
    ['channel link → #name', 'see <#C0OPS|ops> and <#C0RAW>', 'see #ops and #C0RAW'],
    ['user group → its handle', 'cc <!subteam^S0ONCALL|@oncall> <!subteam^S0DBA|dba> <!subteam^S0NOLABEL>', 'cc @oncall @dba @S0NOLABEL'],
    ['broadcasts → plain text without brackets', '<!channel> <!here> <!everyone> <!here|here>', '@channel @here @everyone @here'],
    [
      'labelled link → [label](url)',
      'open <https://grafana.internal/d/x?a=1&amp;b=2|the dashboard>',
      'open [the dashboard](https://grafana.internal/d/x?a=1&b=2)',
    ],
    [
      'bare link and mailto',
      '<https://example.com/a> <mailto:ops@example.com|ops@example.com>',
      'https://example.com/a [ops@example.com](mailto:ops@example.com)',
    ],
    ['entities decoded', 'p95 &gt; 30s &amp;&amp; queue &lt; 10', 'p95 > 30s && queue < 10'],
    ['date token → its fallback text', 'since <!date^1768125600^{date_short}|Jan 11th, 2026>', 'since Jan 11th, 2026'],
    ['bold and strike', '*root cause* found, ~not~ the DB', '**root cause** found, ~~not~~ the DB'],
    ['bullets become list items', '• one\n• two', '- one\n- two'],
    ['link label brackets escaped', '<https://x.io|[draft] v2>', '[\\[draft\\] v2](https://x.io)'],
  ])('%s', (_name, input, expected) => {
    expect(md(input)).toBe(expected);
  });

  it('keeps a code block as a fenced block with its text, entities decoded and nothing else converted', () => {
    const input =
      'the trace:\n```Traceback (most recent call last):\n  *not bold* &lt;x&gt; <https://x.io|y>```\nthen `redis-cli XLEN a&amp;b` ran';
    expect(md(input)).toBe(
      'the trace:\n```\nTraceback (most recent call last):\n  *not bold* <x> <https://x.io|y>\n```\nthen `redis-cli XLEN a&b` ran',
    );
  });

  it('puts an inline triple-backtick block on its own lines', () => {
    expect(md('run ```SELECT 1;``` now')).toBe('run\n```\nSELECT 1;\n```\nnow');
    expect(md('```\n  indented\n    more\n```')).toBe('```\n  indented\n    more\n```');
  });

  it('never leaves a Slack control sequence that could ping, even from escaped text people typed', () => {
    // People typing "<!channel>" literally arrive escaped; decoding must not turn them into a live broadcast.
    const out = md('typed &lt;!channel&gt; and &lt;@U0ALICE&gt; and &lt;#C1&gt;, in code `&lt;!here&gt;` and ```&lt;@U0BOB&gt;```');
    expect(out).not.toMatch(/<[@!#]/);
    expect(out).toContain('<\u200b!channel>');
  });
});

describe('defuseMentions', () => {
  it('breaks <@, <! and <# and leaves other angle brackets alone', () => {
    expect(defuseMentions('<@U1> <!here> <#C1|x> a < b <b>')).toBe('<\u200b@U1> <\u200b!here> <\u200b#C1|x> a < b <b>');
  });
});
