import { z } from 'zod';

const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const USERGROUP_ID = /^S[A-Z0-9]{2,}$/;

export const approversSchema = z
  .object({
    /** Slack user ids (U…/W…) allowed to approve. */
    users: z.array(z.string().regex(USER_ID, 'a Slack user id such as U0123ABCD')).default([]),
    /** Slack user group ids (S…) whose members may approve. */
    usergroups: z.array(z.string().regex(USERGROUP_ID, 'a Slack user group id such as S0123ABCD')).default([]),
  })
  .strict();

export type Approvers = z.output<typeof approversSchema>;

/** A remediation as the catalog declares it; remediations/remediation-declaration.ts also checks it against the registry. */
export const declarationObject = z
  .object({
    /** The action kind (`docker.restart`); the catalog may spell the key `kind`. */
    action: z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/, 'an action such as docker.restart'),
    /** The runbook-local id (buttons and `/incident remediate <id>` use it). */
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
      .optional(),
    title: z.string().min(1).max(75),
    risk: z.enum(['low', 'medium', 'high']),
    /** Fixed params; strings may hold `{{label}}` placeholders filled from the alert's labels and the command. */
    params: z.record(z.string(), z.unknown()).default({}),
    /** Who may approve (default REMEDIATION_APPROVERS_<RISK>; low/medium without it: anyone but the requester; high: nobody). */
    approvers: approversSchema.optional(),
    /** Who may request (default REMEDIATION_REQUESTERS_<RISK>; without it: anyone). */
    requesters: approversSchema.optional(),
    /** Low risk only: the requester may approve their own request. */
    allowSelfApproval: z.boolean().default(false),
    cooldownSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .optional(),
    maxRunsPerWindow: z.number().int().min(1).max(1000).optional(),
    windowSeconds: z
      .number()
      .int()
      .min(60)
      .max(30 * 86_400)
      .optional(),
    /** Name of an entry in the runbook's `targets`. */
    target: z.string().optional(),
    /** Minutes until an unanswered request expires (default 15). */
    expiresInMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .optional(),
  })
  .strict();

export type RemediationDeclaration = z.output<typeof declarationObject>;
export type RemediationDeclarationInput = z.input<typeof declarationObject>;
