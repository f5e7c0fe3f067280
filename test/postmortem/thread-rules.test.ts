import { pickMoments, scoreMessages, type MomentSource } from '../../src/postmortem/key-moments';
import { withUtcTimes, writtenTimes } from '../../src/postmortem/message-times';
import { corrected, correctionIn, impactStatements, lessons, rootCauseStatements } from '../../src/postmortem/narrative';
import { fixtureThread } from './fixture-threads';

describe('times written in messages', () => {
  it('reads CET, CEST and bare times as UTC on the day of the message', () => {
    const posted = new Date('2026-02-17T14:00:50Z');
    expect(writtenTimes('first failures in the scheduler log at 14:40:12 CET', posted).map((t) => t.at.toISOString())).toEqual([
      '2026-02-17T13:40:12.000Z',
    ]);
    expect(writtenTimes('set it back (CONFIG SET, 10:41 CEST)', new Date('2026-05-06T08:41:00Z'))[0]!.at.toISOString()).toBe(
      '2026-05-06T08:41:00.000Z',
    );
    expect(writtenTimes('errors since 09:58', new Date('2026-03-10T10:19:30Z'))[0]!.at.toISOString()).toBe('2026-03-10T09:58:00.000Z');
    // 23:50 written ten minutes after midnight is yesterday's.
    expect(writtenTimes('deploy at 23:50', new Date('2026-03-11T00:10:00Z'))[0]!.at.toISOString()).toBe('2026-03-10T23:50:00.000Z');
    expect(writtenTimes('p95 is 7.8s, version 2.14.0, ratio 96/100', posted)).toEqual([]);
  });

  it('adds the UTC time after a time written in another zone', () => {
    expect(withUtcTimes('revert is live at 15:31 CET', new Date('2026-02-17T14:31:20Z'))).toBe('revert is live at 15:31 CET (14:31 UTC)');
    expect(withUtcTimes('since 09:58', new Date('2026-03-10T10:19:30Z'))).toBe('since 09:58');
    expect(withUtcTimes('policy reset (CONFIG SET, 10:41 CEST). evictions (again)', new Date('2026-05-06T08:41:00Z'))).toBe(
      'policy reset (CONFIG SET, 10:41 CEST = 08:41 UTC). evictions (again)',
    );
  });
});

describe('key moments of a thread', () => {
  const moments = (name: string, opened: string, firstAlert: string | null) => {
    const thread = fixtureThread(name);
    const sources: MomentSource[] = thread.messages.map((m) => ({
      markdown: m.markdown,
      who: `@${m.author}`,
      at: m.at,
      link: m.link,
      place: 'incident',
    }));
    // The replay marks where each was written; here the channel messages are those before the incident was opened.
    for (const s of sources) if (s.at < new Date(opened)) s.place = 'channel';
    return pickMoments(
      scoreMessages(sources, { incidentOpened: new Date(opened), firstAlert: firstAlert ? new Date(firstAlert) : null }),
      10,
    );
  };

  it('keeps actions done, the change before, findings with figures and stated times; drops questions, guesses, jokes and intentions', () => {
    const picked = moments('pool-exhausted-migration', '2026-03-10T10:12:10Z', '2026-03-10T10:02:00Z');
    const shown = picked.map((m) => `${m.at.toISOString().slice(11, 19)} ${m.text.slice(0, 40)}`);
    expect(shown).toEqual([
      '09:55:20 deploying memory-daemon 2.14.0 to prod n',
      '09:58:40 the oldest idle transaction started at 0',
      '10:04:45 Hi all, support is getting tickets that ',
      '10:15:30 pg_stat_activity: 96/100 connections use',
      '10:31:20 terminated 71 sessions. pool back at 34/',
      '10:35:50 rolled back memory-daemon to 2.13.2, all',
      '11:02:10 backlog drained 🎉',
    ]);
    const all = picked.map((m) => m.text).join('\n');
    expect(all).not.toMatch(
      /could be pgbouncer|should we just roll back|terminating idle-in-transaction sessions older than 5 min now|rip 71|until the backlog/,
    );
  });

  it('places a moment at the time a message names, and counts a report that came before any alert', () => {
    const picked = moments('workers-oom-crashloop', '2026-02-17T13:58:40Z', '2026-02-17T14:04:00Z');
    const first = picked.find((m) => m.statedAt)!;
    expect(first.at.toISOString()).toBe('2026-02-17T13:40:12.000Z');
    expect(first.text).toBe(
      'first failures in the scheduler log at 14:40:12 CET (13:40:12 UTC). every worker pod OOMKilled within a minute of starting',
    );
    expect(picked.map((m) => m.who)).toContain('@lena');
  });
});

describe('the first report from people', () => {
  it('is a moment when it came after the alert too (what users saw), below an action done; later reports are discussion', () => {
    const at = (hhmm: string) => new Date(`2026-09-14T${hhmm}:00Z`);
    const msg = (hhmm: string, who: string, markdown: string, place: MomentSource['place']): MomentSource => ({
      markdown,
      who: `@${who}`,
      at: at(hhmm),
      link: `https://x/p${hhmm.replace(':', '')}`,
      place,
    });
    const scored = scoreMessages(
      [
        msg('14:03', 'nora', 'support here: 5 tickets about failed logins in the last 10 min. anyone on it?', 'channel'),
        msg('14:06', 'jo', 'more login failures reported by customers in APAC', 'channel'),
        msg('14:20', 'kim', 'restarted the auth pods, logins back to normal', 'incident'),
      ],
      { incidentOpened: at('14:10'), firstAlert: at('14:00') },
    );
    expect(scored.map((m) => [m.who, m.score])).toEqual([
      ['@nora', 3],
      ['@kim', 4],
    ]);
    expect(scored[0]!.text).toBe('support here: 5 tickets about failed logins in the last 10 min.');
  });
});

describe('a later correction', () => {
  const at = (hhmm: string) => new Date(`2026-09-14T${hhmm}:00Z`);
  it('replaces the wrong value in the moment it corrects, and says so; other moments are left alone', () => {
    const fixes = [
      correctionIn('correction: checkout p99 is 1.9s, not 900ms. wrong dashboard', at('14:30')),
      correctionIn("actually it's gateway-3, not gateway-2", at('14:40')),
    ].flatMap((c) => c ?? []);
    expect(fixes.map((c) => [c.right, c.wrong])).toEqual([
      ['1.9s', '900ms'],
      ['gateway-3', 'gateway-2'],
    ]);
    expect(corrected('checkout p99 at 900ms since 14:02', at('14:10'), fixes)).toBe(
      'checkout p99 at 1.9s since 14:02 _(corrected at 14:30 UTC: 900ms → 1.9s)_',
    );
    // Written after the correction, about something else, or naming the value twice: as written.
    expect(corrected('checkout p99 at 900ms again', at('14:35'), fixes)).toBe('checkout p99 at 900ms again');
    expect(corrected('worker pool at 900ms queue wait', at('14:10'), fixes)).toBe('worker pool at 900ms queue wait');
    expect(corrected('restarted gateway-2 and gateway-2b', at('14:20'), fixes)).toBe(
      'restarted gateway-3 and gateway-2b _(corrected at 14:40 UTC: gateway-2 → gateway-3)_',
    );
    expect(correctionIn('correction: the deploy was at 13:50', at('14:00'))).toBeUndefined();
  });
});

describe('narrative sections', () => {
  it('Impact: the status update first, lines with figures, no questions, a correction replacing what it corrects', () => {
    const thread = fixtureThread('semantic-cache-eviction');
    const lines = impactStatements([
      {
        markdown:
          'Cause identified: noeviction. Impact: p95 latency 7.8 s; enterprise tenants with a 5 s timeout see search failing. Next update 09:00',
        who: '@grace',
        at: new Date('2026-05-06T08:31:10Z'),
        statusUpdate: true,
      },
      ...thread.messages.map((m) => ({ markdown: m.markdown, who: `@${m.author}`, at: m.at, link: m.link })),
    ]);
    expect(lines[0]!.text).toBe('p95 latency 7.8 s; enterprise tenants with a 5 s timeout see search failing.');
    expect(lines.map((l) => l.text).join('\n')).not.toMatch(/\?\s*$/m);
    expect(lines.some((l) => /Initech, Hooli and Umbrella/.test(l.text))).toBe(false); // "Is there anything I can tell them?" is a question
  });

  it('Root cause: the latest status update\'s "Cause identified:" first', () => {
    const causes = rootCauseStatements([
      {
        markdown: 'Investigating: pool exhausted. Impact: ~38% of writes failing.',
        who: '@sofia',
        at: new Date('2026-03-10T10:22:30Z'),
        statusUpdate: true,
      },
      {
        markdown:
          "Mitigated at 10:41. Cause identified: migration 0042's backfill kept one transaction open per batch. Rolled back to 2.13.2; backlog draining.",
        who: '@sofia',
        at: new Date('2026-03-10T10:52:00Z'),
        statusUpdate: true,
      },
      { markdown: 'what was the root cause again?', who: '@jen', at: new Date('2026-03-10T10:53:00Z') },
    ]);
    expect(causes.map((c) => c.text)).toEqual(["migration 0042's backfill kept one transaction open per batch."]);
  });

  it('Impact: what was hurt, not the change announced before, a check that came back fine, or the recovery', () => {
    const at = (hhmm: string) => new Date(`2026-09-14T${hhmm}:00Z`);
    const say = (who: string, hhmm: string, markdown: string) => ({ markdown, who: `@${who}`, at: at(hhmm), link: `https://x/p${hhmm}` });
    const lines = impactStatements([
      say('ines', '13:50', 'rolling out checkout-api 5.2.0 to eu-west now, 3 services in the batch'),
      say('ines', '13:52', 'config-sync pushed 12 keys to the payment gateway profile, diff looks harmless'),
      say('omar', '14:05', 'card payments failing for ~20% of checkout requests in eu-west since 13:58'),
      say('omar', '14:09', 'gateway p99 is 140ms, healthy. not them'),
      say('ines', '14:12', 'Is the 20% for all card brands?'),
      say('rui', '14:20', 'support has 41 tickets about declined payments'),
      say('omar', '14:22', "rui: tell them we're aware of failed card payments, next update in 20 min"),
      say('ines', '14:23', "I'll add an alert on checkout errors; the page came 12 minutes late"),
      say('omar', '14:41', 'checkout errors down from 20% to 2% and going down'),
      say('omar', '14:50', 'error rate back to 0.1%, normal'),
    ]);
    expect(lines.map((l) => l.text)).toEqual([
      'card payments failing for ~20% of checkout requests in eu-west since 13:58',
      'support has 41 tickets about declined payments',
    ]);
  });

  it('Impact: a status update without an "Impact:" label gives its sentence about what people use being hurt', () => {
    const lines = impactStatements([
      {
        markdown:
          'Cause identified: the 5.2.0 release sends the wrong merchant id to the gateway. About 1 in 5 card payments in eu-west are declined. Fix: roll back to 5.1.4.',
        who: '@ines',
        at: new Date('2026-09-14T14:25:00Z'),
        statusUpdate: true,
      },
    ]);
    expect(lines.map((l) => l.text)).toEqual(['About 1 in 5 card payments in eu-west are declined.']);
  });

  it('Root cause: the first sentence after "Cause identified:", whatever follows it; a lesson is not a cause', () => {
    const causes = rootCauseStatements([
      {
        markdown:
          'Cause identified: the 5.2.0 release sends the wrong merchant id to the gateway. Merchants in eu-west see declines. Fix: roll back.',
        who: '@ines',
        at: new Date('2026-09-14T14:25:00Z'),
        statusUpdate: true,
      },
      {
        markdown: 'Went well: the cause was found 8 minutes after the page. Went badly: the canary had no payment traffic.',
        who: '@rui',
        at: new Date('2026-09-14T15:10:00Z'),
      },
      {
        markdown: 'the root cause is the merchant id mapping in the 5.2.0 config loader',
        who: '@omar',
        at: new Date('2026-09-14T15:12:00Z'),
      },
    ]);
    expect(causes.map((c) => c.text)).toEqual([
      'the 5.2.0 release sends the wrong merchant id to the gateway.',
      'the root cause is the merchant id mapping in the 5.2.0 config loader',
    ]);
  });

  it('Lessons: went well / went badly / lucky from one message', () => {
    const thread = fixtureThread('pool-exhausted-migration');
    const l = lessons(thread.messages.map((m) => ({ markdown: m.markdown, who: `@${m.author}`, at: m.at, link: m.link })));
    expect(l.wentWell.map((x) => x.text)).toEqual(["Tom's terminate was quick and safe"]);
    expect(l.wentBadly.map((x) => x.text)).toEqual(['The alert fired 4 min after impact and nobody looked at it for 9 min']);
    expect(l.lucky.map((x) => x.text)).toEqual(['The client outbox kept every write']);
  });
});
