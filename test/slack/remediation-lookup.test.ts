import path from 'node:path';
import { loadCatalog, type Catalog } from '../../src/runbooks';
import { parseIncidentCommand } from '../../src/slack/command-grammar';
import { findRemediation } from '../../src/slack/listeners/remediations';

const COMMANDS_DIR = path.join(__dirname, '..', '..', 'commands');

/** The shipped catalog has two runbooks offering `terminate-long-transactions` (memory-daemon and cli-orchestrator). */
describe('/incident remediate with an action id two runbooks share', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await loadCatalog(COMMANDS_DIR, {});
  });

  it('lists the runbook-qualified names to choose from, each once', () => {
    const found = findRemediation(catalog, 'terminate-long-transactions');
    expect(found).toEqual({
      problem:
        'Several runbooks offer `terminate-long-transactions`: name one of `cli-orchestrator/terminate-long-transactions`, `memory-daemon/terminate-long-transactions`.',
    });
  });

  it('takes a runbook-qualified name, from the command line to the catalog entry', () => {
    const parsed = parseIncidentCommand('remediate memory-daemon/terminate-long-transactions INC-20260101120000');
    expect(parsed).toMatchObject({
      ok: true,
      command: { name: 'remediate', action: 'memory-daemon/terminate-long-transactions', incidentId: 'INC-20260101120000' },
    });
    const found = findRemediation(catalog, 'memory-daemon/terminate-long-transactions');
    expect('runbook' in found && [found.runbook.id, found.entry.id, found.entry.target]).toEqual([
      'memory-daemon',
      'terminate-long-transactions',
      'memory-db',
    ]);
  });

  it("picks the runbook of the incident's alerts when that decides it", () => {
    const found = findRemediation(catalog, 'terminate-long-transactions', undefined, ['cli-orchestrator']);
    expect('runbook' in found && found.runbook.id).toBe('cli-orchestrator');
  });
});
