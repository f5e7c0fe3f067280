import { z } from 'zod';

/**
 * Which channel an alert from the webhook goes to: the first route whose `match` labels all equal the alert's
 * (a route without `match` catches everything). Configured as ALERTMANAGER_ROUTES (JSON), e.g.
 * `[{"match":{"team":"memory"},"channel":"C123"},{"channel":"C0DEFAULT"}]`.
 */
export const alertRoutesSchema = z
  .array(
    z
      .object({
        match: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a label name'), z.string()).optional(),
        channel: z.string().regex(/^[CG][A-Z0-9]{2,20}$/, 'must be a Slack channel id such as C0123ABCD (not a #name)'),
      })
      .strict(),
  )
  .min(1, 'needs at least one route');
export type AlertRoute = z.infer<typeof alertRoutesSchema>[number];
