import { RESPONSE_SLA_MINUTES, type Severity } from './severity';

/**
 * The runbooks' escalation ladder, counted from the start of the alert or incident (docs/severity.md): the first
 * five minutes are the alert post itself and automated recovery (seed 001), then L1, L2 at 15 and L3 at 30 minutes
 * (seeds 001 and 004 agree on 15 and 30).
 */
export const ESCALATION_LEVELS = [
  { level: 1, name: 'L1', afterMinutes: 5 },
  { level: 2, name: 'L2', afterMinutes: 15 },
  { level: 3, name: 'L3', afterMinutes: 30 },
] as const;

export type EscalationLevelName = (typeof ESCALATION_LEVELS)[number]['name'];

/** Seed 000: "If not resolved in 30 minutes, escalate to P0". */
export const P1_PROMOTION_AFTER_MINUTES = 30;

/** P0 and P1 climb the whole ladder; P2 and P3 ("no immediate action") get one L1 page when their SLA lapses. */
export function climbsLadder(severity: Severity): boolean {
  return severity === 'P0' || severity === 'P1';
}

/**
 * When `level` (1 = L1) is due for something of `severity` that started at `start`, given that level's delay
 * (`afterMinutes`, the ladder's unless configured); null when that severity is never paged at that level.
 */
export function escalationDueAt(start: Date, severity: Severity, level: { level: number; afterMinutes: number }): Date | null {
  if (climbsLadder(severity)) return new Date(start.getTime() + level.afterMinutes * 60_000);
  if (level.level !== 1) return null;
  return new Date(start.getTime() + RESPONSE_SLA_MINUTES[severity] * 60_000);
}

/** What can be paged: a Slack user id (U…/W…) or user-group id (S…). Anything else is never mentioned. */
export function isPageTarget(id: string): boolean {
  return /^[UW][A-Z0-9]{2,20}$/.test(id) || /^S[A-Z0-9]{2,20}$/.test(id);
}

/** The areas the runbooks' emergency contacts cover (seed 000: infrastructure lead, DBA, application lead). */
export const CONTACT_AREAS = ['database', 'infrastructure', 'application'] as const;
export type ContactArea = (typeof CONTACT_AREAS)[number];

/** A runbook's emergency contact, resolved from the environment: `ids` is empty when its variable is unset. */
export interface RunbookContact {
  role: string;
  area?: ContactArea;
  level: EscalationLevelName;
  /** When to call them, as the runbook says ("PostgreSQL issues"). */
  when?: string;
  /** The environment variable the ids come from. */
  variable: string;
  ids: string[];
}

/**
 * The contacts to page at `level` for an alert of `area`: those of that level whose area matches (a contact or an
 * alert without an area matches any).
 */
export function contactsToPage(contacts: readonly RunbookContact[], level: EscalationLevelName, area: ContactArea | undefined): string[] {
  return contacts.filter((c) => c.level === level && (c.area === undefined || area === undefined || c.area === area)).flatMap((c) => c.ids);
}

/** The contacts of an alert's area at every level (a contact or an alert without an area matches any): those the incident room invites. */
export function contactsOfArea(contacts: readonly RunbookContact[], area: ContactArea | undefined): RunbookContact[] {
  return contacts.filter((c) => c.area === undefined || area === undefined || c.area === area);
}
