import { z } from 'zod';
import { placeholdersIn, redactUrl, renderUrl } from '../targets/params-template';
import { httpSend } from './http-json';
import { RemediationRefused, type Remediation, type RemediationContext } from './types';

const PATH = /^\/[A-Za-z0-9._~\-/]*$/;

const pathString = z
  .string()
  .regex(PATH, 'a plain path such as /admin/cache/flush (no query, no encoded characters)')
  .refine((p) => !p.split('/').includes('..') && !p.split('/').includes('.'), 'no . or .. segments')
  .refine((p) => placeholdersIn(p).size === 0, 'no {{label}} in the path: label values go only into query values');

export const httpCallParams = z
  .object({
    /** The admin endpoint, declared in the catalog: this is the allow-list (flush, scale). */
    path: pathString,
    /** Query values; `{{label}}` allowed, always URL-encoded. */
    query: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/), z.string()).default({}),
    /** A fixed JSON body from the catalog (no placeholders). */
    body: z
      .record(z.string(), z.unknown())
      .optional()
      .refine((b) => b === undefined || placeholdersIn(b).size === 0, 'no {{label}} in the body: label values go only into query values'),
    /** Status codes that count as success. */
    expectStatus: z.array(z.number().int().min(100).max(599)).default([200, 201, 202, 204]),
    /** Optional GET afterwards that must answer 200 (a health endpoint). */
    verifyPath: pathString.optional(),
    timeoutSeconds: z.number().int().min(1).max(120).default(15),
  })
  .strict();

export type HttpCallParams = z.output<typeof httpCallParams>;

function base(ctx: RemediationContext): string {
  const url = ctx.target?.values.url;
  if (!url) throw new RemediationRefused('the http target has no url configured');
  return url;
}

/** A POST to an admin endpoint named in the catalog on the target's base URL (cache flush, scale). */
export const httpCall: Remediation<HttpCallParams, { url: string }> = {
  action: 'http.call',
  targetKind: 'http',
  params: httpCallParams,
  async preview(params, ctx) {
    const url = renderUrl(base(ctx), params.path, params.query, ctx.labels);
    const shown = redactUrl(url);
    return {
      summary: `POST ${shown}`,
      items: [`POST ${shown}${params.body ? ` with ${JSON.stringify(params.body).slice(0, 200)}` : ''}`],
      subject: `POST ${new URL(shown).pathname}`,
      empty: false,
      // Only the rendered URL without credentials is stored; execute re-renders from the target.
      data: { url: shown },
    };
  },
  async execute(params, preview, ctx) {
    const url = renderUrl(base(ctx), params.path, params.query, ctx.labels);
    if (redactUrl(url) !== preview.data.url) throw new RemediationRefused('the endpoint differs from the preview: nothing sent');
    const res = await httpSend('POST', url, { signal: ctx.signal, json: params.body ?? {}, timeoutMs: params.timeoutSeconds * 1000 });
    if (!params.expectStatus.includes(res.status))
      throw new RemediationRefused(`POST ${preview.data.url} answered HTTP ${res.status}: ${res.body.slice(0, 200)}`);
    return {
      summary: `POST ${preview.data.url}: HTTP ${res.status}`,
      items: res.body ? [res.body.slice(0, 300)] : [],
      data: { status: res.status },
    };
  },
  async verify(params, _preview, result, ctx) {
    if (!params.verifyPath)
      return {
        status: 'skipped',
        summary: `the endpoint answered HTTP ${(result.data as { status: number }).status}; no verify path declared`,
      };
    const res = await httpSend('GET', renderUrl(base(ctx), params.verifyPath, undefined, {}), { signal: ctx.signal });
    return res.status === 200
      ? { status: 'passed', summary: `${params.verifyPath} answers 200` }
      : { status: 'failed', summary: `${params.verifyPath} answers HTTP ${res.status}` };
  },
};
