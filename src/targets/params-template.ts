import path from 'node:path';

/**
 * `{{label}}` placeholders in catalog params, and the only ways label values may enter a query, key, path or URL.
 * The engine checks every referenced label against SAFE_LABEL_VALUE before a probe runs; the helpers here add the
 * escaping each destination needs, so a probe never concatenates a raw label value.
 */
export const SAFE_LABEL_VALUE = /^[A-Za-z0-9_.:@/-]{1,128}$/;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Names of the labels a value (deeply) refers to. */
export function placeholdersIn(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    for (const m of value.matchAll(PLACEHOLDER)) out.add(m[1] as string);
  } else if (Array.isArray(value)) {
    for (const v of value) placeholdersIn(v, out);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) placeholdersIn(v, out);
  }
  return out;
}

export class LabelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelError';
  }
}

function label(labels: Readonly<Record<string, string>>, name: string): string {
  const v = labels[name];
  if (v === undefined) throw new LabelError(`needs ${name}=<value>`);
  if (!SAFE_LABEL_VALUE.test(v)) throw new LabelError(`label ${name} has an unsafe value`);
  return v;
}

function render(template: string, labels: Readonly<Record<string, string>>, escape: (v: string) => string): string {
  return template.replace(PLACEHOLDER, (_m, name: string) => escape(label(labels, name)));
}

/** Exact text (for Docker names, SQL bind parameters, Alertmanager filter values: the caller passes it as data). */
export function renderPlain(template: string, labels: Readonly<Record<string, string>>): string {
  return render(template, labels, (v) => v);
}

const PROM_MATCHER_BEFORE = /(=~|!~|!=|=)\s*$/;

/**
 * PromQL: a placeholder may only stand as the value of a label matcher (`{agent={{agent}}}`); it becomes a quoted,
 * escaped string literal, and after `=~`/`!~` its regex metacharacters are escaped too.
 */
export function renderPromQL(template: string, labels: Readonly<Record<string, string>>): string {
  let out = '';
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const before = template.slice(last, m.index);
    out += before;
    const op = PROM_MATCHER_BEFORE.exec(out);
    if (!op) throw new LabelError(`{{${m[1]}}} must be the value of a label matcher, e.g. {agent={{agent}}}`);
    let v = label(labels, m[1] as string);
    if (op[1] === '=~' || op[1] === '!~') v = v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out += promString(v);
    last = (m.index ?? 0) + m[0].length;
  }
  return out + template.slice(last);
}

export function promString(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Redis SCAN/MATCH pattern: the catalog's own glob characters stay, label values are escaped literally. */
export function renderRedisPattern(template: string, labels: Readonly<Record<string, string>>): string {
  return render(template, labels, (v) => v.replace(/[*?[\]\\]/g, '\\$&'));
}

/** A path inside `root`; refuses anything that resolves outside it (`..`, absolute paths). */
export function renderPathInside(root: string, template: string, labels: Readonly<Record<string, string>>): string {
  const rel = renderPlain(template, labels);
  const base = path.resolve(root);
  const full = path.resolve(base, rel);
  if (full !== base && !full.startsWith(base + path.sep)) {
    throw new LabelError(`path ${JSON.stringify(rel)} leaves the configured root`);
  }
  return full;
}

/** A URL: `base` + a catalog-declared path (no placeholders) + query values (placeholders allowed, encoded). */
export function renderUrl(
  base: string,
  pathPart: string,
  query: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): URL {
  if (placeholdersIn(pathPart).size > 0) throw new LabelError('placeholders are allowed only in query values, not in the path');
  const url = new URL(base);
  const basePath = url.pathname.replace(/\/+$/, '');
  url.pathname = `${basePath}/${pathPart.replace(/^\/+/, '')}`;
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.append(k, renderPlain(v, labels));
  return url;
}

/** Removes userinfo (user:password@) from a URL for evidence and messages. */
export function redactUrl(u: string | URL): string {
  try {
    const url = new URL(String(u));
    if (url.username || url.password) {
      url.username = url.username ? '***' : '';
      url.password = '';
    }
    return url.toString();
  } catch {
    return String(u).replace(/\/\/[^@/]*@/, '//***@');
  }
}
