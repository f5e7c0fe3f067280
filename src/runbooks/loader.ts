import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { closestMatches } from '../closest-match';
import type { ResolvedTarget } from '../probes/types';
import { runbookFileSchema, type RunbookFile } from './catalog-schema';

export type AlertEntry = RunbookFile['alerts'][number];
export type ProbeDefinition = RunbookFile['probes'][number];
export type CauseEntry = RunbookFile['causes'][number];
export type RemediationEntry = RunbookFile['remediations'][number];

/** A validated runbook with its targets resolved from the environment. */
export interface Runbook extends Omit<RunbookFile, 'targets'> {
  /** File name inside the catalog directory. */
  file: string;
  targets: Record<string, ResolvedTarget>;
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
export async function loadCatalog(dir: string, env: Env): Promise<Catalog> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (err) {
    throw new CatalogError([{ file: dir, path: '', message: `cannot read the catalog directory: ${(err as Error).message} (set COMMANDS_DIR)` }]);
  }
  if (names.length === 0) throw new CatalogError([{ file: dir, path: '', message: 'no runbooks (*.yaml) in the catalog directory' }]);
  const problems: CatalogProblem[] = [];
  const runbooks: Runbook[] = [];
  for (const name of names) {
    const text = await readFile(path.join(dir, name), 'utf8');
    const parsed = parseRunbook(name, text, env);
    if ('problems' in parsed) problems.push(...parsed.problems);
    else runbooks.push(parsed.runbook);
  }
  problems.push(...crossFileProblems(runbooks));
  if (problems.length) throw new CatalogError(problems);
  return { dir, runbooks };
}

/** Parses one runbook file's text. */
export function parseRunbook(file: string, text: string, env: Env): { runbook: Runbook } | { problems: CatalogProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
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
  const data: unknown = doc.toJS();
  const result = runbookFileSchema.safeParse(data);
  if (!result.success) {
    return {
      problems: result.error.issues.map((issue) => {
        const p = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
        return { file, path: yamlPath(p), line: lineOf(doc, lineCounter, p), message: issueMessage(issue, valueAt(data, p)) };
      }),
    };
  }
  const rb = result.data;
  const targets: Record<string, ResolvedTarget> = {};
  for (const [name, t] of Object.entries(rb.targets)) {
    const { kind, description: _d, ...fields } = t as { kind: ResolvedTarget['kind']; description?: string } & Record<string, string>;
    const values: Record<string, string> = {};
    const missing: string[] = [];
    for (const [field, ref] of Object.entries(fields)) {
      const varName = /^\$\{([A-Z_][A-Z0-9_]*)\}$/.exec(ref)?.[1] as string;
      const v = env[varName];
      if (v === undefined || v.trim() === '') missing.push(varName);
      else values[field] = v.trim();
    }
    targets[name] = { name, kind, values, missing };
  }
  return { runbook: { ...rb, file, targets } };
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

/** Line of the deepest node that exists along the path (a missing key points at its parent). */
function lineOf(doc: Document, lc: LineCounter, p: (string | number)[]): number | undefined {
  for (let n = p.length; n >= 0; n--) {
    const node = doc.getIn(p.slice(0, n), true) as unknown;
    if (node && (isScalar(node) || isMap(node) || isSeq(node)) && node.range) {
      return lc.linePos(node.range[0]).line;
    }
  }
  return undefined;
}
