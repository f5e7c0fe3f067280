import { placeholdersIn } from '../targets/params-template';
import { SELECTING_KINDS } from '../targets/target-allow';
import type { CatalogProblem, Runbook } from './loader';

/**
 * Targets a label value could pick a thing on without an allow-list saying which: `incident-bot validate` reports
 * them (at run time such probes and actions are refused). A Docker target needs `allow.containers` whenever any
 * probe or action names a container through a label.
 */
export function allowListProblems(runbooks: readonly Runbook[]): CatalogProblem[] {
  const problems: CatalogProblem[] = [];
  for (const rb of runbooks) {
    const uses = [
      ...rb.probes.map((p, i) => ({ where: `probes[${i}]`, what: `probe ${p.id}`, target: p.target, params: p.params as unknown })),
      ...rb.remediations.map((r, i) => ({
        where: `remediations[${i}]`,
        what: `remediation ${r.id}`,
        target: r.target,
        params: r.params as unknown,
      })),
    ];
    for (const use of uses) {
      const t = use.target !== undefined ? rb.targets[use.target] : undefined;
      if (!t || !SELECTING_KINDS.includes(t.kind)) continue;
      const labels = [...placeholdersIn(use.params)];
      if (labels.length === 0) continue;
      if (t.kind === 'docker') {
        if (!t.allow?.containers && labels.some((l) => !t.allow?.labels?.[l])) {
          problems.push({
            file: rb.file,
            path: `targets.${t.name}`,
            message: `${use.what} picks a container by label (${labels.map((l) => `{{${l}}}`).join(', ')}) but docker target ${t.name} has no allow-list: add allow.containers (names, or a pattern with a container label)`,
          });
        }
        continue;
      }
      for (const l of labels) {
        if (t.allow?.labels?.[l]) continue;
        problems.push({
          file: rb.file,
          path: `targets.${t.name}`,
          message: `${use.what} picks by label {{${l}}} but ${t.kind} target ${t.name} has no allow-list for it: add allow.labels.${l} (the values, or { pattern })`,
        });
      }
    }
  }
  return problems;
}
