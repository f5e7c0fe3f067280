import { z } from 'zod';
import { parseSeverity, type Severity } from '../incidents/severity';
import { probeRegistry, type ProbeKind } from '../probes/registry';
import { TARGET_FIELDS, type TargetKind } from '../probes/types';

/**
 * The shape of one `commands/*.yaml` file. Cross-references (probe → target, alert → probe, cause → probe) are
 * checked in `superRefine` so every problem carries the YAML path it is about.
 */
const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes (e.g. slow-queries)');

const severity = z
  .enum(['P0', 'P1', 'P2', 'P3', 'critical', 'high', 'medium', 'low'])
  .transform((s): Severity => parseSeverity(s)!);

const envRef = z
  .string()
  .regex(/^\$\{[A-Z_][A-Z0-9_]*\}$/, 'must be a single ${ENV_NAME} reference: addresses and secrets come from the environment, never from YAML');

function targetSchema<K extends TargetKind>(kind: K) {
  const fields = Object.fromEntries(TARGET_FIELDS[kind].map((f) => [f, envRef])) as Record<(typeof TARGET_FIELDS)[K][number], typeof envRef>;
  return z.object({ kind: z.literal(kind), description: z.string().optional(), ...fields }).strict();
}

const targetKinds = Object.keys(TARGET_FIELDS) as TargetKind[];
export const targetSchemaUnion = z.discriminatedUnion(
  'kind',
  targetKinds.map((k) => targetSchema(k)) as unknown as [ReturnType<typeof targetSchema>, ...ReturnType<typeof targetSchema>[]],
);

function probeSchema<K extends ProbeKind>(kind: K) {
  return z
    .object({
      id,
      title: z.string().min(1).max(150),
      kind: z.literal(kind),
      /** Name of an entry in `targets`, of the kind this probe needs. */
      target: z.string().optional(),
      /** Per-probe timeout; the diagnosis default is 5000 ms. */
      timeoutMs: z.number().int().min(100).max(60_000).optional(),
      params: probeRegistry[kind].params as z.ZodType<unknown>,
    })
    .strict();
}

const probeKinds = Object.keys(probeRegistry) as ProbeKind[];
export const probeSchemaUnion = z.discriminatedUnion(
  'kind',
  probeKinds.map((k) => probeSchema(k)) as unknown as [ReturnType<typeof probeSchema>, ...ReturnType<typeof probeSchema>[]],
);

const probeStatus = z.enum(['ok', 'warn', 'crit', 'unknown']);

const alertSchema = z
  .object({
    /** The alert name as Alertmanager sends it; matched case-insensitively. */
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,99}$/, 'must be an alert name (letters, digits, underscore)'),
    severity,
    summary: z.string().optional(),
    /** Probe ids to run for this alert; default all of the runbook's probes. */
    probes: z.array(id).min(1).optional(),
    /** Remediation ids offered for this alert; default all of the runbook's remediations. */
    remediations: z.array(id).optional(),
    /** Extra manual steps for this alert, shown before the runbook's. */
    manualSteps: z.array(z.string().min(1)).optional(),
    /** Run the diagnosis by itself, in the alert's thread, when the alert first fires. */
    autoDiagnose: z.boolean().optional(),
    /** Labels the probes use (`agent`, `worker`), shown in usage hints. */
    labels: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).optional(),
  })
  .strict();

const causeSchema = z
  .object({
    when: z.object({ probe: id, status: z.union([probeStatus, z.array(probeStatus).min(1)]) }).strict(),
    cause: z.string().min(1),
    fix: z.string().min(1),
  })
  .strict();

const remediationSchema = z
  .object({
    id,
    /** The remediation kind (executed by src/remediations; the registry there validates params). */
    kind: z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/, 'must be a remediation kind such as docker.restart'),
    title: z.string().min(1).max(75),
    risk: z.enum(['low', 'medium', 'high']),
    target: z.string().optional(),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const runbookFileSchema = z
  .object({
    id,
    title: z.string().min(1).max(150),
    /** Link to the full runbook text (wiki, repository). */
    link: z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL'),
    summary: z.string().optional(),
    alerts: z.array(alertSchema).min(1),
    targets: z.record(id, targetSchemaUnion).default({}),
    probes: z.array(probeSchemaUnion).min(1),
    causes: z.array(causeSchema).default([]),
    manualSteps: z.array(z.string().min(1)).default([]),
    remediations: z.array(remediationSchema).default([]),
  })
  .strict()
  .superRefine((rb, ctx) => {
    const probeIds = new Set<string>();
    rb.probes.forEach((p, i) => {
      if (probeIds.has(p.id)) ctx.addIssue({ code: 'custom', path: ['probes', i, 'id'], message: `duplicate probe id ${p.id}` });
      probeIds.add(p.id);
      const needs = probeRegistry[p.kind as ProbeKind].targetKind;
      if (needs && p.target === undefined) {
        ctx.addIssue({ code: 'custom', path: ['probes', i], message: `a ${p.kind} probe needs target: the name of a ${needs} target` });
      } else if (p.target !== undefined) {
        const t = rb.targets[p.target];
        if (!t) {
          const known = Object.keys(rb.targets);
          ctx.addIssue({ code: 'custom', path: ['probes', i, 'target'], message: `unknown target ${p.target}${known.length ? ` (known: ${known.join(', ')})` : ': declare it under targets'}` });
        } else if (needs && t.kind !== needs) {
          ctx.addIssue({ code: 'custom', path: ['probes', i, 'target'], message: `target ${p.target} is a ${t.kind} target; a ${p.kind} probe needs a ${needs} target` });
        }
      }
    });
    const remediationIds = new Set<string>();
    rb.remediations.forEach((r, i) => {
      if (remediationIds.has(r.id)) ctx.addIssue({ code: 'custom', path: ['remediations', i, 'id'], message: `duplicate remediation id ${r.id}` });
      remediationIds.add(r.id);
      if (r.target !== undefined && !rb.targets[r.target]) ctx.addIssue({ code: 'custom', path: ['remediations', i, 'target'], message: `unknown target ${r.target}` });
    });
    const alertNames = new Set<string>();
    rb.alerts.forEach((a, i) => {
      const key = a.name.toLowerCase();
      if (alertNames.has(key)) ctx.addIssue({ code: 'custom', path: ['alerts', i, 'name'], message: `duplicate alert ${a.name}` });
      alertNames.add(key);
      a.probes?.forEach((pid, j) => {
        if (!probeIds.has(pid)) ctx.addIssue({ code: 'custom', path: ['alerts', i, 'probes', j], message: `unknown probe ${pid}` });
      });
      a.remediations?.forEach((rid, j) => {
        if (!remediationIds.has(rid)) ctx.addIssue({ code: 'custom', path: ['alerts', i, 'remediations', j], message: `unknown remediation ${rid}` });
      });
    });
    rb.causes.forEach((c, i) => {
      if (!probeIds.has(c.when.probe)) ctx.addIssue({ code: 'custom', path: ['causes', i, 'when', 'probe'], message: `unknown probe ${c.when.probe}` });
    });
  });

export type RunbookFile = z.output<typeof runbookFileSchema>;
