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
    ['update Restarted worker-3, watching', { name: 'update', text: 'Restarted worker-3, watching' }],
    ['remediate docker.restart INC-20260101093000 container=worker-marie', { name: 'remediate', action: 'docker.restart', incidentId: 'INC-20260101093000', labels: { container: 'worker-marie' } }],
    ['list', { name: 'list' }],
    ['runbooks', { name: 'runbooks' }],
    ['postmortem', { name: 'postmortem', incidentId: undefined }],
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
