/**
 * Masks secrets in text read from a target (log lines, statements, command output) before it is shown in Slack or
 * stored with a diagnosis. Best effort by shape: it cannot know every secret, so what it recognises it removes
 * entirely, keeping the key name so the line still reads.
 *
 * @example
 * scrubSecrets('connect postgres://app:hunter2@db/x password=hunter2')
 * // 'connect postgres://app:[REDACTED]@db/x password=[REDACTED]'
 */
const REDACTED = '[REDACTED]';

const RULES: [RegExp, string | ((...m: string[]) => string)][] = [
  // PEM blocks (a private key, a certificate bundle): the whole block, or from the header to the end when cut.
  [/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(?:-----END \1-----|$)/g, (_m, kind) => `-----BEGIN ${kind}----- ${REDACTED}`],
  // user:password@ in any URL.
  [/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/:@]*):([^\s/@]+)@/gi, (_m, scheme, user) => `${scheme}${user}:${REDACTED}@`],
  // Authorization header values.
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}/g, (_m, scheme) => `${scheme} ${REDACTED}`],
  // key=value / key: value / "key": "value" for the usual secret-bearing names.
  [
    /\b((?:[A-Za-z0-9]+[_-])*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth|session[_-]?id|cookie)(?:[_-][A-Za-z0-9]+)*)(["']?\s*[:=]\s*["']?)([^\s"'&,;}]+)/gi,
    (_m, key, sep) => `${key}${sep}${REDACTED}`,
  ],
  // Slack, GitHub, AWS, Google, Stripe-style tokens and JWTs, wherever they stand.
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/\bxapp-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}/g, REDACTED],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
  [/\bAIza[0-9A-Za-z_-]{35}\b/g, REDACTED],
  [/\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}/g, REDACTED],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, REDACTED],
];

export function scrubSecrets(text: string): string {
  let out = text;
  for (const [re, replacement] of RULES) out = out.replace(re, replacement as (substring: string, ...args: string[]) => string);
  return out;
}

/**
 * Replaces the literals of an SQL statement (strings, E'' strings, dollar-quoted bodies, numbers) with `?`, keeping
 * identifiers, keywords, `$1` parameters and quoted identifiers: `WHERE token = 'abc' AND id = 42` becomes
 * `WHERE token = ? AND id = ?`. A statement cut in the middle of a literal (pg_stat_activity truncates) is masked
 * to its end. Comments go through `scrubSecrets`.
 */
export function maskSqlLiterals(sql: string): string {
  let out = '';
  let i = 0;
  const n = sql.length;
  const identChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_$]/.test(c);
  while (i < n) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      out += scrubSecrets(sql.slice(i, stop));
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      out += scrubSecrets(sql.slice(i, stop));
      i = stop;
    } else if (c === '"') {
      const end = sql.indexOf('"', i + 1);
      const stop = end === -1 ? n : end + 1;
      out += sql.slice(i, stop);
      i = stop;
    } else if (
      c === "'" ||
      ((c === 'E' || c === 'e' || c === 'B' || c === 'b' || c === 'X' || c === 'x' || c === 'U' || c === 'u') &&
        next === "'" &&
        !identChar(sql[i - 1]))
    ) {
      const backslashes = c === 'E' || c === 'e';
      let j = c === "'" ? i + 1 : i + 2;
      for (; j < n; j++) {
        if (backslashes && sql[j] === '\\') {
          j++;
          continue;
        }
        if (sql[j] === "'") {
          if (sql[j + 1] === "'") {
            j++;
            continue;
          }
          break;
        }
      }
      out += '?';
      i = Math.min(n, j + 1);
    } else if (c === '$' && !identChar(sql[i - 1]) && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(sql.slice(i, i + 66))) {
      const tag = (/^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 66)) as RegExpExecArray)[0];
      const end = sql.indexOf(tag, i + tag.length);
      out += '?';
      i = end === -1 ? n : end + tag.length;
    } else if (/[0-9]/.test(c) && !identChar(sql[i - 1])) {
      const m = /^(?:0[xX][0-9A-Fa-f_]+|[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?)/.exec(sql.slice(i)) as RegExpExecArray;
      out += '?';
      i += m[0].length;
    } else if (c === '.' && /[0-9]/.test(next ?? '') && !identChar(sql[i - 1])) {
      const m = /^\.[0-9]+(?:[eE][+-]?[0-9]+)?/.exec(sql.slice(i)) as RegExpExecArray;
      out += '?';
      i += m[0].length;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
