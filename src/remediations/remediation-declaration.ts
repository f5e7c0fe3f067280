import { z } from 'zod';
import { approversSchema, declarationObject } from '../domain/remediation-declaration';
import { getRemediation, remediationRegistry, type RemediationRegistry } from './registry';

export { approversSchema };
export type { Approvers, RemediationDeclaration, RemediationDeclarationInput } from '../domain/remediation-declaration';

/**
 * Builds the declaration schema against a registry: the action must exist and its params must validate. Embed
 * `remediationDeclarationSchema` in the catalog as an entry of `remediations:`.
 *
 * @example
 *   remediations:
 *     - id: restart-worker
 *       action: docker.restart          # or kind: docker.restart
 *       title: Restart the worker container
 *       risk: medium
 *       target: docker
 *       params: { container: '{{worker}}' }
 *       approvers: { usergroups: [S0ONCALL] }
 */
export function createDeclarationSchema(registry: RemediationRegistry = remediationRegistry) {
  return z.preprocess(
    (v) => {
      if (v && typeof v === 'object' && !Array.isArray(v) && 'kind' in v && !('action' in v)) {
        const { kind, ...rest } = v as Record<string, unknown>;
        return { ...rest, action: kind };
      }
      return v;
    },
    declarationObject.superRefine((d, ctx) => {
      const impl = getRemediation(registry, d.action);
      if (!impl) {
        ctx.addIssue({
          code: 'custom',
          path: ['action'],
          message: `unknown remediation action ${d.action} (known: ${Object.keys(registry).join(', ')})`,
        });
        return;
      }
      const parsed = impl.params.safeParse(d.params);
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          ctx.addIssue({
            code: 'custom',
            path: ['params', ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
            message: issue.message,
          });
      }
      if (d.allowSelfApproval && d.risk !== 'low')
        ctx.addIssue({ code: 'custom', path: ['allowSelfApproval'], message: 'only low-risk actions may be self-approved' });
    }),
  );
}

export const remediationDeclarationSchema = createDeclarationSchema();
