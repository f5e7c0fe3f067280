import { extractStatements, type SourceMessage } from '../../src/postmortem/extract';

const at = new Date('2026-01-11T10:15:00Z');
const msg = (markdown: string, i = 0): SourceMessage => ({ markdown, author: '@alice', at, link: `https://slack.com/archives/C1/p${i}` });

describe('extractStatements', () => {
  it('finds action items in every accepted form, strips the marker and names the owner', () => {
    const out = extractStatements([
      msg('Action items:\n- [ ] add XAUTOCLAIM on consumer start @bob\n- [x] restart worker-7\nTODO: document failover in runbook 004', 1),
      msg('AI: @alice review supervisor limits', 2),
      msg('follow-up: postmortem review on Thursday', 3),
      msg('Action item - raise the pool size', 4),
      msg('we need a follow up on the disk alert', 5),
    ]);
    const actions = out.filter((s) => s.kind === 'action_item');
    expect(actions.map((a) => [a.text, a.owner, a.done ?? false])).toEqual([
      ['add XAUTOCLAIM on consumer start @bob', 'bob', false],
      ['restart worker-7', undefined, true],
      ['document failover in runbook 004', undefined, false],
      ['@alice review supervisor limits', 'alice', false],
      ['postmortem review on Thursday', undefined, false],
      ['raise the pool size', undefined, false],
      ['we need a follow up on the disk alert', undefined, false],
    ]);
    expect(actions[0]!.link).toBe('https://slack.com/archives/C1/p1');
    // "Action items:" alone introduces the list; it is not an item itself.
    expect(actions.some((a) => a.text === '')).toBe(false);
  });

  it('finds root-cause, impact, decision and lesson statements, each once, linked to its message', () => {
    const out = extractStatements([
      msg('Root cause: the consumer group lost its lock after the Redis failover', 1),
      msg('this was caused by a missing XAUTOCLAIM', 2),
      msg('RCA to follow', 3),
      msg('~1,200 customer tasks were affected', 4),
      msg('Impact is limited to the EU workers', 5),
      msg('We decided to keep the restart limit at 3', 6),
      msg('we will add an alert on XPENDING growth', 7),
      msg('Lesson learned: failover drills would have caught this', 8),
      msg('ok thanks', 9),
      msg("no blame here, we'll get to the why in the post-mortem", 10),
      msg('so we will roll back first?', 11),
    ]);
    expect(out.map((s) => [s.kind, s.link.slice(-2)])).toEqual([
      ['root_cause', 'p1'],
      ['root_cause', 'p2'],
      ['root_cause', 'p3'],
      ['impact', 'p4'],
      ['impact', 'p5'],
      ['decision', 'p6'],
      ['decision', 'p7'],
      ['lesson', 'p8'],
    ]);
  });

  it('ignores markers inside code blocks', () => {
    expect(extractStatements([msg('the log:\n```\nTODO: this is in a stack trace\nroot cause unknown\n```')])).toEqual([]);
  });

  it('finds nothing in a thread with no action items or statements', () => {
    expect(extractStatements([msg('looking'), msg('restarting worker-7'), msg('back to normal')])).toEqual([]);
  });
});
