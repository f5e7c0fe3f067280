import { z } from 'zod';
import { closestMatches } from '../closest-match';
import { parseSeverity, type Severity } from '../incidents/severity';
import { probeRegistry, type ProbeKind } from '../probes/registry';
import { targetAllowSchema } from '../targets/target-allow';
import { TARGET_FIELDS, type TargetKind } from '../targets/target';
import { getRemediation, remediationRegistry } from '../remediations/registry';
import { approversSchema } from '../domain/remediation-declaration';
import { CONTACT_AREAS } from '../domain/escalation';

/**
 * The shape of one `commands/*.yaml` file. Cross-references (probe → target, alert → probe, cause → probe) are
 * checked in `superRefine` so every problem carries the YAML path it is about.
 */
const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes (e.g. slow-queries)');

const severity = z.enum(['P0', 'P1', 'P2', 'P3', 'critical', 'high', 'medium', 'low']).transform((s): Severity => parseSeverity(s)!);

const envRef = z
  .string()
  .regex(
    /^\$\{[A-Z_][A-Z0-9_]*\}$/,
    'must be a single ${ENV_NAME} reference: addresses and secrets come from the environment, never from YAML',
  );

function targetSchema<K extends TargetKind>(kind: K) {
  const fields = Object.fromEntries(TARGET_FIELDS[kind].map((f) => [f, envRef])) as Record<
    (typeof TARGET_FIELDS)[K][number],
    typeof envRef
  >;
  return z
    .object({
      kind: z.literal(kind),
      description: z.string().optional(),
      ...fields,
      /** What label values may select on this target (see src/targets/target-allow.ts); required wherever a label picks a thing. */
      allow: (kind === 'docker' ? targetAllowSchema : targetAllowSchema.omit({ containers: true })).optional(),
    })
    .strict();
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
      /**
       * A label picks the target among declared ones (workers expose metrics on their own ports): label value →
       * target name. A value outside the map is refused; the label never reaches an address.
       */
      targetByLabel: z
        .object({
          label: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
          targets: z.record(z.string().regex(/^[A-Za-z0-9_.:@/-]{1,128}$/), z.string()),
        })
        .strict()
        .optional(),
      /** Per-probe timeout; the diagnosis default is 5000 ms. */
      timeoutMs: z.number().int().min(100).max(60_000).optional(),
      /**
       * The runbook does not name this metric (or query): the catalog guesses it. `validate` lists it and the
       * diagnosis marks its result "(assumed metric)" until a deployment overlay replaces it.
       */
      assumed: z.boolean().optional(),
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
    /** Remediation ids the runbook's section for this alert names; none when absent (P2/P3: no immediate action). */
    remediations: z.array(id).optional(),
    /** Extra manual steps for this alert, shown before the runbook's. */
    manualSteps: z.array(z.string().min(1)).optional(),
    /** Run the diagnosis by itself, in the alert's thread, when the alert first fires. */
    autoDiagnose: z.boolean().optional(),
    /** Labels the probes use (`agent`, `worker`), shown in usage hints. */
    labels: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).optional(),
    /** Which of the runbook's area contacts (database, infrastructure, application) escalation pages for it; none: all. */
    area: z.enum(CONTACT_AREAS).optional(),
    /** Without this label, probes that need it run once per listed value (seed 004: every worker). */
    eachLabel: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
        z
          .array(z.string().regex(/^[A-Za-z0-9_.:@/-]{1,128}$/))
          .min(1)
          .max(20),
      )
      .optional(),
  })
  .strict();

const causeSchema = z
  .object({
    when: z.object({ probe: id, status: z.union([probeStatus, z.array(probeStatus).min(1)]) }).strict(),
    cause: z.string().min(1),
    fix: z.string().min(1),
    /** A dependency is down (Redis, PostgreSQL unreachable): listed before causes whose fixes need it. */
    dependency: z.boolean().optional(),
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
    /** Who may approve it (Slack user / user-group ids); default REMEDIATION_APPROVERS_<RISK>. */
    approvers: approversSchema.optional(),
    /** Who may request it; default REMEDIATION_REQUESTERS_<RISK>, else anyone. */
    requesters: approversSchema.optional(),
  })
  .strict();

/** `${ENV}` base + a fixed path: a dashboard link shown as a button only when the variable is set. */
const dashboardSchema = z
  .object({
    title: z.string().min(1).max(75),
    base: envRef,
    path: z.string().regex(/^\/\S*$/, 'must be a path starting with /'),
  })
  .strict();

/**
 * An emergency contact of the runbook: who to page at an escalation level, for an area. The ids come from the
 * environment (`page: ${CONTACT_DBA}`: Slack user or user-group ids, comma-separated); unset: "not configured".
 */
const contactSchema = z
  .object({
    role: z.string().min(1).max(80),
    area: z.enum(CONTACT_AREAS).optional(),
    level: z.enum(['L1', 'L2', 'L3']),
    when: z.string().min(1).max(150).optional(),
    page: envRef,
  })
  .strict();

const runbookObject = z
  .object({
    id,
    title: z.string().min(1).max(150),
    /**
     * Where the full runbook text lives: an http(s) URL, or a path joined to RUNBOOKS_BASE_URL. Absent (or
     * RUNBOOKS_BASE_URL unset for a path): no link is shown rather than a made-up one.
     */
    link: z
      .string()
      .regex(/^(https?:\/\/\S+|[A-Za-z0-9_.~-][A-Za-z0-9_./~-]*)$/, 'must be an http(s) URL or a path relative to RUNBOOKS_BASE_URL')
      .optional(),
    /** Dashboards the runbook names (Grafana boards, Loki explore, Prometheus targets). */
    dashboards: z.array(dashboardSchema).default([]),
    summary: z.string().optional(),
    alerts: z.array(alertSchema).min(1),
    targets: z.record(id, targetSchemaUnion).default({}),
    probes: z.array(probeSchemaUnion).min(1),
    causes: z.array(causeSchema).default([]),
    manualSteps: z.array(z.string().min(1)).default([]),
    remediations: z.array(remediationSchema).default([]),
    contacts: z.array(contactSchema).default([]),
  })
  .strict();

type RunbookShape = z.output<typeof runbookObject>;
type Ctx = z.RefinementCtx<RunbookShape>;

/** Probe ids are unique; each probe names a target of the kind it needs. Returns the probe ids. */
function checkProbes(rb: RunbookShape, ctx: Ctx): Set<string> {
  const probeIds = new Set<string>();
  rb.probes.forEach((p, i) => {
    if (probeIds.has(p.id)) ctx.addIssue({ code: 'custom', path: ['probes', i, 'id'], message: `duplicate probe id ${p.id}` });
    probeIds.add(p.id);
    checkProbeTarget(rb, p, i, ctx);
  });
  return probeIds;
}

function checkProbeTarget(rb: RunbookShape, p: RunbookShape['probes'][number], i: number, ctx: Ctx): void {
  const needs = probeRegistry[p.kind as ProbeKind].targetKind;
  if (p.targetByLabel) {
    if (p.target !== undefined)
      ctx.addIssue({ code: 'custom', path: ['probes', i, 'target'], message: 'give either target or targetByLabel, not both' });
    for (const [value, name] of Object.entries(p.targetByLabel.targets)) {
      const t = rb.targets[name];
      if (!t) ctx.addIssue({ code: 'custom', path: ['probes', i, 'targetByLabel', 'targets', value], message: `unknown target ${name}` });
      else if (needs && t.kind !== needs)
        ctx.addIssue({
          code: 'custom',
          path: ['probes', i, 'targetByLabel', 'targets', value],
          message: `target ${name} is a ${t.kind} target; a ${p.kind} probe needs a ${needs} target`,
        });
    }
  } else if (needs && p.target === undefined) {
    ctx.addIssue({ code: 'custom', path: ['probes', i], message: `a ${p.kind} probe needs target: the name of a ${needs} target` });
  } else if (p.target !== undefined) {
    const t = rb.targets[p.target];
    if (!t) {
      const known = Object.keys(rb.targets);
      ctx.addIssue({
        code: 'custom',
        path: ['probes', i, 'target'],
        message: `unknown target ${p.target}${known.length ? ` (known: ${known.join(', ')})` : ': declare it under targets'}`,
      });
    } else if (needs && t.kind !== needs) {
      ctx.addIssue({
        code: 'custom',
        path: ['probes', i, 'target'],
        message: `target ${p.target} is a ${t.kind} target; a ${p.kind} probe needs a ${needs} target`,
      });
    }
  }
}

/** Remediation ids are unique; each names a known kind with valid params and the targets it needs. Returns the ids. */
function checkRemediations(rb: RunbookShape, ctx: Ctx): Set<string> {
  const remediationIds = new Set<string>();
  rb.remediations.forEach((r, i) => {
    if (remediationIds.has(r.id))
      ctx.addIssue({ code: 'custom', path: ['remediations', i, 'id'], message: `duplicate remediation id ${r.id}` });
    remediationIds.add(r.id);
    const impl = checkRemediationKind(rb, r, i, ctx);
    if (r.target !== undefined) {
      const t = rb.targets[r.target];
      if (!t) ctx.addIssue({ code: 'custom', path: ['remediations', i, 'target'], message: `unknown target ${r.target}` });
      else if (impl?.targetKind && t.kind !== impl.targetKind) {
        ctx.addIssue({
          code: 'custom',
          path: ['remediations', i, 'target'],
          message: `target ${r.target} is a ${t.kind} target; ${r.kind} needs a ${impl.targetKind} target`,
        });
      }
    }
  });
  return remediationIds;
}

/** The remediation's kind, params and the targets its kind needs; returns the kind's implementation when it is known. */
function checkRemediationKind(rb: RunbookShape, r: RunbookShape['remediations'][number], i: number, ctx: Ctx) {
  const impl = getRemediation(remediationRegistry, r.kind);
  if (!impl) {
    const near = closestMatches(r.kind, Object.keys(remediationRegistry), 1);
    ctx.addIssue({
      code: 'custom',
      path: ['remediations', i, 'kind'],
      message: `unknown remediation kind ${JSON.stringify(r.kind)}${near.length ? `: did you mean ${near[0]}?` : ''} (known: ${Object.keys(remediationRegistry).join(', ')})`,
    });
  } else {
    const parsed = impl.params.safeParse(r.params);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({
          code: 'custom',
          path: ['remediations', i, 'params', ...issue.path.filter((k): k is string | number => typeof k !== 'symbol')],
          message: issue.message,
        });
      }
    } else {
      for (const extra of impl.extraTargets?.(parsed.data) ?? []) {
        const t = rb.targets[extra.name];
        if (!t)
          ctx.addIssue({
            code: 'custom',
            path: ['remediations', i, 'params'],
            message: `unknown target ${extra.name}: declare it under targets`,
          });
        else if (t.kind !== extra.kind)
          ctx.addIssue({
            code: 'custom',
            path: ['remediations', i, 'params'],
            message: `target ${extra.name} is a ${t.kind} target; ${r.kind} needs a ${extra.kind} target there`,
          });
      }
    }
    if (impl.targetKind && r.target === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['remediations', i],
        message: `a ${r.kind} action needs target: the name of a ${impl.targetKind} target`,
      });
    }
  }
  return impl;
}

/** Alert names are unique, and alerts and causes name probes and remediations that exist. */
function checkAlertsAndCauses(rb: RunbookShape, ctx: Ctx, probeIds: Set<string>, remediationIds: Set<string>): void {
  const alertNames = new Set<string>();
  rb.alerts.forEach((a, i) => {
    const key = a.name.toLowerCase();
    if (alertNames.has(key)) ctx.addIssue({ code: 'custom', path: ['alerts', i, 'name'], message: `duplicate alert ${a.name}` });
    alertNames.add(key);
    a.probes?.forEach((pid, j) => {
      if (!probeIds.has(pid)) ctx.addIssue({ code: 'custom', path: ['alerts', i, 'probes', j], message: `unknown probe ${pid}` });
    });
    a.remediations?.forEach((rid, j) => {
      if (!remediationIds.has(rid))
        ctx.addIssue({ code: 'custom', path: ['alerts', i, 'remediations', j], message: `unknown remediation ${rid}` });
    });
  });
  rb.causes.forEach((c, i) => {
    if (!probeIds.has(c.when.probe))
      ctx.addIssue({ code: 'custom', path: ['causes', i, 'when', 'probe'], message: `unknown probe ${c.when.probe}` });
  });
}

/** The cross-references of a runbook, each problem reported at the YAML path it is about. */
function checkReferences(rb: RunbookShape, ctx: Ctx): void {
  const probeIds = checkProbes(rb, ctx);
  const remediationIds = checkRemediations(rb, ctx);
  checkAlertsAndCauses(rb, ctx, probeIds, remediationIds);
}

export const runbookFileSchema = runbookObject.superRefine(checkReferences);

export type RunbookFile = z.output<typeof runbookFileSchema>;
