import pino from 'pino';
import { systemClock, type Clock } from '../clock';
import { ConfigError, loadConfig, secretsOf } from '../config';
import { createLogger } from '../logger';
import { openDatabase } from '../store/database';
import { migrate } from '../store/migrate';
import { createReportStore } from '../store/report-store';
import { incidentStats, statsText } from './incident-stats';

export const STATS_CLI_USAGE = `usage: incident-bot stats [7d|30d|90d] [--json]

  Prints the incident report of the window (default 30d): incidents by severity, MTTA and MTTR (median, p90),
  SLA breaches, top alerts, open and overdue follow-ups, read from the database (DATABASE_URL or the embedded one).
`;

const WINDOWS = new Set([7, 30, 90]);

/** `incident-bot stats [7d|30d|90d] [--json]`; resolves with the exit code (0 printed, 1 usage or configuration error). */
export async function runStatsCli(
  args: string[],
  io: { env: NodeJS.ProcessEnv; stdout: (t: string) => void; stderr: (t: string) => void; clock?: Clock },
): Promise<number> {
  const json = args.includes('--json');
  const positional = args.filter((a) => a !== '--json');
  const unknown = positional.find((a) => a.startsWith('-'));
  const window = positional[0] ?? '30d';
  const days = Number(/^(\d+)d?$/.exec(window)?.[1]);
  if (unknown || positional.length > 1 || !WINDOWS.has(days)) {
    io.stderr(
      `${unknown ? `unknown option ${unknown}\n\n` : positional.length > 1 ? 'give one window\n\n' : `${JSON.stringify(window)} is not a window\n\n`}${STATS_CLI_USAGE}`,
    );
    return 1;
  }
  let config;
  try {
    config = loadConfig(io.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const logger = createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    secrets: secretsOf(config),
    destination: pino.destination({ dest: 2, sync: true }),
  });
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  try {
    await migrate(db, logger);
    const stats = await incidentStats({ store: createReportStore(db), clock: io.clock ?? systemClock }, days);
    io.stdout(json ? `${JSON.stringify(stats, null, 2)}\n` : `${statsText(stats)}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
