#!/usr/bin/env node
/**
 * `incident-bot` — the catalog and the diagnosis engine from a terminal.
 *
 *   incident-bot validate [--strict]               check the catalog and the templates; exit 1 with every problem
 *                                                  (--strict: also unset targets and assumed metrics)
 *   incident-bot runbooks                          list runbooks: title, alerts, probe count
 *   incident-bot diagnose <Alert> [k=v ...] [--json] [--timeout=ms]
 *                                                  run the alert's probes; exit 0 all OK, 1 WARN/CRIT, 2 usage
 *                                                  error, 3 nothing could run (targets unset or unreachable)
 *   incident-bot schema                            print the catalog's JSON Schema
 *   incident-bot postmortem <INC-ID> [--new]       print the incident's post-mortem draft (Markdown)
 *   incident-bot stats [7d|30d|90d] [--json]       the incident report: counts, MTTA/MTTR, SLA breaches, follow-ups
 */
import pino from 'pino';
import { ConfigError, loadConfig, secretsOf, type Config } from './config';
import { createLogger } from './logger';
import { formatDiagnosisText, labelsOfAlert, runDiagnosis } from './diagnosis';
import { closestMatches } from './closest-match';
import { formatTemplateProblem, validateTemplates } from './incidents/templates';
import { validatePostmortemTemplate } from './postmortem';
import { runPostmortemCli } from './postmortem/postmortem-cli';
import { DataDirInUseError } from './data-dir-lock';
import { runStatsCli } from './reports/stats-cli';
import {
  allowListProblems,
  assumedProbes,
  CatalogError,
  catalogJsonSchemaText,
  catalogSecrets,
  findAlert,
  formatProblem,
  loadCatalog,
  type Catalog,
  type CatalogOptions,
  type AlertEntry,
  type Runbook,
} from './runbooks';
import { unapprovableReason } from './remediations/approval-policy';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

type Env = NodeJS.ProcessEnv;

const USAGE = `usage: incident-bot <command>

  validate [--strict]                        check the runbook catalog (COMMANDS_DIR, COMMANDS_OVERLAY_DIR) and
                                             templates (TEMPLATES_DIR); --strict also fails on unset targets and
                                             assumed metrics
  runbooks                                   list the runbooks
  diagnose <Alert> [label=value ...] [--json] [--timeout=<ms>]
                                             run the alert's diagnostic probes (diagnose <Alert> --help: its labels)
                                             exit 0 all OK, 1 WARN/CRIT, 2 usage error, 3 nothing could run
  schema                                     print the catalog JSON Schema
  postmortem <INC-ID> [--new]                print the incident's post-mortem draft (Markdown)
  stats [7d|30d|90d] [--json]                the incident report: incidents by severity, MTTA and MTTR (median,
                                             p90), SLA breaches, top alerts, open and overdue follow-ups
`;

/**
 * One check run by `incident-bot validate` (catalog, templates): it returns its problems as readable lines.
 */
export interface ValidateCheck {
  name: string;
  /** `strictProblems`: what only `validate --strict` counts as failures (unset targets, assumed metrics). */
  run(config: Config, env: Env): Promise<{ problems: string[]; notes: string[]; strictProblems?: string[] }>;
}

export function catalogOptions(config: Config): CatalogOptions {
  return { overlayDir: config.commandsOverlayDir, runbooksBaseUrl: config.runbooksBaseUrl };
}

const catalogCheck: ValidateCheck = {
  name: 'catalog',
  async run(config, env) {
    try {
      const catalog = await loadCatalog(config.commandsDir, env, catalogOptions(config));
      const alerts = catalog.runbooks.reduce((n, r) => n + r.alerts.length, 0);
      const probes = catalog.runbooks.reduce((n, r) => n + r.probes.length, 0);
      const unset = [...new Set(catalog.runbooks.flatMap((r) => Object.values(r.targets).flatMap((t) => t.missing)))].sort();
      const unscoped = allowListProblems(catalog.runbooks);
      if (unscoped.length) return { problems: unscoped.map(formatProblem), notes: [] };
      const assumed = assumedProbes(catalog);
      const noLink = catalog.runbooks.filter((r) => !r.link).map((r) => r.id);
      const noContact = [
        ...new Set(catalog.runbooks.flatMap((r) => r.contacts.filter((c) => c.ids.length === 0).map((c) => c.variable))),
      ].sort();
      return {
        problems: [],
        notes: [
          `catalog ok: ${catalog.runbooks.length} runbooks, ${alerts} alerts, ${probes} probes (${config.commandsDir}${config.commandsOverlayDir ? ` + overlay ${config.commandsOverlayDir}` : ''})`,
          ...(unset.length ? [`not configured (probes on these targets will say so): ${unset.join(', ')}`] : []),
          ...(assumed.length
            ? [
                `assumed metrics (${assumed.length}; the runbooks do not name them: replace them in an overlay, COMMANDS_OVERLAY_DIR):`,
                ...assumed.map((a) => `  ${a.runbook}/${a.probe}: ${a.query}`),
              ]
            : []),
          ...(noLink.length ? [`no runbook link (set RUNBOOKS_BASE_URL or a link in an overlay): ${noLink.join(', ')}`] : []),
          ...(noContact.length ? [`contacts not configured (escalation pages only ESCALATION_Ln for them): ${noContact.join(', ')}`] : []),
        ],
        strictProblems: [
          ...(unset.length ? [`targets not configured: ${unset.join(', ')}`] : []),
          ...assumed.map((a) => `assumed metric ${a.runbook}/${a.probe}`),
        ],
      };
    } catch (err) {
      if (err instanceof CatalogError) return { problems: err.problems.map(formatProblem), notes: [] };
      throw err;
    }
  },
};

const templatesCheck: ValidateCheck = {
  name: 'templates',
  async run(config) {
    const problems = [...(await validateTemplates(config.templatesDir)), ...(await validatePostmortemTemplate(config.templatesDir))];
    return problems.length
      ? { problems: problems.map(formatTemplateProblem), notes: [] }
      : { problems: [], notes: [`templates ok (${config.templatesDir})`] };
  },
};

/** Who may approve each risk level the catalog uses; high-risk actions nobody may approve are named. */
const rolesCheck: ValidateCheck = {
  name: 'roles',
  async run(config, env) {
    let catalog: Catalog;
    try {
      catalog = await loadCatalog(config.commandsDir, env, catalogOptions(config));
    } catch (err) {
      if (err instanceof CatalogError) return { problems: [], notes: [] }; // the catalog check reports it
      throw err;
    }
    const notes: string[] = [];
    const entries = catalog.runbooks.flatMap((r) => r.remediations.map((e) => ({ name: `${r.id}/${e.id}`, entry: e })));
    for (const risk of ['low', 'medium'] as const) {
      const unnamed = entries.filter(({ entry }) => entry.risk === risk && !entry.approvers);
      if (unnamed.length && !config.roles.approvers[risk]) {
        notes.push(
          `approvers for ${risk} risk are not configured: anyone but the requester may approve ${unnamed.length} remediation${unnamed.length === 1 ? '' : 's'} (set REMEDIATION_APPROVERS_${risk.toUpperCase()} to narrow it)`,
        );
      }
    }
    const stuck = entries.filter(({ entry }) =>
      unapprovableReason({ title: entry.title, risk: entry.risk, declaration: entry }, config.roles.approvers),
    );
    if (stuck.length) {
      notes.push(
        `warning: approvers for high risk are not configured: nobody can approve ${stuck.map((s) => s.name).join(', ')}, nor a broad or P0 "Silence 1 h" (set REMEDIATION_APPROVERS_HIGH to the on-call or responder user group, or give these entries approvers:)`,
      );
    } else if (!config.roles.approvers.high) {
      notes.push('warning: REMEDIATION_APPROVERS_HIGH is not set: nobody can approve a broad or P0 "Silence 1 h" from an alert');
    }
    return { problems: [], notes };
  },
};

export const VALIDATE_CHECKS: ValidateCheck[] = [catalogCheck, templatesCheck, rolesCheck];

/** Exit codes of `diagnose` (scripts rely on them). */
export const EXIT = { ok: 0, problems: 1, usage: 2, nothingRan: 3 } as const;

export async function main(argv: string[], env: Env, io: CliIo, checks: ValidateCheck[] = VALIDATE_CHECKS): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'schema') {
    io.stdout(catalogJsonSchemaText());
    return 0;
  }
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    (command ? io.stdout : io.stderr)(USAGE);
    return command ? 0 : EXIT.usage;
  }
  if (command === 'postmortem') return runPostmortemCli(rest, { env, stdout: io.stdout, stderr: io.stderr });
  if (command === 'stats') return runStatsCli(rest, { env, stdout: io.stdout, stderr: io.stderr });
  if (command === 'diagnose') return diagnose(rest, env, io);
  if (!['validate', 'runbooks'].includes(command)) {
    io.stderr(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const strict = rest.includes('--strict');
  const unknownOption = rest.find((a) => a !== '--strict' || command !== 'validate');
  if (unknownOption) {
    io.stderr(`unknown argument ${JSON.stringify(unknownOption)}\n\n${USAGE}`);
    return EXIT.usage;
  }
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`${err.message}\n`);
      return 1;
    }
    throw err;
  }

  if (command === 'validate') {
    let failed = false;
    for (const check of checks) {
      const { problems, notes, strictProblems = [] } = await check.run(config, env);
      for (const n of notes) io.stdout(`${n}\n`);
      const counted = strict ? [...problems, ...strictProblems] : problems;
      if (counted.length) {
        failed = true;
        io.stderr(`${check.name}: ${counted.length} problem${counted.length === 1 ? '' : 's'}\n${counted.map((p) => `  ${p}\n`).join('')}`);
      }
    }
    return failed ? 1 : 0;
  }

  let catalog: Catalog;
  try {
    catalog = await loadCatalog(config.commandsDir, env, catalogOptions(config));
  } catch (err) {
    if (err instanceof CatalogError) {
      io.stderr(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  for (const r of catalog.runbooks) {
    io.stdout(
      `${r.title} (${r.id}, ${r.probes.length} probes)\n  ${r.link ?? '(no runbook link configured)'}\n  alerts: ${r.alerts.map((a) => `${a.name} [${a.severity}]`).join(', ')}\n`,
    );
  }
  return 0;
}

/** `diagnose`: every failure is reported with an exit code a script can branch on, and as JSON with --json. */
async function diagnose(args: string[], env: Env, io: CliIo): Promise<number> {
  const json = args.includes('--json');
  const help = args.includes('--help') || args.includes('-h');
  const fail = (code: number, kind: string, message: string, extra: Record<string, unknown> = {}): number => {
    if (json) io.stdout(`${JSON.stringify({ error: { kind, message, ...extra } }, null, 2)}\n`);
    else io.stderr(`${message}\n`);
    return code;
  };
  const { timeoutMs, positional, unknownOption } = diagnoseOptions(args);
  if (unknownOption !== undefined) return fail(EXIT.usage, 'usage', `unknown option ${unknownOption}\n\n${USAGE}`);
  const [alertName, ...pairs] = positional;
  if (!alertName) {
    if (help) {
      io.stdout(USAGE);
      return EXIT.ok;
    }
    return fail(EXIT.usage, 'usage', `diagnose needs an alert name\n\n${USAGE}`);
  }
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(pair);
    if (!m) return fail(EXIT.usage, 'usage', `expected label=value, got ${JSON.stringify(pair)}`);
    labels[m[1] as string] = m[2] as string;
  }
  let config: Config;
  let catalog: Catalog;
  try {
    config = loadConfig(env);
    catalog = await loadCatalog(config.commandsDir, env, catalogOptions(config));
  } catch (err) {
    if (err instanceof ConfigError) return fail(EXIT.nothingRan, 'config', err.message, { problems: err.problems });
    if (err instanceof CatalogError) return fail(EXIT.nothingRan, 'catalog', err.message, { problems: err.problems.map(formatProblem) });
    throw err;
  }
  const hit = findAlert(catalog, alertName);
  if (!hit.found) {
    return fail(
      EXIT.usage,
      'unknown_alert',
      `unknown alert ${JSON.stringify(alertName)}${hit.suggestions.length ? `; did you mean ${hit.suggestions.join(', ')}?` : ''}`,
      {
        suggestions: hit.suggestions,
      },
    );
  }
  const known = labelsOfAlert(hit.runbook, hit.alert);
  if (help) {
    io.stdout(
      json
        ? `${JSON.stringify({ alert: hit.alert.name, severity: hit.alert.severity, labels: known }, null, 2)}\n`
        : alertUsage(hit, known),
    );
    return EXIT.ok;
  }
  for (const name of Object.keys(labels)) {
    if (known.includes(name)) continue;
    const near = closestMatches(name, known, 1);
    return fail(
      EXIT.usage,
      'unknown_label',
      `${hit.alert.name} uses no label ${JSON.stringify(name)}${near.length ? `: did you mean ${near[0]}?` : ''} (${known.length ? `its labels: ${known.join(', ')}` : 'it takes no labels'})`,
      { label: name, suggestions: near, labels: known },
    );
  }
  const logger = createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    secrets: [...secretsOf(config), ...catalogSecrets(catalog)],
    destination: pino.destination({ dest: 2, sync: true }),
  });
  const result = await runDiagnosis({ runbook: hit.runbook, alert: hit.alert, labels, logger, probeTimeoutMs: timeoutMs });
  io.stdout(json ? `${JSON.stringify(result, null, 2)}\n` : formatDiagnosisText(result));
  if (result.probes.some((p) => p.status === 'warn' || p.status === 'crit')) return EXIT.problems;
  if (result.probes.every((p) => p.status === 'unknown')) return EXIT.nothingRan;
  return EXIT.ok;
}

/** `diagnose`'s options (--json and --help are read by the caller) and its positional arguments, up to an unknown option. */
function diagnoseOptions(args: string[]): { timeoutMs: number | undefined; positional: string[]; unknownOption?: string } {
  let timeoutMs: number | undefined;
  const positional: string[] = [];
  for (const arg of args) {
    if (arg === '--json' || arg === '--help' || arg === '-h') continue;
    const t = /^--timeout=(\d+)$/.exec(arg);
    if (t) {
      timeoutMs = Number(t[1]);
      continue;
    }
    if (arg.startsWith('-')) return { timeoutMs, positional, unknownOption: arg };
    positional.push(arg);
  }
  return { timeoutMs, positional };
}

/** `diagnose <alert> --help`: the alert's labels and probes. */
function alertUsage(hit: { runbook: Runbook; alert: AlertEntry }, known: string[]): string {
  return `usage: incident-bot diagnose ${hit.alert.name}${known.map((l) => ` [${l}=<value>]`).join('')} [--json] [--timeout=<ms>]\n\n${hit.alert.name} (${hit.alert.severity}) — ${hit.runbook.title}\n${known.length ? `labels: ${known.join(', ')} (a probe or action that needs one is skipped without it)` : 'labels: none'}\nprobes: ${(hit.alert.probes ?? hit.runbook.probes.map((p) => p.id)).join(', ')}\n`;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // A DATA_DIR held by a running bot or playground is the user's situation to resolve, not a bug: no stack.
      const known = err instanceof DataDirInUseError;
      process.stderr.write(`incident-bot: ${known ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
      process.exitCode = 1;
    },
  );
}
