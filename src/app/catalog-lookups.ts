import type { Config } from '../config';
import { labelsOfAlert } from '../diagnosis';
import type { AlertRecord } from '../domain/alert';
import { contactsOfArea, contactsToPage, type RunbookContact } from '../domain/escalation';
import type { EscalationLevel } from '../incidents/reminders-and-escalations';
import { ALERT_SILENCE_TARGET } from '../remediations/alert-silence';
import type { RemediationServiceDeps } from '../remediations/remediation-service';
import { findAlert, knownAlert, type Catalog } from '../runbooks';
import type { RoomLinks } from '../slack/incident-room';

// What the wiring asks the runbook catalog about an alert, by the alert's name.

/** The labels the alert's runbook needs to diagnose it. */
export function labelsNeededFor(catalog: Catalog): (name: string) => string[] {
  return (name) => {
    const hit = knownAlert(catalog, name);
    return hit ? labelsOfAlert(hit.runbook, hit.alert) : [];
  };
}

/** The severity the catalog gives the alert, if it knows it. */
export function catalogSeverityOf(catalog: Catalog) {
  return (name: string) => knownAlert(catalog, name)?.alert.severity;
}

/** The emergency contacts of the runbooks covering these alerts, each runbook once. */
export function runbookContactsOf(catalog: Catalog, alertNames: readonly string[]): RunbookContact[] {
  const seen = new Set<string>();
  return alertNames.flatMap((name) => {
    const hit = findAlert(catalog, name);
    if (!hit.found || seen.has(hit.runbook.id)) return [];
    seen.add(hit.runbook.id);
    return hit.runbook.contacts;
  });
}

/** The runbook link and dashboards an incident room shows for its alert. */
export function roomLinksOf(catalog: Catalog, alertName: string): RoomLinks {
  const hit = findAlert(catalog, alertName);
  if (!hit.found) return { dashboards: [] };
  return {
    ...(hit.runbook.link ? { runbook: { title: `Runbook: ${hit.runbook.title}`, url: hit.runbook.link } } : {}),
    dashboards: hit.runbook.dashboards,
  };
}

/** The runbook contacts for the alert's area. */
export function alertContactsOf(catalog: Catalog, alert: AlertRecord): RunbookContact[] {
  const hit = findAlert(catalog, alert.name);
  return hit.found ? contactsOfArea(hit.runbook.contacts, hit.alert.area) : [];
}

/** The runbook contacts an escalation to this level pages, for these alerts. */
export function contactsToPageFor(catalog: Catalog, names: readonly string[], level: EscalationLevel): string[] {
  const levelName = level.name as RunbookContact['level'];
  return names.flatMap((name) => {
    const hit = findAlert(catalog, name);
    return hit.found ? contactsToPage(hit.runbook.contacts, levelName, hit.alert.area) : [];
  });
}

/** The ids of the runbooks covering these alerts. */
export function runbookIdsOf(catalog: Catalog, names: readonly string[]): string[] {
  return names.flatMap((name) => {
    const hit = findAlert(catalog, name);
    return hit.found ? [hit.runbook.id] : [];
  });
}

/** A remediation's target: its runbook's, or for the alert buttons' silence, ALERTMANAGER_URL. */
export function remediationTargets(config: Config, catalog: Catalog): RemediationServiceDeps['resolveTarget'] {
  return ({ runbookId, target }) =>
    runbookId === undefined && target === ALERT_SILENCE_TARGET
      ? {
          name: target,
          kind: 'alertmanager',
          values: config.alertmanagerUrl ? { url: config.alertmanagerUrl } : {},
          missing: config.alertmanagerUrl ? [] : ['ALERTMANAGER_URL'],
        }
      : catalog.runbooks.find((r) => r.id === runbookId)?.targets[target];
}
