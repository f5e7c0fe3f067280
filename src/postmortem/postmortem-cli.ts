import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { systemClock, type Clock } from '../clock';
import { ConfigError, loadConfig, secretsOf } from '../config';
import { BotError } from '../errors';
import { createIncidentService } from '../incidents/incident-service';
import { createLogger, type Logger } from '../logger';
import { createIncidentStore } from '../store/incident-store';
import type { Database } from '../domain/database';
import { openDatabase } from '../store/database';
import { migrate } from '../store/migrate';
import { createPostmortemStore } from '../store/postmortem-store';
import { createTimelineStore } from '../store/timeline-store';
import { loadPostmortemTemplate } from './postmortem-template';
import { createPostmortemService, type PostmortemService } from './postmortem-service';
import type { ThreadReader } from './thread-reader';

export const POSTMORTEM_CLI_USAGE = `usage: incident-bot postmortem <INC-ID> [--new]

  Prints the incident's latest post-mortem draft (Markdown) on stdout:
    incident-bot postmortem INC-20260111100200 > report.md
  With no stored draft, or with --new, makes a new version from the recorded timeline first
  (the Slack thread is read by /incident postmortem in Slack).
`;

export interface PostmortemCliIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr?: (text: string) => void;
  clock?: Clock;
  /** Reads the Slack thread for a new draft (the CLI has none by default: the core does not import Slack). */
  threadReader?: ThreadReader;
}

/**
 * `incident-bot postmortem <INC-ID> [--new]`; resolves with the exit code (0 printed, 1 error).
 *
 * @example
 *   // src/cli.ts
 *   if (command === 'postmortem') return runPostmortemCli(rest, { env, stdout: io.stdout, stderr: io.stderr });
 */
export async function runPostmortemCli(args: string[], io: PostmortemCliIo): Promise<number> {
  const stderr = io.stderr ?? ((t: string) => process.stderr.write(t));
  const fresh = args.includes('--new');
  const positional = args.filter((a) => a !== '--new');
  const unknown = positional.find((a) => a.startsWith('-'));
  if (unknown || positional.length !== 1) {
    stderr(`${unknown ? `unknown option ${unknown}\n\n` : positional.length ? 'give one incident ID\n\n' : ''}${POSTMORTEM_CLI_USAGE}`);
    return 1;
  }
  let config;
  try {
    config = loadConfig(io.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      stderr(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  // Logs go to stderr so that stdout is the report alone.
  const logger = createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    secrets: secretsOf(config),
    destination: pino.destination({ dest: 2, sync: true }),
  });
  let template;
  try {
    template = await loadPostmortemTemplate(config.templatesDir);
  } catch (err) {
    if (err instanceof BotError) {
      stderr(`${err.userMessage}\n`);
      return 1;
    }
    throw err;
  }
  const where = config.databaseUrl ? { dataDir: config.dataDir } : findEmbeddedDatabase(config.dataDir);
  if ('problem' in where) {
    stderr(`${where.problem}\n`);
    return 1;
  }
  if (where.note) stderr(`${where.note}\n`);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: where.dataDir, logger });
  try {
    await migrate(db, logger);
    const service = postmortemService(db, io, template, logger);
    const id = positional[0]!;
    if (fresh) {
      const made = await service.draft(id, { actor: 'cli' });
      stderr(`stored draft v${made.version} of ${made.incident.id}${made.stats.threadProblem ? ` (${made.stats.threadProblem})` : ''}\n`);
      io.stdout(made.markdown);
      return 0;
    }
    const out = await service.export(id, { actor: 'cli' });
    if (out.created) stderr(`no draft was stored for ${id.toUpperCase()}: made v${out.version} from the recorded timeline\n`);
    io.stdout(out.markdown);
    return 0;
  } catch (err) {
    if (err instanceof BotError) {
      const hint = err.code === 'NOT_FOUND' && !config.databaseUrl ? playgroundHint(config.dataDir, where.dataDir, positional[0]!) : '';
      stderr(`${err.userMessage}${hint}\n`);
      return 1;
    }
    throw err;
  } finally {
    await db.close();
  }
}

/** The post-mortem service over the database, without Slack (a thread reader only if the caller gives one). */
function postmortemService(
  db: Database,
  io: PostmortemCliIo,
  template: Awaited<ReturnType<typeof loadPostmortemTemplate>>,
  logger: Logger,
): PostmortemService {
  const clock = io.clock ?? systemClock;
  const incidents = createIncidentService({
    transaction: (fn) => db.transaction(fn),
    incidents: createIncidentStore(db),
    timeline: createTimelineStore(db),
    clock,
  });
  return createPostmortemService({
    incidents,
    drafts: createPostmortemStore(db),
    threadReader: io.threadReader,
    template,
    // Only the Slack summary uses it, and the CLI prints the Markdown: the three characters Slack asks to escape.
    escapeMrkdwn: (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
    clock,
    logger,
  });
}

/** An incident not found in DATA_DIR's embedded database may be in the playground's. */
function playgroundHint(dataDir: string, opened: string, id: string): string {
  const playground = playgroundDatabase(dataDir);
  return opened !== playground && existsSync(path.join(playground, 'pglite'))
    ? `\nThe playground keeps its own database in ${playground}: DATA_DIR=${playground} incident-bot postmortem ${id} (with the playground stopped), or use Download on the draft's card in the playground.`
    : '';
}

/** Where `npm start` without Slack (src/main.ts) keeps the playground's embedded database, under DATA_DIR. */
export function playgroundDatabase(dataDir: string): string {
  return path.join(dataDir, 'playground', 'db');
}

/**
 * The embedded database to read: DATA_DIR's own, or — when DATA_DIR has none and the playground left one — the
 * playground's. The embedded database takes one process at a time, so a running playground is named, not opened.
 */
function findEmbeddedDatabase(dataDir: string): { dataDir: string; note?: string } | { problem: string } {
  const playground = playgroundDatabase(dataDir);
  if (existsSync(path.join(dataDir, 'pglite')) || !existsSync(path.join(playground, 'pglite'))) return { dataDir };
  const pid = runningPlayground(dataDir);
  if (pid !== undefined) {
    return {
      problem: `DATA_DIR (${dataDir}) holds no database; the playground's is ${playground}, and the playground is running (pid ${pid}), which holds it. Open the draft's card in the playground page (Download), or stop the playground (Ctrl-C) and run this again.`,
    };
  }
  return { dataDir: playground, note: `reading the playground's database in ${playground}` };
}

/** The pid of a running playground (its pid file, and a process with that pid), or undefined. */
function runningPlayground(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(dataDir, 'playground', PLAYGROUND_PID_FILE), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM' ? pid : undefined;
  }
}

/** Written by the playground in its data directory while it runs. */
export const PLAYGROUND_PID_FILE = 'playground.pid';
