import type { Migration } from './migration';

/**
 * The alert a remediation was requested for (from its diagnosis or its Silence button): when that alert becomes part
 * of an incident later, its requests are linked to the incident, so they show in its audit log and post-mortem.
 */
export const remediationAlertLink: Migration = {
  id: '0008-remediation-alert-link',
  sql: `
ALTER TABLE remediation_requests ADD COLUMN alert_id bigint;
CREATE INDEX remediation_requests_unlinked_alert ON remediation_requests (alert_id) WHERE alert_id IS NOT NULL AND incident_id IS NULL;
`,
};
