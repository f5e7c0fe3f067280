import type { Row } from './lib';

/** A row as kept in RESULTS.md: with the machine and the time of the run that measured it. */
export interface StoredRow extends Row {
  machine: string;
  at: string;
}

const DATA_MARK = 'bench-results-data';

/** How the ack bench's peer is configured; printed in RESULTS.md so nobody has to read bench/bare-bolt.ts. */
export const BASELINE_NOTE = [
  '**Ack baseline (bench/bare-bolt.ts):** bare `@slack/bolt` 5 in its default configuration: `new App({ token, receiver })` with',
  'a bot token and a signing secret, token verification on (Bolt calls `auth.test` once at start and caches it; the bench',
  'fails if either server calls `auth.test` during the rounds), the default conversation store and `ignoreSelf`, the same',
  '`HTTPReceiver` the bot uses (signature verification on), logging at ERROR (the bot runs at LOG_LEVEL=warn). Its `/incident`',
  'listener only acks, with the same ephemeral help text the bot acks `/incident help` with (same response bytes); its',
  "action listener only acks. The bench click is the bot's dashboard link button (`dashboard_link_0`), which the bot only",
  'acks too, so both servers answer every request with the same bytes and neither calls Slack. Per request, both verify',
  "the signature and run Bolt's middleware; the baseline's 2 listeners run their matchers, the bot has no Bolt listener",
  '(its second middleware looks the handler up by request kind and id). The bot also runs its first middleware (request id,',
  "lazy child logger, request-kind counter) and its replay check, which the baseline does not do: the request's signature is",
  'claimed in Redis (`SET NX` in a Lua script sent as EVALSHA, one round trip per batch of requests, a busy bot gathering a',
  'batch for up to 10 ms). The bot runs twice: on the shared Redis, which decides once it has been up for the 10-minute',
  "replay window (PostgreSQL's `processed_events` is then written behind the ack, one INSERT per 250 ms), and on a Redis",
  'server the bench starts, up for less than the window, so PostgreSQL decides after the claim (one batched INSERT before',
  "the ack), as after a Redis restart. Redis's and the database's own CPU is not counted in either server's figure. The bot",
  "runs as shipped (`--max-old-space-size=128`, as `npm start` and the Dockerfile run it), the baseline with Node's defaults.",
  'All run as separate processes on the same machine, with the load generator (signed requests, 50 concurrent) in the',
  'bench process; rounds rotate the three servers (bot, fresh, bare; fresh, bare, bot; …) and each figure is the median',
  "over rounds of that round's p50, p99 or server CPU time per request (the scheduler's run time of all the server's threads, `/proc/<pid>/task/*/schedstat`, in nanoseconds).",
].join('\n');

/** What the post-mortem quality rows measure, and what they do not. */
export const POSTMORTEM_QUALITY_NOTE = [
  '**Post-mortem quality (bench/postmortem-quality.ts):** the three incident threads of `test/fixtures/incidents/` (46–57',
  'messages from 6 people each, plus alerts, clicks and commands; written for this work with their answer keys) replayed through the bot (`createApp` on',
  "PostgreSQL with the emulator, both on one clock set to each message's time; alerts as Alertmanager posts, clicks and",
  '`/incident` commands as signed requests), then `/incident postmortem`. The drafts are in `bench/postmortem-drafts/`.',
  'Action items and timeline rows are matched to the key by pattern (a moment within 2 minutes); Metrics fields by value',
  '(times ±1 min when the key gives minutes, durations ±1 min). The "previous run" column of the first table is the draft',
  'before this work. The rules were written with these threads in view: the figures show they hold on them, not how they',
  'do on threads nobody has tuned for; a new thread with its answer key is the way to find out. A timeline row outside',
  "the key is not always wrong: the pool thread's extra rows are Tom's 09:58:40 (the start of impact) and the support",
  "report at 10:04:45, both moments a reviewer keeps. The workers thread's key puts detection at the support report in",
  'the channel (13:52:30), six minutes before the incident was opened.',
].join('\n');

/** What the start rows measure, and how far one run of them can be trusted on a shared machine. */
export const START_NOTE = [
  '**Start (bench/start.ts):** from spawning the built bot (`node --max-old-space-size=128 dist/main.js`, as `npm start` runs',
  'it once built) to its first `/health/ready` 200 (database answering, Slack `auth.test` done), 5 starts each; the first',
  'embedded start creates the database in an empty DATA_DIR (initdb), which is the max. The port answers earlier: it',
  'listens before the bot is loaded (`/health/live` 200, `/health/ready` 503 "still starting"). On this shared 2-core machine',
  "the figures follow other sessions' load: three runs at load 13–17 within ten minutes gave a real-PostgreSQL median of",
  '1.4 / 3.1 / 3.6 s and an embedded one of 2.8 / 6.6 / 10.0 s. Side by side with the code before this change (alternate',
  'starts of both builds, 5 each, load 13–16), the medians were 3.0 s against 5.6 s (real) and 6.8 s against 9.6 s (embedded).',
].join('\n');

/** The rows of the last run written to RESULTS.md (current format, or the older one-table format). */
export function readPrevious(doc: string | undefined): StoredRow[] {
  if (!doc) return [];
  const data = new RegExp(`<!-- ${DATA_MARK}\\n([\\s\\S]*?)\\n-->`).exec(doc);
  if (data) {
    try {
      return JSON.parse(data[1]!) as StoredRow[];
    } catch {
      return [];
    }
  }
  // The older format: one table and a "Machine: …. Run: …." line.
  const meta = /Machine: (.*?)\. Run: (\S+?)\.\n/.exec(doc);
  const rows: StoredRow[] = [];
  for (const line of doc.split('\n')) {
    const cells = line.split(' | ');
    if (!line.startsWith('| ') || cells.length !== 5 || line.startsWith('| bench ') || line.startsWith('| ---')) continue;
    const [bench, measure, value, target, verdict] = [cells[0]!.slice(2), cells[1]!, cells[2]!, cells[3]!, cells[4]!.replace(/ \|$/, '')];
    rows.push({
      bench,
      measure,
      value,
      target,
      verdict: verdict as Row['verdict'],
      machine: meta?.[1] ?? 'unknown',
      at: meta?.[2] ?? 'unknown',
    });
  }
  return rows;
}

/**
 * RESULTS.md: this run's table with the previous run's value beside each figure, the previous run's
 * table in full (so a measure that was renamed or dropped stays visible), and how the baseline is set up.
 * Benches not run this time keep their last figures, marked with the run that measured them.
 */
export function renderResults(current: StoredRow[], previous: StoredRow[], ranBenches: string[]): string {
  const key = (r: Row) => `${r.bench}\u0000${r.measure}`;
  const before = new Map(previous.map((r) => [key(r), r]));
  const carried = previous.filter((r) => !ranBenches.includes(r.bench));
  const rows = [...current, ...carried];
  const at = current[0]?.at ?? 'unknown';
  const machine = current[0]?.machine ?? 'unknown';
  const runsOf = (list: StoredRow[]) => [...new Set(list.map((r) => `${r.at} on ${r.machine}`))];
  const previousRuns = runsOf(previous);
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const table = [
    '| bench | measure | this run | previous run | target | verdict |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => {
      const mine = current.includes(r);
      const was = mine ? before.get(key(r)) : undefined;
      const value = mine ? r.value : `${r.value} _(not re-run; measured ${r.at})_`;
      return `| ${cell(r.bench)} | ${cell(r.measure)} | ${cell(value)} | ${was ? `${cell(was.value)} (${was.verdict})` : '—'} | ${cell(r.target)} | ${r.verdict} |`;
    }),
  ];
  const previousTable = [
    '| bench | measure | value | target | verdict | run |',
    '| --- | --- | --- | --- | --- | --- |',
    ...previous.map((r) => `| ${cell(r.bench)} | ${cell(r.measure)} | ${cell(r.value)} | ${cell(r.target)} | ${r.verdict} | ${r.at} |`),
  ];
  return [
    '# Benchmark results',
    '',
    `This run: ${at}, ${machine}.`,
    `Previous run: ${previousRuns.length ? previousRuns.join('; ') : 'none recorded'}.`,
    'Every comparison is measured side by side in the same run; `npm run bench` rewrites this file and keeps the previous',
    "run's figures beside the new ones (the previous run's table in full is below), so a regression is visible.",
    '',
    ...table,
    '',
    BASELINE_NOTE,
    '',
    POSTMORTEM_QUALITY_NOTE,
    '',
    START_NOTE,
    '',
    '## Previous run',
    '',
    ...(previous.length ? previousTable : ['none recorded']),
    '',
    `<!-- ${DATA_MARK}`,
    JSON.stringify(rows),
    '-->',
    '',
  ].join('\n');
}
