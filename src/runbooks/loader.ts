import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { lineOf, locatedYaml, quickYaml, UNPARSED, type LocatedYaml } from './yaml-source';
import { z } from 'zod';
import { closestMatches } from '../closest-match';
import { resolveAllowEnv, type TargetAllow } from '../targets/target-allow';
import type { ResolvedTarget } from '../targets/target';
import { isPageTarget, type RunbookContact } from '../domain/escalation';
import { runbookFileSchema, type RunbookFile } from './catalog-schema';

export type AlertEntry = RunbookFile['alerts'][number];
export type ProbeDefinition = RunbookFile['probes'][number];
export type CauseEntry = RunbookFile['causes'][number];
export type RemediationEntry = RunbookFile['remediations'][number];

/** A dashboard link whose base variable is set. */
export interface DashboardLink {
  title: string;
  url: string;
}

/** A validated runbook with its targets resolved from the environment. */
export interface Runbook extends Omit<RunbookFile, 'targets' | 'link' | 'dashboards' | 'contacts'> {
  /** File name inside the catalog directory. */
  file: string;
  targets: Record<string, ResolvedTarget>;
  /** The runbook text's address; undefined when none is configured (no made-up link is ever shown). */
  link?: string;
  /** Dashboards whose base variable is set. */
  dashboards: DashboardLink[];
  /** Emergency contacts with their ids from the environment (none when a variable is unset). */
  contacts: RunbookContact[];
}

export interface CatalogOptions {
  /** A directory of deployment overlays (COMMANDS_OVERLAY_DIR): query/param replacements, runbook links. */
  overlayDir?: string;
  /** RUNBOOKS_BASE_URL: relative `link:` paths are joined to it. */
  runbooksBaseUrl?: string;
}

export interface Catalog {
  dir: string;
  runbooks: Runbook[];
}

export interface CatalogProblem {
  file: string;
  /** YAML path, e.g. `probes[2].params.warn`; empty for the whole file. */
  path: string;
  line?: number;
  message: string;
}

export class CatalogError extends Error {
  constructor(readonly problems: CatalogProblem[]) {
    super(`Invalid runbook catalog:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'CatalogError';
  }
}

export function formatProblem(p: CatalogProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}${p.path ? ` at ${p.path}` : ''}: ${p.message}`;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads every `*.yaml`/`*.yml` in `dir`, validates it and resolves `${ENV}` references in `targets` from `env`
 * (nowhere else). Throws CatalogError listing every problem of every file. An unset variable is not an error: the
 * target records it in `missing` and its probes answer "not configured: set X".
 *
 * @example
 * const catalog = await loadCatalog(config.commandsDir, process.env);   // at start-up; CatalogError stops it
 */
export async function loadCatalog(dir: string, env: Env, options: CatalogOptions = {}): Promise<Catalog> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (err) {
    throw new CatalogError([
      { file: dir, path: '', message: `cannot read the catalog directory: ${(err as Error).message} (set COMMANDS_DIR)` },
    ]);
  }
  if (names.length === 0) throw new CatalogError([{ file: dir, path: '', message: 'no runbooks (*.yaml) in the catalog directory' }]);
  const problems: CatalogProblem[] = [];
  const overlays = options.overlayDir ? await loadOverlays(options.overlayDir, problems) : new Map<string, LoadedOverlay>();
  const runbooks: Runbook[] = [];
  const ids = new Set<string>();
  for (const name of names) {
    const text = await readFile(path.join(dir, name), 'utf8');
    const id = /^id:\s*['"]?([a-z0-9-]+)/m.exec(text)?.[1];
    if (id) ids.add(id);
    const parsed = parseRunbook(name, text, env, { ...options, overlays });
    if ('problems' in parsed) problems.push(...parsed.problems);
    else runbooks.push(parsed.runbook);
  }
  for (const [id, o] of overlays) {
    if (!ids.has(id)) {
      problems.push({ file: o.file, path: 'runbook', message: `no runbook ${id} in the catalog (known: ${[...ids].join(', ')})` });
    }
  }
  problems.push(...crossFileProblems(runbooks));
  if (problems.length) throw new CatalogError(problems);
  return { dir, runbooks };
}

/** The file's YAML as data, the deployment overlay for its id applied; or what is wrong with either. */
function readRunbookData(
  file: string,
  text: string,
  source: LocatedYaml,
  overlays: ReadonlyMap<string, LoadedOverlay> | undefined,
): { data: unknown } | { problems: CatalogProblem[] } {
  let data = quickYaml(text);
  if (data === UNPARSED) {
    const { doc, lineCounter } = source();
    if (doc.errors.length) {
      return {
        problems: doc.errors.map((e) => ({
          file,
          path: '',
          line: e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line,
          message: `YAML syntax: ${e.message.split('\n')[0]}`,
        })),
      };
    }
    data = doc.toJS();
  }
  const overlay = overlays?.get(String((data as { id?: unknown } | null)?.id));
  if (overlay) {
    const applied = applyOverlay(data, overlay);
    if (applied.problems.length) return { problems: applied.problems };
    data = applied.data;
  }
  return { data };
}

/** The targets with their `${VAR}` fields read from the environment; an invalid allow-list name is a problem. */
function resolveTargets(file: string, rb: RunbookFile, env: Env, problems: CatalogProblem[]): Record<string, ResolvedTarget> {
  const targets: Record<string, ResolvedTarget> = {};
  for (const [name, t] of Object.entries(rb.targets)) {
    const {
      kind,
      description: _d,
      allow,
      ...fields
    } = t as { kind: ResolvedTarget['kind']; description?: string; allow?: TargetAllow } & Record<string, string>;
    const values: Record<string, string> = {};
    const missing: string[] = [];
    for (const [field, ref] of Object.entries(fields)) {
      const varName = /^\$\{([A-Z_][A-Z0-9_]*)\}$/.exec(ref)?.[1] as string;
      const v = env[varName];
      if (v === undefined || v.trim() === '') missing.push(varName);
      else values[field] = v.trim();
    }
    const resolved = allow ? resolveAllowEnv(allow, env) : undefined;
    for (const bad of resolved?.invalid ?? [])
      problems.push({
        file,
        path: `targets.${name}.allow`,
        message: `${bad} is not a valid name for this allow-list (letters, digits, _ . - ; comma-separated)`,
      });
    targets[name] = { name, kind, values, missing, ...(resolved ? { allow: resolved.allow } : {}) };
  }
  return targets;
}

/** The contacts with the ids their variable lists; a value that is not Slack user or group ids is a problem. */
function resolveContacts(file: string, rb: RunbookFile, env: Env, source: LocatedYaml, problems: CatalogProblem[]): RunbookContact[] {
  return rb.contacts.map((c, i) => {
    const variable = /^\$\{([A-Z_][A-Z0-9_]*)\}$/.exec(c.page)?.[1] as string;
    const ids = (env[variable] ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    const bad = ids.filter((x) => !isPageTarget(x));
    if (bad.length) {
      problems.push({
        file,
        path: `contacts[${i}].page`,
        line: lineOf(source, ['contacts', i, 'page']),
        message: `${variable} must list Slack user (U…/W…) or user-group (S…) ids separated by commas; not ids: ${bad.map((b) => JSON.stringify(b.slice(0, 30))).join(', ')}`,
      });
    }
    return {
      role: c.role,
      level: c.level,
      variable,
      ids: bad.length ? [] : ids,
      ...(c.area ? { area: c.area } : {}),
      ...(c.when ? { when: c.when } : {}),
    };
  });
}

/** Dashboards whose base URL is set (to an http(s) URL) in the environment; the others are left out. */
function resolveDashboards(rb: RunbookFile, env: Env): DashboardLink[] {
  const dashboards: DashboardLink[] = [];
  for (const d of rb.dashboards) {
    const base = env[/^\$\{([A-Z_][A-Z0-9_]*)\}$/.exec(d.base)?.[1] as string]?.trim();
    if (base && /^https?:\/\//.test(base)) dashboards.push({ title: d.title, url: `${base.replace(/\/+$/, '')}${d.path}` });
  }
  return dashboards;
}

/** Parses one runbook file's text (with the deployment overlay for its id, if any). */
export function parseRunbook(
  file: string,
  text: string,
  env: Env,
  options: CatalogOptions & { overlays?: ReadonlyMap<string, LoadedOverlay> } = {},
): { runbook: Runbook } | { problems: CatalogProblem[] } {
  const source = locatedYaml(text);
  const read = readRunbookData(file, text, source, options.overlays);
  if ('problems' in read) return read;
  const { data } = read;
  const result = runbookFileSchema.safeParse(data);
  if (!result.success) {
    return {
      problems: result.error.issues.map((issue) => {
        const p = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
        return { file, path: yamlPath(p), line: lineOf(source, p), message: issueMessage(issue, valueAt(data, p)) };
      }),
    };
  }
  const rb = result.data;
  const envProblems: CatalogProblem[] = [];
  const targets = resolveTargets(file, rb, env, envProblems);
  const contacts = resolveContacts(file, rb, env, source, envProblems);
  if (envProblems.length) return { problems: envProblems };
  const linkProblem = exampleDomainProblem(rb.link);
  if (linkProblem) return { problems: [{ file, path: 'link', line: lineOf(source, ['link']), message: linkProblem }] };
  const dashboards = resolveDashboards(rb, env);
  return { runbook: { ...rb, file, targets, link: resolveLink(rb.link, options.runbooksBaseUrl), dashboards, contacts } };
}

/** Domains reserved for documentation (RFC 2606/6761): a link there is a placeholder, never a real runbook. */
export function isExampleDomain(url: string): boolean {
  try {
    const host = new URL(url).hostname.toLowerCase().replace(/\.$/, '');
    return /(^|\.)example\.(com|net|org)$/.test(host) || /(^|\.)(example|test|invalid|localhost)$/.test(host);
  } catch {
    return false;
  }
}

function exampleDomainProblem(link: string | undefined): string | undefined {
  if (link && /^https?:/.test(link) && isExampleDomain(link)) {
    return `${link} is a placeholder domain: give the runbook's real address, a path relative to RUNBOOKS_BASE_URL, or no link`;
  }
  return undefined;
}

function resolveLink(link: string | undefined, baseUrl: string | undefined): string | undefined {
  if (!link) return undefined;
  if (/^https?:\/\//.test(link)) return link;
  if (!baseUrl) return undefined;
  return `${baseUrl.replace(/\/+$/, '')}/${link.replace(/^\/+/, '')}`;
}

const overlayFileSchema = z
  .object({
    /** The id of the shipped runbook this overlay changes. */
    runbook: z.string().min(1),
    /** Replaces the runbook's link (an http(s) URL or a path under RUNBOOKS_BASE_URL). */
    link: z.string().optional(),
    /** Per probe id: params merged over the shipped ones; a replaced probe is no longer assumed unless it says so. */
    probes: z
      .record(
        z.string(),
        z
          .object({
            params: z.record(z.string(), z.unknown()).optional(),
            assumed: z.boolean().optional(),
            title: z.string().optional(),
            /** This deployment's label value → target map (its own worker names); checked like the shipped one. */
            targetByLabel: z.unknown().optional(),
          })
          .strict(),
      )
      .default({}),
    /** Per alert name: the values an alert fans out over when the label is absent (this deployment's workers). */
    alerts: z.record(z.string(), z.object({ eachLabel: z.unknown() }).strict()).default({}),
    /** Per remediation id: params merged over the shipped ones (e.g. the argv that starts a daemon here). */
    remediations: z.record(z.string(), z.object({ params: z.record(z.string(), z.unknown()) }).strict()).default({}),
  })
  .strict();

export interface LoadedOverlay extends z.output<typeof overlayFileSchema> {
  file: string;
}

async function loadOverlays(dir: string, problems: CatalogProblem[]): Promise<Map<string, LoadedOverlay>> {
  const out = new Map<string, LoadedOverlay>();
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (err) {
    problems.push({
      file: dir,
      path: '',
      message: `cannot read the overlay directory: ${(err as Error).message} (check COMMANDS_OVERLAY_DIR)`,
    });
    return out;
  }
  for (const name of names) {
    const file = path.join(path.basename(dir), name);
    const source = locatedYaml(await readFile(path.join(dir, name), 'utf8'));
    const { doc, lineCounter } = source();
    if (doc.errors.length) {
      problems.push(
        ...doc.errors.map((e) => ({
          file,
          path: '',
          line: lineCounter.linePos(e.pos[0]).line,
          message: `YAML syntax: ${e.message.split('\n')[0]}`,
        })),
      );
      continue;
    }
    const parsed = overlayFileSchema.safeParse(doc.toJS());
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const p = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
        problems.push({ file, path: yamlPath(p), line: lineOf(source, p), message: issueMessage(issue, undefined) });
      }
      continue;
    }
    const prev = out.get(parsed.data.runbook);
    if (prev) problems.push({ file, path: 'runbook', message: `runbook ${parsed.data.runbook} is already overlaid by ${prev.file}` });
    else out.set(parsed.data.runbook, { ...parsed.data, file });
  }
  return out;
}

function applyOverlay(data: unknown, o: LoadedOverlay): { data: unknown; problems: CatalogProblem[] } {
  const problems: CatalogProblem[] = [];
  const rb = structuredClone(data) as { link?: unknown; probes?: Record<string, unknown>[]; remediations?: Record<string, unknown>[] };
  if (o.link !== undefined) rb.link = o.link;
  for (const [pid, change] of Object.entries(o.probes)) {
    const probe = (rb.probes ?? []).find((p) => p.id === pid);
    if (!probe) {
      const near = closestMatches(
        pid,
        (rb.probes ?? []).map((p) => String(p.id)),
        1,
      );
      problems.push({
        file: o.file,
        path: `probes.${pid}`,
        message: `no probe ${pid} in runbook ${o.runbook}${near.length ? `: did you mean ${near[0]}?` : ''}`,
      });
      continue;
    }
    if (change.params) probe.params = { ...(probe.params as Record<string, unknown>), ...change.params };
    if (change.targetByLabel !== undefined) probe.targetByLabel = change.targetByLabel;
    if (change.title) probe.title = change.title;
    if (change.assumed !== undefined) probe.assumed = change.assumed;
    else if (change.params) delete probe.assumed;
  }
  for (const [name, change] of Object.entries(o.alerts)) {
    const alert = ((rb as { alerts?: Record<string, unknown>[] }).alerts ?? []).find(
      (a) => String(a.name).toLowerCase() === name.toLowerCase(),
    );
    if (!alert) {
      problems.push({ file: o.file, path: `alerts.${name}`, message: `no alert ${name} in runbook ${o.runbook}` });
      continue;
    }
    alert.eachLabel = change.eachLabel;
  }
  for (const [rid, change] of Object.entries(o.remediations)) {
    const entry = (rb.remediations ?? []).find((r) => r.id === rid);
    if (!entry) {
      problems.push({ file: o.file, path: `remediations.${rid}`, message: `no remediation ${rid} in runbook ${o.runbook}` });
      continue;
    }
    entry.params = { ...(entry.params as Record<string, unknown>), ...change.params };
  }
  return { data: rb, problems };
}

/** Every probe the catalog marks `assumed` (its metric is not named by the runbook), for `validate`. */
export function assumedProbes(catalog: Catalog): { runbook: string; probe: string; query: string }[] {
  return catalog.runbooks.flatMap((r) =>
    r.probes
      .filter((p) => p.assumed)
      .map((p) => ({ runbook: r.id, probe: p.id, query: String((p.params as { query?: unknown }).query ?? JSON.stringify(p.params)) })),
  );
}

/**
 * Secret values held by the catalog's targets (passwords in connection URLs or libpq strings, tokens in query
 * strings), resolved from the environment: the logger scrubs them from every line.
 */
export function catalogSecrets(catalog: Catalog): string[] {
  const out = new Set<string>();
  for (const rb of catalog.runbooks) {
    for (const t of Object.values(rb.targets)) {
      for (const value of Object.values(t.values)) for (const s of secretsIn(value)) out.add(s);
    }
  }
  return [...out];
}

const SECRET_PARAM = /^(password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?token|auth)$/i;

function secretsIn(value: string): string[] {
  const found: string[] = [];
  try {
    const url = new URL(value);
    if (url.password) found.push(url.password, decodeURIComponent(url.password));
    for (const [k, v] of url.searchParams) if (SECRET_PARAM.test(k) && v) found.push(v);
  } catch {
    // not a URL: a libpq key/value string (host=db password=secret)
  }
  for (const m of value.matchAll(/(?:^|\s)(?:password|passwd)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/gi)) {
    found.push((m[1] as string).replace(/^'|'$/g, ''));
  }
  return found.filter((s) => s.length > 0);
}

function crossFileProblems(runbooks: Runbook[]): CatalogProblem[] {
  const problems: CatalogProblem[] = [];
  const ids = new Map<string, string>();
  const alerts = new Map<string, string>();
  for (const rb of runbooks) {
    const other = ids.get(rb.id);
    if (other) problems.push({ file: rb.file, path: 'id', message: `runbook id ${rb.id} is also used by ${other}` });
    ids.set(rb.id, rb.file);
    rb.alerts.forEach((a, i) => {
      const prev = alerts.get(a.name.toLowerCase());
      if (prev) problems.push({ file: rb.file, path: `alerts[${i}].name`, message: `alert ${a.name} is already covered by ${prev}` });
      else alerts.set(a.name.toLowerCase(), rb.file);
    });
  }
  return problems;
}

function yamlPath(p: (string | number)[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

function issueMessage(issue: { code: string; message: string; keys?: string[]; path: PropertyKey[] }, input: unknown): string {
  if (issue.code === 'unrecognized_keys' && issue.keys) return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  const expected = /^Invalid discriminator value\. Expected (.*)$/.exec(issue.message);
  if (expected && issue.path[issue.path.length - 1] === 'kind') {
    const kinds = [...(expected[1] as string).matchAll(/'([^']+)'/g)].map((m) => m[1] as string);
    const near = typeof input === 'string' ? closestMatches(input, kinds, 1) : [];
    return `unknown kind ${JSON.stringify(input)}${near.length ? `: did you mean ${near[0]}?` : ''} (known: ${kinds.join(', ')})`;
  }
  return issue.message;
}

function valueAt(data: unknown, p: (string | number)[]): unknown {
  let cur = data;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}
