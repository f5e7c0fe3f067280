/**
 * The unit lane: `npm run test:unit`. Tests that need no root and no running service — pure code, the Slack
 * emulator, real files in a temporary directory, HTTP servers the test starts itself. `npm test` (jest.config.js)
 * runs everything, these included, against real PostgreSQL, Redis, Docker, Prometheus and Alertmanager.
 * A test joins this lane by being listed here; it must then pass on a fresh clone with nothing else running.
 * Tests that ask createMigratedDatabase for a database get the embedded PGlite here, and service tests that take their
 * stores from SERVICE_STORES get the in-memory fakes (test/support/unit-lane.ts); `npm test` runs them on PostgreSQL.
 */
const base = require('./jest.config.js');

const UNIT_TESTS = [
  'alerts/alert-storm',
  'alerts/alertmanager-webhook',
  'alerts/slack-alert-parser',
  'cli/cli',
  'config/config',
  'config/incident-rooms-config',
  'data-dir-lock',
  'deploy/build-if-stale',
  'deploy/kubernetes-manifests',
  'diagnosis/run-diagnosis',
  'emulator/block-kit-limits',
  'emulator/emulator-channels',
  'emulator/slack-emulator',
  'emulator/slack-signing',
  'followups/github-issues',
  'http/early-listener',
  'incidents/incident-service',
  'incidents/reminders-and-escalations',
  'incidents/room/channel-name',
  'incidents/room/room-permissions',
  'incidents/templates',
  'jobs/job-runner',
  'jobs/recurring-runs',
  'postmortem/extract',
  'postmortem/commitments',
  'postmortem/thread-rules',
  'postmortem/mrkdwn-to-markdown',
  'postmortem/postmortem-template',
  'probes/file-probes',
  'probes/http',
  'reliability/fuzz',
  'remediations/catalog-declarations',
  'reports/incident-stats',
  'reports/weekly-chart',
  'remediations/clean-recovery',
  'remediations/files',
  'remediations/process-start',
  'runbooks/catalog',
  'runbooks/loader',
  'runbooks/seed-coverage',
  'runbooks/yaml-source',
  'slack/blocks/alert-blocks',
  'slack/blocks/diagnosis-blocks',
  'slack/blocks/incident-blocks',
  'slack/blocks/lifecycle-blocks',
  'slack/channel-access',
  'slack/command-grammar',
  'slack/incident-room',
  'slack/incident-visibility',
  'slack/keyed-router',
  'slack/room-command-grammar',
  'slack/reminder-callbacks',
  'slack/channel-pacer',
  'slack/slack-poster',
  'slack/slack-thread-reader',
  'store/store-contracts.memory',
  'targets/files-root',
  'targets/params-template',
];

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: UNIT_TESTS.map((t) => `<rootDir>/test/${t}.test.ts`),
  setupFiles: ['<rootDir>/test/support/unit-lane.ts'],
};
