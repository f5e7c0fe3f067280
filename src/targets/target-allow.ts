import { z } from 'zod';
import { placeholdersIn, SAFE_LABEL_VALUE } from './params-template';
import type { LabelAllowRule, ResolvedTarget, TargetAllow, TargetKind } from './target';

/**
 * What a label value may select on a target. A label value never chooses a container, file, key, role or URL by
 * itself: it must be one the catalog names (an explicit list, or a pattern), and for Docker the container must also
 * carry the label the catalog requires. Prometheus and Alertmanager targets are only queried with escaped label
 * values, so they need no allow-list.
 *
 * @example
 *   targets:
 *     docker:
 *       kind: docker
 *       socket: ${DOCKER_HOST}
 *       allow:
 *         containers: { pattern: '^worker-[a-z]+$', label: incident-bot.target=worker }
 *     shared:
 *       kind: files
 *       root: ${WORKERS_SHARED_DIR}
 *       allow:
 *         labels: { worker: [marie, anga, fabien] }
 */
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

const regexString = z
  .string()
  .min(1)
  .refine((p) => {
    try {
      new RegExp(p);
      return true;
    } catch {
      return false;
    }
  }, 'is not a valid regular expression');

/** `${WORKER_NAMES}` in a list: the comma-separated values of that variable (the configuration names them). */
export const ENV_LIST_ITEM = /^\$\{([A-Z_][A-Z0-9_]*)\}$/;

const labelRule = z.union([
  z
    .array(
      z
        .string()
        .refine(
          (v) => SAFE_LABEL_VALUE.test(v) || ENV_LIST_ITEM.test(v),
          'must be a label value (letters, digits, _ . : @ / -) or a ${ENV_NAME} list',
        ),
    )
    .min(1),
  z.object({ pattern: regexString }).strict(),
]);

const containerRule = z
  .object({
    /** Container names a label may select. */
    names: z
      .array(
        z.string().refine((v) => DOCKER_NAME.test(v) || ENV_LIST_ITEM.test(v), 'must be a Docker container name or a ${ENV_NAME} list'),
      )
      .min(1)
      .optional(),
    /** Or: names matching this regular expression (whole name)… */
    pattern: regexString.optional(),
    /** …carrying this container label (`key=value`); when set, every selected container must carry it. */
    label: z
      .string()
      .regex(/^[A-Za-z0-9_./-]+=\S*$/, 'must be key=value, e.g. incident-bot.target=worker')
      .optional(),
  })
  .strict()
  .refine((c) => c.names !== undefined || c.pattern !== undefined, 'name the containers (names) or give a pattern')
  .refine((c) => c.pattern === undefined || c.label !== undefined, {
    message: 'a name pattern needs a container label too (label: key=value)',
    path: ['label'],
  });

export const targetAllowSchema = z
  .object({
    /** Per label: the values that may select something on this target (a list, or `{ pattern }`). */
    labels: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), labelRule).optional(),
    /** Docker targets: the containers a label may select. */
    containers: containerRule.optional(),
  })
  .strict();

export type { TargetAllow };
type LabelRule = LabelAllowRule;
type ContainerRule = NonNullable<TargetAllow['containers']>;

/**
 * Replaces `${VAR}` items of the lists with the variable's comma-separated values (unset: nothing; a value that is not
 * a valid label value or container name is dropped and reported).
 */
export function resolveAllowEnv(
  allow: TargetAllow,
  env: Readonly<Record<string, string | undefined>>,
): { allow: TargetAllow; invalid: string[] } {
  const invalid: string[] = [];
  const expand = (items: string[], valid: RegExp): string[] =>
    items.flatMap((item) => {
      const name = ENV_LIST_ITEM.exec(item)?.[1];
      if (!name) return [item];
      return (env[name] ?? '')
        .split(/[\s,]+/)
        .filter((v) => v !== '')
        .filter((v) => valid.test(v) || (invalid.push(`${name}: ${JSON.stringify(v)}`), false));
    });
  const labels = allow.labels
    ? Object.fromEntries(Object.entries(allow.labels).map(([k, rule]) => [k, Array.isArray(rule) ? expand(rule, SAFE_LABEL_VALUE) : rule]))
    : undefined;
  const containers = allow.containers
    ? { ...allow.containers, ...(allow.containers.names ? { names: expand(allow.containers.names, DOCKER_NAME) } : {}) }
    : undefined;
  return { allow: { ...(labels ? { labels } : {}), ...(containers ? { containers } : {}) }, invalid };
}

/** Target kinds whose probes and actions pick a thing (container, file, key, role, URL) by label. */
export const SELECTING_KINDS: readonly TargetKind[] = ['docker', 'files', 'redis', 'postgres', 'http'];

function fullMatch(pattern: string, value: string): boolean {
  return new RegExp(`^(?:${pattern})$`).test(value);
}

function ruleAllows(rule: LabelRule, value: string): boolean {
  return Array.isArray(rule) ? rule.includes(value) : fullMatch(rule.pattern, value);
}

function describeRule(rule: LabelRule): string {
  if (!Array.isArray(rule)) return `values matching ^${rule.pattern}$`;
  return rule.length ? rule.join(', ') : 'none';
}

export function describeContainerRule(rule: ContainerRule): string {
  const parts = [...(rule.names ?? [])];
  if (rule.pattern) parts.push(`names matching ^${rule.pattern}$`);
  return `${parts.join(', ')}${rule.label ? ` (with the container label ${rule.label})` : ''}`;
}

/**
 * Why these label values may not be used with this target's params, or undefined when every label the params use is
 * on the target's allow-list. Docker targets with `allow.containers` are checked by name instead
 * (`containerNameRefusal`), so their labels need no list. `declared` holds values the catalog names elsewhere (an
 * alert's `eachLabel` list, seed 004's workers), which are allowed as well.
 */
export function labelSelectionRefusal(
  target: ResolvedTarget | undefined,
  params: unknown,
  labels: Readonly<Record<string, string>>,
  declared: Readonly<Record<string, readonly string[]>> = {},
): string | undefined {
  if (!target || !SELECTING_KINDS.includes(target.kind)) return undefined;
  if (target.kind === 'docker' && target.allow?.containers) return undefined;
  for (const name of placeholdersIn(params)) {
    const value = labels[name];
    if (value === undefined || declared[name]?.includes(value)) continue;
    const rule = target.allow?.labels?.[name];
    if (!rule)
      return `target ${target.name} has no allow-list for label ${name}: the catalog must name what ${name} may select (targets.${target.name}.allow.labels.${name})`;
    if (!ruleAllows(rule, value)) return `${name}=${value} is not allowed on target ${target.name} (allowed: ${describeRule(rule)})`;
  }
  return undefined;
}

/** Before touching a container: is this name one the target allows? (The container label is checked after inspect.) */
export function containerNameRefusal(
  target: ResolvedTarget | undefined,
  template: string,
  name: string,
  labels: Readonly<Record<string, string>>,
): string | undefined {
  const rule = target?.allow?.containers;
  if (!rule) {
    if (placeholdersIn(template).size === 0) return undefined;
    return labelSelectionRefusal(target, template, labels);
  }
  if (rule.names?.includes(name) || (rule.pattern !== undefined && fullMatch(rule.pattern, name))) return undefined;
  return `container ${name} is not allowed on target ${target?.name} (allowed: ${describeContainerRule(rule)})`;
}

/** After inspect: does the container carry the label the allow-list requires? */
export function containerLabelRefusal(
  target: ResolvedTarget | undefined,
  name: string,
  containerLabels: Readonly<Record<string, string>> | null | undefined,
): string | undefined {
  const rule = target?.allow?.containers;
  if (!rule?.label) return undefined;
  const eq = rule.label.indexOf('=');
  const key = rule.label.slice(0, eq);
  const value = rule.label.slice(eq + 1);
  if (containerLabels?.[key] === value) return undefined;
  return `container ${name} does not carry the label ${rule.label}: refused (allowed: ${describeContainerRule(rule)})`;
}
