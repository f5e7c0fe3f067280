import { parseIncidentCommand, type IncidentCommand, type ParseResult } from '../../src/slack/command-grammar';

const command = (r: ParseResult): IncidentCommand => {
  if (!r.ok) throw new Error(`expected a command, got: ${r.problem}`);
  return r.command;
};

describe('parseIncidentCommand', () => {
  it.each([
    ['', { name: 'help' }],
    ['help', { name: 'help' }],
    ['diagnose StuckDetected agent=agent-7', { name: 'diagnose', alert: 'StuckDetected', labels: { agent: 'agent-7' } }],
    ['open Database down P1', { name: 'open', title: 'Database down', severity: 'P1' }],
    ['open Database down critical', { name: 'open', title: 'Database down', severity: 'P0' }],
    ['open Database is slow', { name: 'open', title: 'Database is slow', severity: undefined }],
    ['open', { name: 'open' }],
    ['ack', { name: 'ack', incidentId: undefined }],
    ['ack inc-20260101093000', { name: 'ack', incidentId: 'INC-20260101093000' }],
    ['sev p2 INC-20260101093000', { name: 'sev', severity: 'P2', incidentId: 'INC-20260101093000' }],
    ['resolve INC-20260101093000 pool resized', { name: 'resolve', incidentId: 'INC-20260101093000', summary: 'pool resized' }],
    ['resolve rolled back the deploy', { name: 'resolve', incidentId: undefined, summary: 'rolled back the deploy' }],
    [
      'resolve INC-20260101093000 root_cause="pool too small for the batch job" resolution="raised max_connections to 200"',
      {
        name: 'resolve',
        incidentId: 'INC-20260101093000',
        summary: undefined,
        rootCause: 'pool too small for the batch job',
        resolution: 'raised max_connections to 200',
      },
    ],
    [
      'resolve root_cause=“stale lock” back to normal',
      { name: 'resolve', incidentId: undefined, summary: 'back to normal', rootCause: 'stale lock' },
    ],
    [
      'resolve INC-20260101093000 resolution=rollback',
      { name: 'resolve', incidentId: 'INC-20260101093000', summary: undefined, resolution: 'rollback' },
    ],
    ['mitigate', { name: 'mitigate', incidentId: undefined, note: undefined }],
    [
      'mitigate INC-20260101093000 failed over to the replica',
      { name: 'mitigate', incidentId: 'INC-20260101093000', note: 'failed over to the replica' },
    ],
    ['mitigated traffic drained', { name: 'mitigate', incidentId: undefined, note: 'traffic drained' }],
    ['update Restarted worker-3, watching', { name: 'update', text: 'Restarted worker-3, watching' }],
    [
      'remediate docker.restart INC-20260101093000 container=worker-marie',
      { name: 'remediate', action: 'docker.restart', incidentId: 'INC-20260101093000', labels: { container: 'worker-marie' } },
    ],
    ['list', { name: 'list' }],
    ['runbooks', { name: 'runbooks' }],
    ['postmortem', { name: 'postmortem', incidentId: undefined }],
    [
      'open Workers crash-looping P2 started=13:40',
      { name: 'open', title: 'Workers crash-looping', severity: 'P2', started: { hour: 13, minute: 40 } },
    ],
    [
      'open started=9:05 Workers crash-looping',
      { name: 'open', title: 'Workers crash-looping', severity: undefined, started: { hour: 9, minute: 5 } },
    ],
    [
      'update started=09:58 Cause identified: the backfill',
      { name: 'update', text: 'Cause identified: the backfill', started: { hour: 9, minute: 58 } },
    ],
    ['update the job started=09:58 in prod', { name: 'update', text: 'the job started=09:58 in prod' }],
    ['link-alert 42', { name: 'link-alert', alert: { alertId: 42 }, incidentId: undefined }],
    ['link-alert #42 inc-20260101093000', { name: 'link-alert', alert: { alertId: 42 }, incidentId: 'INC-20260101093000' }],
    [
      'link-alert <https://acme.slack.com/archives/C0ORCHESTR/p1771337040000000>',
      { name: 'link-alert', alert: { channelId: 'C0ORCHESTR', ts: '1771337040.000000' }, incidentId: undefined },
    ],
    ['mitigate INC-20260101093000 rolled back', { name: 'mitigate', incidentId: 'INC-20260101093000', note: 'rolled back' }],
  ])('parses %j', (text, expected) => {
    expect(command(parseIncidentCommand(text))).toEqual(expected);
  });

  it('suggests the closest subcommand for a typo', () => {
    const r = parseIncidentCommand('diagnoze StuckDetected');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problem).toContain('`diagnoze` is not an /incident subcommand');
      expect(r.suggestion).toBe('/incident diagnose <AlertName> [label=value ...]');
    }
  });

  it.each([
    ['diagnose', /Which alert/],
    ['diagnose Stuck agent', /not a label/],
    ['diagnose Stuck agent=', /has no value/],
    ['diagnose $(rm -rf /)', /not an alert name/],
    ['ack INC-42', /not an incident ID/],
    ['sev P9', /Give a severity/],
    ['update', /What is the update/],
    ['remediate rm;-rf', /not an action name/],
    ['list everything', /takes no arguments/],
    ['open Workers down started=25:00', /is not a time: write `started=HH:MM` in UTC/],
    ['open Workers down started=9 P1', /is not a time/],
    ['update started=noon things are bad', /is not a time/],
    ['link-alert', /Which alert\?/],
    ['link-alert https://evil.example/archives/C1/p1771337040000000', /neither an alert number nor a link to a Slack message/],
    ['link-alert 1;DROP TABLE alerts', /neither an alert number/],
    ['link-alert 42 INC-20260101093000 extra', /takes an alert and at most one incident ID/],
    ['resolve root_cause=""', /has no value/],
    ['resolve root_cause="a" cause="b"', /given twice/],
    ['resolve root_cause="never closed', /not closed/],
  ])('refuses %j with a specific message', (text, message) => {
    const r = parseIncidentCommand(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problem).toMatch(message);
      expect(r.usage).toMatch(/^\/incident /);
    }
  });

  it('refuses oversized input instead of echoing it', () => {
    const r = parseIncidentCommand(`update ${'x'.repeat(5000)}`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(/limit is 3000/);
  });
});
