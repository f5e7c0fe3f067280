export { SEVERITIES, RESPONSE_SLA_MINUTES, parseSeverity, isSeverityWord, type Severity } from '../domain/severity';
