import { createHash } from 'node:crypto';

export type { AlertEvent, AlertSource, LabelsOrigin } from '../domain/alert-event';

/** Caps on untrusted label sets: a sender cannot make us store or render megabytes. */
export const LABEL_LIMITS = {
  maxLabels: 64,
  maxKeyLength: 128,
  maxValueLength: 1024,
  maxAnnotationValueLength: 4096,
  maxNameLength: 200,
} as const;

// C0 and C1 control characters, plus the bidi overrides that make text read differently than it is.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- as above, keeping \n and \t
const CONTROL_KEEP_NEWLINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Strips control characters and truncates; `multiline` keeps `\n` and `\t` (annotations are prose). */
export function cleanText(value: string, maxLength: number, multiline = false): string {
  const cleaned = value.replace(multiline ? CONTROL_KEEP_NEWLINES : CONTROL, '').trim();
  return cleaned.length > maxLength ? cleaned.slice(0, maxLength - 1) + '…' : cleaned;
}

/**
 * Makes an untrusted label (or annotation) set safe to store and show: string values only,
 * control characters stripped, keys and values truncated, at most `maxLabels` entries (sorted
 * by key first, so which ones survive does not depend on the sender's ordering).
 */
export function sanitizeLabels(input: unknown, kind: 'labels' | 'annotations' = 'labels'): Record<string, string> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return {};
  const maxValue = kind === 'labels' ? LABEL_LIMITS.maxValueLength : LABEL_LIMITS.maxAnnotationValueLength;
  const out: Record<string, string> = {};
  const entries = Object.entries(input as Record<string, unknown>)
    .filter((e): e is [string, string | number | boolean] => ['string', 'number', 'boolean'].includes(typeof e[1]))
    .map(([k, v]) => [cleanText(k, LABEL_LIMITS.maxKeyLength), cleanText(String(v), maxValue, kind === 'annotations')] as const)
    .filter(([k]) => k !== '' && k !== '__proto__')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [k, v] of entries) {
    if (Object.keys(out).length >= LABEL_LIMITS.maxLabels) break;
    if (!(k in out)) out[k] = v;
  }
  return out;
}

export function cleanAlertName(name: string): string {
  return cleanText(name, LABEL_LIMITS.maxNameLength);
}

const FNV_OFFSET = 14695981039346656037n;
const FNV_PRIME = 1099511628211n;
const MASK64 = (1n << 64n) - 1n;

/**
 * The fingerprint Alertmanager itself computes for a label set (prometheus/common
 * `LabelSet.Fingerprint`: FNV-1a 64 over sorted names and values, each followed by 0xff,
 * printed as 16 hex digits), over the labels plus `alertname`. So an alert parsed from a
 * Slack post that lists all its labels gets the same fingerprint as the same alert arriving
 * through the webhook, and the two are grouped as one.
 */
export function alertFingerprint(name: string, labels: Record<string, string>): string {
  const set: Record<string, string> = { ...labels };
  if (set.alertname === undefined) set.alertname = name;
  const names = Object.keys(set).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let h = FNV_OFFSET;
  const add = (bytes: Uint8Array): void => {
    for (const b of bytes) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK64;
  };
  const sep = Uint8Array.of(0xff);
  for (const n of names) {
    add(Buffer.from(n, 'utf8'));
    add(sep);
    add(Buffer.from(set[n]!, 'utf8'));
    add(sep);
  }
  return h.toString(16).padStart(16, '0');
}

/** A fingerprint for senders that give no label names at all (a title only): a hash of what we have. */
export function textFingerprint(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}
