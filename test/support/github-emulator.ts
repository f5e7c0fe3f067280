import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * A GitHub REST API stand-in that checks every request against GitHub's published OpenAPI description
 * (`@octokit/openapi`, api.github.com.json): the route and method must exist there, path and query parameters and the
 * JSON body must match the operation's schemas, and every answer it gives is validated against the operation's
 * response schema too. Only the operations in `IMPLEMENTED` change state; any other described operation is recorded
 * as a call and answered 501, and a route the description does not have is a violation.
 */

const SPEC_PATH = require.resolve('@octokit/openapi/generated/api.github.com.json');
const SPEC_ID = 'https://api.github.com/openapi.json';

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  names: string[];
  op: Record<string, unknown>;
}

export interface GithubCall {
  method: string;
  path: string;
  /** `method template`, e.g. `post /repos/{owner}/{repo}/issues`; undefined when the description has no such route. */
  operation?: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  status: number;
  response: unknown;
  /** What did not match the description (empty for a valid request). */
  problems: string[];
}

export interface GithubEmulator {
  /** The API base URL (GITHUB_API_URL). */
  url: string;
  calls: GithubCall[];
  /** Every problem found in every request so far. */
  violations(): string[];
  issues(owner: string, repo: string): Record<string, unknown>[];
  /** The next `times` calls answer with this status and GitHub's error body. */
  failNext(status: 401 | 403 | 404 | 410 | 422 | 503, times?: number): void;
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let loaded: { spec: Record<string, any>; ajv: Ajv; operations: Operation[] } | undefined;

function load() {
  if (loaded) return loaded;
  const spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8'));
  // OpenAPI 3.0 schemas are JSON Schema plus `nullable` and annotations (`example`, `x-*`, which strict: false ignores).
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema({ $id: SPEC_ID, components: withNullTypes(spec.components) });
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries<Record<string, unknown>>(spec.paths)) {
    const names: string[] = [];
    const pattern = new RegExp(
      '^' +
        template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => {
          names.push(name);
          return '([^/]+)';
        }) +
        '$',
    );
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      if (item[method]) operations.push({ method, template, pattern, names, op: item[method] as Record<string, unknown> });
    }
  }
  loaded = { spec, ajv, operations };
  return loaded;
}

const compiled = new Map<string, ValidateFunction>();

/** A schema from the description, compiled with its `#/components/...` references resolved against the description. */
function validatorFor(schema: unknown, key: string): ValidateFunction {
  const hit = compiled.get(key);
  if (hit) return hit;
  const { ajv } = load();
  const fn = ajv.compile(rebase(schema) as object);
  compiled.set(key, fn);
  return fn;
}

/** Rewrites local `#/components/…` references to the description's id, so a fragment compiles on its own. */
function rebase(schema: unknown): unknown {
  return withNullTypes(
    JSON.parse(JSON.stringify(schema), (k, v) => (k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${SPEC_ID}${v}` : v)),
  );
}

/** OpenAPI 3.0's `nullable: true` as JSON Schema: `null` is one more allowed type (or alternative, without a type). */
function withNullTypes(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withNullTypes);
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const out = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, k === 'example' || k === 'examples' ? v : withNullTypes(v)]));
  if (nullable !== true) return out;
  if (typeof out.type === 'string') {
    const type = [out.type, 'null'];
    return Array.isArray(out.enum) ? { ...out, type, enum: [...out.enum, null] } : { ...out, type };
  }
  return { anyOf: [out, { type: 'null' }] };
}

function resolveRef<T>(node: T): T {
  const { spec } = load();
  let n = node as { $ref?: string };
  while (n && typeof n.$ref === 'string') {
    n = n.$ref
      .slice(2)
      .split('/')
      .reduce<any>((o, part) => o?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], spec); // eslint-disable-line @typescript-eslint/no-explicit-any
  }
  return n as T;
}

const describe = (fn: ValidateFunction, where: string) =>
  (fn.errors ?? []).map((e) => `${where}${e.instancePath} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startGithubEmulator(opts: { token: string }): Promise<GithubEmulator> {
  const { spec, operations } = load();
  const calls: GithubCall[] = [];
  const issues = new Map<string, Record<string, unknown>[]>();
  const failures: number[] = [];
  let baseUrl = '';

  const example = resolveRef<{ value: Record<string, unknown> }>(spec.components.examples.issue).value;

  const errorBody = (status: number) =>
    ({
      401: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' },
      403: {
        message: 'Resource not accessible by personal access token',
        documentation_url: 'https://docs.github.com/rest/issues/issues#create-an-issue',
        status: '403',
      },
      404: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/issues/issues#create-an-issue', status: '404' },
      410: {
        message: 'Issues are disabled for this repo',
        documentation_url: 'https://docs.github.com/rest/issues/issues#create-an-issue',
        status: '410',
      },
      422: {
        message: 'Validation Failed',
        errors: [],
        documentation_url: 'https://docs.github.com/rest/issues/issues#create-an-issue',
        status: '422',
      },
      503: { message: 'Service unavailable', documentation_url: 'https://docs.github.com/rest', status: '503' },
    })[status] ?? { message: 'Error' };

  const createIssue = (owner: string, repo: string, body: Record<string, unknown>) => {
    const key = `${owner}/${repo}`;
    const list = issues.get(key) ?? [];
    const number = list.length + 1;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const api = `${baseUrl}/repos/${owner}/${repo}`;
    const labels = (Array.isArray(body.labels) ? body.labels : []).map((l, i) => {
      const name = typeof l === 'string' ? l : String((l as { name?: unknown }).name ?? '');
      return {
        id: 1000 + i,
        node_id: `LA_${i}`,
        url: `${api}/labels/${encodeURIComponent(name)}`,
        name,
        description: null,
        color: 'ededed',
        default: false,
      };
    });
    const issue: Record<string, unknown> = {
      ...example,
      id: 9_000_000 + number,
      node_id: `I_emulated${number}`,
      url: `${api}/issues/${number}`,
      repository_url: api,
      labels_url: `${api}/issues/${number}/labels{/name}`,
      comments_url: `${api}/issues/${number}/comments`,
      events_url: `${api}/issues/${number}/events`,
      html_url: `${baseUrl.replace('/api', '')}/${owner}/${repo}/issues/${number}`,
      number,
      state: 'open',
      title: String(body.title),
      body: typeof body.body === 'string' ? body.body : null,
      labels,
      assignee: null,
      assignees: [],
      milestone: null,
      locked: false,
      comments: 0,
      closed_at: null,
      created_at: now,
      updated_at: now,
    };
    delete issue.pull_request;
    delete issue.repository;
    list.push(issue);
    issues.set(key, list);
    return issue;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      calls.push({
        method: String(req.method),
        path: String(req.url),
        headers: req.headers,
        body: undefined,
        status: 500,
        response: null,
        problems: [`emulator error: ${err.message}`],
      });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: err.message }));
    });
  });
  const handle = async (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/^\/api/, '');
    const method = (req.method ?? 'GET').toLowerCase();
    const raw = await readBody(req);
    const problems: string[] = [];
    let body: unknown;
    const answer = (status: number, payload: unknown) => {
      calls.push({
        method,
        path,
        ...(found ? { operation: `${found.method} ${found.template}` } : {}),
        headers: req.headers,
        body,
        status,
        response: payload,
        problems,
      });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-api-version-selected': '2022-11-28' });
      res.end(JSON.stringify(payload));
    };
    const found = operations.find((o) => o.method === method && o.pattern.test(path));
    if (!found) {
      problems.push(`${method.toUpperCase()} ${path} is not an operation of the GitHub REST API description`);
      answer(404, errorBody(404));
      return;
    }
    const params = Object.fromEntries(found.names.map((n, i) => [n, decodeURIComponent(found.pattern.exec(path)![i + 1]!)]));
    for (const p of ((found.op.parameters as unknown[]) ?? []).map((x) =>
      resolveRef(x as { name: string; in: string; required?: boolean; schema: unknown }),
    )) {
      const value = p.in === 'path' ? params[p.name] : p.in === 'query' ? (url.searchParams.get(p.name) ?? undefined) : undefined;
      if (value === undefined) {
        if (p.required) problems.push(`missing ${p.in} parameter ${p.name}`);
        continue;
      }
      const schema = resolveRef(p.schema as { type?: string });
      const typed =
        schema.type === 'integer' || schema.type === 'number' ? Number(value) : schema.type === 'boolean' ? value === 'true' : value;
      const v = validatorFor(schema, `${found.method} ${found.template} param ${p.name}`);
      if (!v(typed)) problems.push(...describe(v, `${p.in} parameter ${p.name}`));
    }
    if (req.headers['user-agent'] === undefined) problems.push('GitHub requires a User-Agent header');
    const accept = String(req.headers.accept ?? '');
    if (accept && !/application\/(vnd\.github(\.[a-z0-9-]+)?(\+json)?|json)|\*\/\*/.test(accept))
      problems.push(`Accept ${accept} is not a GitHub media type`);
    const requestBody = found.op.requestBody
      ? resolveRef(found.op.requestBody as { required?: boolean; content: Record<string, { schema: unknown }> })
      : undefined;
    if (requestBody) {
      const json = requestBody.content['application/json'];
      if (!raw) {
        if (requestBody.required) problems.push('the operation requires a JSON body');
      } else if (!/application\/json/.test(String(req.headers['content-type']))) {
        problems.push(`Content-Type ${String(req.headers['content-type'])} is not application/json`);
      } else {
        try {
          body = JSON.parse(raw);
        } catch {
          problems.push('the body is not JSON');
        }
        if (json && body !== undefined) {
          const v = validatorFor(json.schema, `${found.method} ${found.template} body`);
          if (!v(body)) problems.push(...describe(v, 'body'));
        }
      }
    }
    if (req.headers.authorization !== `Bearer ${opts.token}` && req.headers.authorization !== `token ${opts.token}`) {
      answer(401, errorBody(401));
      return;
    }
    if (problems.length) {
      answer(422, { ...errorBody(422), errors: problems });
      return;
    }
    const failure = failures.shift();
    if (failure) {
      answer(failure, errorBody(failure));
      return;
    }
    if (found.method === 'post' && found.template === '/repos/{owner}/{repo}/issues') {
      const issue = createIssue(params.owner!, params.repo!, body as Record<string, unknown>);
      const responseSchema = resolveRef(found.op.responses as Record<string, { content: Record<string, { schema: unknown }> }>)['201']!;
      const v = validatorFor(resolveRef(responseSchema).content['application/json']!.schema, `${found.template} 201`);
      if (!v(issue)) throw new Error(`the emulator's own issue does not match the description: ${describe(v, 'response').join('; ')}`);
      answer(201, issue);
      return;
    }
    answer(501, { message: `${found.method.toUpperCase()} ${found.template} is described by GitHub but not emulated` });
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  return {
    url: baseUrl,
    calls,
    violations: () => calls.flatMap((c) => c.problems),
    issues: (owner, repo) => structuredClone(issues.get(`${owner}/${repo}`) ?? []),
    failNext: (status, times = 1) => {
      for (let i = 0; i < times; i++) failures.push(status);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
