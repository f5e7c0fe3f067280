#!/usr/bin/env node
/**
 * `incident-bot` — the catalog and the diagnosis engine from a terminal.
 *
 *   incident-bot validate                          check the catalog and the templates; exit 1 with every problem
 *   incident-bot runbooks                          list runbooks: title, alerts, probe count
 *   incident-bot diagnose <Alert> [k=v ...] [--json] [--timeout=ms]
 *                                                  run the alert's probes; exit 0 ok/warn/unknown, 2 crit, 1 error
 *   incident-bot schema                            print the catalog's JSON Schema
 *   incident-bot postmortem <INC-ID> [--new]       print the incident's post-mortem draft (Markdown)
 */
import pino from 'pino';
import { ConfigError, loadConfig, secretsOf, type Config } from './config';
import { createLogger } from './logger';
import { formatDiagnosisText, runDiagnosis } from './diagnosis';
import { formatTemplateProblem, validateTemplates } from './incidents/templates';
import { validatePostmortemTemplate } from './postmortem';
import { runPostmortemCli } from './postmortem/postmortem-cli';
import { CatalogError, catalogJsonSchemaText, findAlert, formatProblem, loadCatalog, type Catalog } from './runbooks';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

type Env = NodeJS.ProcessEnv;

const USAGE = `usage: incident-bot <command>

  validate                                   check the runbook catalog (COMMANDS_DIR) and templates (TEMPLATES_DIR)
  runbooks                                   list the runbooks
  diagnose <Alert> [label=value ...] [--json] [--timeout=<ms>]
                                             run the alert's diagnostic probes
  schema                                     print the catalog JSON Schema
  postmortem <INC-ID> [--new]                print the incident's post-mortem draft (Markdown)
`;

/**
 * One check run by `incident-bot validate` (catalog, templates): it returns its problems as readable lines.
 */
export interface ValidateCheck {
  name: string;
  run(config: Config, env: Env): Promise<{ problems: string[]; notes: string[] }>;
}

const catalogCheck: ValidateCheck = {
  name: 'catalog',
  async run(config, env) {
    try {
      const catalog = await loadCatalog(config.commandsDir, env);
      const alerts = catalog.runbooks.reduce((n, r) => n + r.alerts.length, 0);
      const probes = catalog.runbooks.reduce((n, r) => n + r.probes.length, 0);
      const unset = [...new Set(catalog.runbooks.flatMap((r) => Object.values(r.targets).flatMap((t) => t.missing)))].sort();
      return {
        problems: [],
        notes: [
          `catalog ok: ${catalog.runbooks.length} runbooks, ${alerts} alerts, ${probes} probes (${config.commandsDir})`,
          ...(unset.length ? [`not configured (probes on these targets will say so): ${unset.join(', ')}`] : []),
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

export const VALIDATE_CHECKS: ValidateCheck[] = [catalogCheck, templatesCheck];

export async function main(argv: string[], env: Env, io: CliIo, checks: ValidateCheck[] = VALIDATE_CHECKS): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'schema') {
    io.stdout(catalogJsonSchemaText());
    return 0;
  }
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    (command ? io.stdout : io.stderr)(USAGE);
    return command ? 0 : 1;
  }
  if (command === 'postmortem') return runPostmortemCli(rest, { env, stdout: io.stdout, stderr: io.stderr });
  if (!['validate', 'runbooks', 'diagnose'].includes(command)) {
    io.stderr(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 1;
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
      const { problems, notes } = await check.run(config, env);
      for (const n of notes) io.stdout(`${n}\n`);
      if (problems.length) {
        failed = true;
        io.stderr(`${check.name}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  ${p}\n`).join('')}`);
      }
    }
    return failed ? 1 : 0;
  }

  let catalog: Catalog;
  try {
    catalog = await loadCatalog(config.commandsDir, env);
  } catch (err) {
    if (err instanceof CatalogError) {
      io.stderr(`${err.message}\n`);
      return 1;
    }
    throw err;
  }

  if (command === 'runbooks') {
    for (const r of catalog.runbooks) {
      io.stdout(`${r.title} (${r.id}, ${r.probes.length} probes)\n  ${r.link}\n  alerts: ${r.alerts.map((a) => `${a.name} [${a.severity}]`).join(', ')}\n`);
    }
    return 0;
  }

  // diagnose
  const json = rest.includes('--json');
  let timeoutMs: number | undefined;
  const positional: string[] = [];
  for (const arg of rest) {
    if (arg === '--json') continue;
    const t = /^--timeout=(\d+)$/.exec(arg);
    if (t) {
      timeoutMs = Number(t[1]);
      continue;
    }
    if (arg.startsWith('--')) {
      io.stderr(`unknown option ${arg}\n\n${USAGE}`);
      return 1;
    }
    positional.push(arg);
  }
  const [alertName, ...pairs] = positional;
  if (!alertName) {
    io.stderr(`diagnose needs an alert name\n\n${USAGE}`);
    return 1;
  }
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(pair);
    if (!m) {
      io.stderr(`expected label=value, got ${JSON.stringify(pair)}\n`);
      return 1;
    }
    labels[m[1] as string] = m[2] as string;
  }
  const hit = findAlert(catalog, alertName);
  if (!hit.found) {
    io.stderr(`unknown alert ${JSON.stringify(alertName)}${hit.suggestions.length ? `; did you mean ${hit.suggestions.join(', ')}?` : ''}\n`);
    return 1;
  }
  const logger = createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    secrets: secretsOf(config),
    destination: pino.destination({ dest: 2, sync: true }),
  });
  const result = await runDiagnosis({ runbook: hit.runbook, alert: hit.alert, labels, logger, probeTimeoutMs: timeoutMs });
  io.stdout(json ? `${JSON.stringify(result, null, 2)}\n` : formatDiagnosisText(result));
  return result.status === 'crit' ? 2 : 0;
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
      process.stderr.write(`incident-bot: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
