/** Kinds of target a catalog can declare; each names the fields that take `${ENV}` references. */
export const TARGET_FIELDS = {
  prometheus: ['url'],
  alertmanager: ['url'],
  http: ['url'],
  postgres: ['connection'],
  redis: ['url'],
  docker: ['socket'],
  files: ['root'],
} as const;

export type TargetKind = keyof typeof TARGET_FIELDS;

/** Values a label may take on a target: a list, or a regular expression the whole value must match. */
export type LabelAllowRule = string[] | { pattern: string };

/** A target's `allow:` block (validated by `targetAllowSchema` in `target-allow.ts`). */
export interface TargetAllow {
  labels?: Record<string, LabelAllowRule>;
  /** Docker: container names, or a name pattern plus a container label (`key=value`) every selected container carries. */
  containers?: { names?: string[]; pattern?: string; label?: string };
}

/** A catalog target after `${ENV}` resolution. `missing` lists the unset variables. */
export interface ResolvedTarget {
  name: string;
  kind: TargetKind;
  values: Record<string, string>;
  missing: string[];
  /** What label values may select on this target (`allow:` in the catalog); see `target-allow.ts`. */
  allow?: TargetAllow;
}
