import pino from 'pino';
import { systemClock, type Clock } from '../clock';
import { ConfigError, loadConfig, secretsOf } from '../config';
import { BotError } from '../errors';
import { createIncidentService } from '../incidents/incident-service';
import { createLogger } from '../logger';
import { createIncidentStore } from '../store/incident-store';
import { openDatabase } from '../store/database';
import { migrate } from '../store/migrate';
import { createPostmortemStore } from '../store/postmortem-store';
import { createTimelineStore } from '../store/timeline-store';
import { loadPostmortemTemplate } from './postmortem-template';
import { createPostmortemService } from './postmortem-service';
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
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  try {
    await migrate(db, logger);
    const clock = io.clock ?? systemClock;
    const incidents = createIncidentService({
      transaction: (fn) => db.transaction(fn),
      incidents: createIncidentStore(db),
      timeline: createTimelineStore(db),
      clock,
    });
    const service = createPostmortemService({
      incidents,
      drafts: createPostmortemStore(db),
      threadReader: io.threadReader,
      template,
      // Only the Slack summary uses it, and the CLI prints the Markdown: the three characters Slack asks to escape.
      escapeMrkdwn: (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
      clock,
      logger,
    });
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
      stderr(`${err.userMessage}\n`);
      return 1;
    }
    throw err;
  } finally {
    await db.close();
  }
}
