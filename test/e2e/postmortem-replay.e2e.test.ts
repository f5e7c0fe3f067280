import type { EmulatedMessage } from '../../src/emulator/slack-emulator';
import { loadFixtures, replayFixture, type IncidentFixture } from '../support/incident-replay';
import { markdownSection } from '../support/recorded-calls';

/**
 * A support report, an incident opened by hand with `started=`, an alert fired later and linked with
 * `/incident link-alert`, a mitigation, follow-ups agreed in the thread: replayed through the bot (createApp on
 * PostgreSQL, the Slack emulator, one clock). The draft's Metrics, Timeline and Action items are what a reviewer
 * expects, and the ✅ / ✖ buttons of the summary decide what the next draft lists.
 */
describe('post-mortem of a replayed incident thread', () => {
  let fixture: IncidentFixture;
  beforeAll(async () => {
    fixture = (await loadFixtures()).find((f) => f.name === 'workers-oom-crashloop')!.fixture;
  });

  it("reports the facts from the record, the commitments and the key moments, and keeps the people's decisions on action items", async () => {
    let second = '';
    let decidedBlocks = '';
    let followUps = '';
    const { markdown } = await replayFixture(fixture, {
      afterDraft: async (ctx) => {
        const replies = ctx.slack.messages(ctx.channel).flatMap((m) => [m, ...(m.replies ?? [])]);
        const summary = replies.find((m) => JSON.stringify(m.blocks ?? []).includes('postmortem_item_confirm'));
        expect(summary).toBeDefined();
        const blocks = (summary!.blocks ?? []) as Array<{
          block_id?: string;
          text?: { text: string };
          elements?: Array<{ action_id?: string; value?: string }>;
        }>;
        const buttonsOf = (phrase: string) => {
          const i = blocks.findIndex(
            (b) => b.block_id?.startsWith('pm_item_text:') && b.text?.text.toLowerCase().includes(phrase.toLowerCase()),
          );
          return blocks[i + 1]!;
        };
        const confirm = buttonsOf('cap restarts').elements!.find((e) => e.action_id === 'postmortem_item_confirm')!;
        const drop = buttonsOf('customer RCA').elements!.find((e) => e.action_id === 'postmortem_item_drop')!;
        await ctx.click('olga', summary as EmulatedMessage, {
          actionId: 'postmortem_item_confirm',
          value: confirm.value!,
          blockId: buttonsOf('cap restarts').block_id!,
        });
        const afterFirst = ctx.slack.thread(ctx.channel, summary!.thread_ts!).find((m) => m.ts === summary!.ts)!;
        await ctx.click('yuki', afterFirst, {
          actionId: 'postmortem_item_drop',
          value: drop.value!,
          blockId: buttonsOf('customer RCA').block_id!,
        });
        decidedBlocks = JSON.stringify(ctx.slack.thread(ctx.channel, summary!.thread_ts!).find((m) => m.ts === summary!.ts)!.blocks);
        const before = ctx.slack.calls.length;
        await ctx.command('olga', `followups ${ctx.incidentId}`);
        followUps = JSON.stringify(ctx.slack.calls.slice(before).map((c) => c.args));
        ctx.clock.advance(60_000);
        await ctx.command('olga', `postmortem ${ctx.incidentId}`);
        const v2 = ctx.slack.uploadedFiles().find((f) => f.name === `postmortem-${ctx.incidentId}-v2.md`);
        second = v2?.bytes.toString('utf8') ?? '';
      },
    });

    const metrics = markdownSection(markdown, 'Metrics');
    expect(metrics).toContain('- Start of impact: 2026-02-17 13:40:00 UTC (stated by a responder)');
    // Support reported it in the channel six minutes before the incident was opened: that is when it was detected.
    expect(metrics).toMatch(/- Detected: 2026-02-17 13:52:30 UTC \(first report in the channel, by @lena: \[message\]\(https:\/\/\S+\)\)/);
    expect(metrics).toContain('- Acknowledged: 2026-02-17 14:00:10 UTC by @ravi (the incident)');
    expect(metrics).toContain('- Mitigated: 2026-02-17 14:35:10 UTC');
    expect(metrics).toContain('- Time to acknowledge: 7 min 40 s (from detection)');
    expect(metrics).toContain('- Impact duration: 55 min 10 s');
    expect(metrics).toMatch(/- Response SLA \(P2 at detection, 1 h\): met \(acknowledged after 7 min 40 s\)/);

    const timeline = markdownSection(markdown, 'Timeline');
    // The time written in CET is placed at its UTC time; the reporter's thread and the linked alert are read.
    expect(timeline).toMatch(/- \*\*13:40:12\*\* @ravi: first failures in the scheduler log at 14:40:12 CET \(13:40:12 UTC\)/);
    expect(timeline).toMatch(/- \*\*13:52:30\*\* @lena: Hello, several customers/);
    expect(timeline).toMatch(/- \*\*14:04:00\*\* alert: Alert WorkflowFailuresHigh fired/);
    expect(timeline).toMatch(/- \*\*14:05:40\*\* @mike: Alert WorkflowFailuresHigh acknowledged/);
    expect(timeline).not.toMatch(/How many customers|😂|fun fact/);

    const actions = markdownSection(markdown, 'Action Items')
      .split('\n')
      .filter((l) => l.startsWith('- [ ]'));
    expect(actions.map((l) => /\(owner: @(\w+)\)/.exec(l)?.[1])).toEqual(['ben', 'mike', 'mike', 'ravi', 'ben', 'olga']);
    expect(actions.join('\n')).toMatch(/PLAT-2231[\s\S]*#4474[\s\S]*PLAT-2240/);
    expect(markdownSection(markdown, 'Action Items')).not.toMatch(/No action items needed|let's collect/);
    expect(markdownSection(markdown, 'Root Cause Analysis')).toMatch(/WORKER_CONCURRENCY 4 → 8/);
    const impact = markdownSection(markdown, 'Impact');
    expect(impact).not.toMatch(/\?\s*—/);
    expect(impact.split('\n')[0]).toMatch(
      /^- ~31% of workflow runs failing \(1,240 runs, 212 customers\)\. — @olga \(status update, 14:12 UTC\)/,
    );
    expect(markdownSection(markdown, 'Lessons Learned')).toMatch(
      /\*\*Where we got lucky\*\*\n\n- The retry policy re-ran almost every failed run/,
    );

    // A confirmed action item is a tracked follow-up; a dropped one is not.
    expect(decidedBlocks).toMatch(/Confirmed by <@U0OLGAIC03> · follow-up #\d+/);
    // Owned by who accepted it in the thread (a name there, a person here): not a name left in the text.
    expect(followUps).toMatch(/Cap restarts on the worker deployment[^"]* — <@U0BENPLAT4> · due/);
    expect(followUps).not.toMatch(/owner: ben/);
    expect(followUps).not.toMatch(/customer RCA/);
    expect(decidedBlocks).toMatch(/Dropped by <@U0YUKIPM06>/);
    const v2Actions = markdownSection(second, 'Action Items');
    expect(v2Actions).toMatch(/Cap restarts on the worker deployment.*confirmed by @olga/);
    expect(v2Actions).not.toMatch(/customer RCA/);
  }, 180_000);
});
