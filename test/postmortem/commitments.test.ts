import { extractCommitments, type CommitmentSource } from '../../src/postmortem/commitments';
import { withOwnerIds } from '../../src/postmortem/postmortem-facts';
import { fixtureThread } from './fixture-threads';

const AT = new Date('2026-03-10T11:00:00Z');
const say = (author: string, markdown: string, minutes = 0): CommitmentSource => ({
  markdown,
  author,
  at: new Date(AT.getTime() + minutes * 60_000),
  link: `https://acme.slack.com/archives/C1/p${minutes}`,
});
const summary = (items: ReturnType<typeof extractCommitments>) => items.map((i) => [i.owner, i.text, i.rule]);

describe('action items are commitments people made', () => {
  it('takes "I\'ll …", "I will …", "on it" and "I\'ll own …" as the author\'s, keeping ticket ids', () => {
    const items = extractCommitments([
      say('marc', "I'll rewrite the 0042 backfill to commit every 1k rows — CC-1418"),
      say('marc', "and I'll remove SKIP_MIGRATIONS from the prod deploy pipeline. CC-1412", 1),
      say('priya', 'we need an alert on idle-in-transaction > 20 that fires before the pool is gone. on it', 2),
      say('ravi', "I'll own the alert tuning: WorkflowFailuresHigh fired 24 min late. #4474", 3),
    ]);
    expect(summary(items)).toEqual([
      ['marc', 'Rewrite the 0042 backfill to commit every 1k rows — CC-1418', 'self'],
      ['marc', 'Remove SKIP_MIGRATIONS from the prod deploy pipeline. CC-1412', 'self'],
      ['priya', 'We need an alert on idle-in-transaction > 20 that fires before the pool is gone', 'self'],
      ['ravi', 'Own the alert tuning: WorkflowFailuresHigh fired 24 min late. #4474', 'self'],
    ]);
    expect(items.map((i) => i.tickets)).toEqual([['CC-1418'], ['CC-1412'], [], ['#4474']]);
  });

  it('gives a request to a person to whoever accepts it, with the ticket from the acceptance', () => {
    const items = extractCommitments(
      [
        say('sofia', '@tom can you set idle_in_transaction_session_timeout on the memory_daemon role?'),
        say('tom', '👍 will do, 5 min seems right', 1),
        say('kai', 'should we also lint migrations for long transactions?', 2),
        say('sofia', 'good idea. kai, can you take that one?', 3),
        say('kai', "sure, I'll take it — PLAT-2231", 4),
      ],
      { people: ['sofia', 'tom', 'kai'] },
    );
    expect(summary(items)).toEqual([
      ['tom', 'Set idle_in_transaction_session_timeout on the memory_daemon role', 'accepted_request'],
      ['kai', 'Lint migrations for long transactions — PLAT-2231', 'accepted_request'],
    ]);
  });

  it('an acceptance by someone else than the person asked does not take the request', () => {
    const items = extractCommitments([say('olga', '@ben can you cap restarts on the worker deployment?'), say('mike', '👍', 1)], {
      people: ['olga', 'ben', 'mike'],
    });
    expect(items).toEqual([]);
  });

  it('drops questions, negations, meta lines, code TODOs and investigation steps', () => {
    const items = extractCommitments([
      say('sofia', "ok, let's collect follow-ups before we close this"),
      say('jen', 'No action items needed from support side, we already replied to all tickets.', 1),
      say('kai', 'found this lol:\n```\n# TODO: commit per batch?\nfor batch in batches(rows): ...\n```', 2),
      say('noah', 'what about the runbook?', 3),
      say('yuki', 'will someone update the runbook?', 4),
      say('marc', "I won't touch the deploy config again today 🙃", 5),
      say('felix', "I don't think we need to change the cache TTLs, they were not involved.", 6),
      say('ravi', "the other 50 hit the max-attempts limit, I'll check them", 7),
    ]);
    expect(items).toEqual([]);
  });

  it('while the fire burns, "I\'ll …" is a response step unless it names a ticket or a due date', () => {
    const until = new Date(AT.getTime() + 30 * 60_000);
    const items = extractCommitments(
      [
        say('sofia', "I'll take IC. priya investigates"),
        say('amara', "it doesn't, I'll set it on both", 5),
        say('sam', "I'll write the config-sync fix tomorrow", 6),
      ],
      { firefightingUntil: until },
    );
    expect(summary(items)).toEqual([['sam', 'Write the config-sync fix tomorrow', 'self']]);
  });

  it('keeps explicit markers: TODO:, AI: and checkboxes, with an @owner', () => {
    const items = extractCommitments([
      say('carol', 'AI: @bob add an index on tasks.state\n- [ ] page the DBA on pool alerts\n- [x] roll back'),
    ]);
    expect(summary(items)).toEqual([
      ['bob', 'Add an index on tasks.state', 'marker'],
      [undefined, 'Page the DBA on pool alerts', 'marker'],
      [undefined, 'Roll back', 'marker'],
    ]);
    expect(items[2]!.done).toBe(true);
  });

  it.each([
    [
      'pool-exhausted-migration',
      'mitigate',
      [
        ['marc', /CC-1418/i],
        ['marc', /CC-1412/i],
        ['tom', /idle_in_transaction_session_timeout/i],
        ['priya', /alert on idle-in-transaction/i],
        ['kai', /lint migrations.*PLAT-2231/i],
      ],
    ],
    [
      'workers-oom-crashloop',
      'mitigate',
      [
        ['ben', /cap restarts/i],
        ['mike', /PLAT-2231/i],
        ['mike', /runbook/i],
        ['ravi', /#4474/i],
        ['ben', /load test.*PLAT-2240/i],
        ['olga', /customer RCA/i],
      ],
    ],
    [
      'semantic-cache-eviction',
      'mitigate',
      [
        ['sam', /#4474/i],
        ['noah', /eviction policy/i],
        ['felix', /burn-rate/i],
        ['felix', /OOM errors.*SEM-310/i],
        ['li', /status page post-mortem/i],
        ['amara', /OPS-77/i],
      ],
    ],
  ] as const)('finds every follow-up of the %s thread and nothing else', (name, mitigation, expected) => {
    const thread = fixtureThread(name);
    const items = extractCommitments(thread.messages, { firefightingUntil: thread.commandAt(mitigation), people: thread.people });
    expect(items).toHaveLength(expected.length);
    expected.forEach(([owner, re], i) => {
      expect(items[i]!.owner).toBe(owner);
      expect(items[i]!.text).toMatch(re);
    });
  });
});

describe('the owner of an action item as a Slack user', () => {
  it('is the person the name belongs to in the messages read (author or mentioned); a name two people share stays a name', () => {
    const items = extractCommitments(
      [
        say('dana', 'Alex, could you add a canary step to the cert rotation job?'),
        say('alex', 'yes, will do — SEC-77', 1),
        say('dana', "I'll write the runbook page for expired intermediates, OPS-12", 2),
        say('lee', 'TODO: @sam rotate the staging certs too', 3),
        say('lee', 'TODO: @morgan review the alert thresholds', 4),
      ],
      { people: ['dana', 'alex', 'lee', 'sam', 'morgan'] },
    );
    // sam was only mentioned (<@U0SAM> in Slack); two different people are shown as "morgan".
    const names = new Map([
      ['U0SAM00001', 'sam'],
      ['U0MORGAN01', 'morgan'],
      ['U0MORGAN02', 'Morgan'],
    ]);
    const people = [
      { message: { author: 'dana', userId: 'U0DANA0001', isBot: false } },
      { message: { author: 'alex', userId: 'U0ALEX0001', isBot: false } },
      { message: { author: 'lee', userId: 'U0LEE00001', isBot: false } },
      { message: { author: 'certbot', userId: 'U0CERTBOT1', isBot: true } },
    ];
    expect(withOwnerIds(items, names, people).map((i) => [i.owner, i.ownerId])).toEqual([
      ['alex', 'U0ALEX0001'],
      ['dana', 'U0DANA0001'],
      ['sam', 'U0SAM00001'],
      ['morgan', undefined],
    ]);
  });
});
