/** The people an incident room names (incident.io / PagerDuty wording): the lead, who talks to stakeholders, who keeps notes. */
export const INCIDENT_ROLES = ['commander', 'communications', 'scribe'] as const;
export type IncidentRole = (typeof INCIDENT_ROLES)[number];

const ROLE_WORDS: Record<string, IncidentRole> = {
  commander: 'commander',
  lead: 'commander',
  ic: 'commander',
  communications: 'communications',
  comms: 'communications',
  scribe: 'scribe',
};

export function parseIncidentRole(word: string): IncidentRole | undefined {
  return ROLE_WORDS[word.trim().toLowerCase()];
}

export const ROLE_TITLES: Record<IncidentRole, string> = { commander: 'Commander', communications: 'Comms', scribe: 'Scribe' };
