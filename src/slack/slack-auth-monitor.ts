import type { WebClient } from '@slack/web-api';
import type { CheckResult } from '../http/health';
import type { Logger } from '../logger';

export interface SlackAuthMonitor {
  start(): void;
  stop(): void;
  state(): CheckResult;
}

/**
 * Calls auth.test until it succeeds (backing off to 30 s), then re-checks every 5 minutes
 * so a revoked token turns readiness red. Readiness reads the last answer; it never waits on Slack.
 */
export function createSlackAuthMonitor(client: WebClient, logger: Logger): SlackAuthMonitor {
  let current: CheckResult = { ok: false, reason: 'auth.test has not answered yet' };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failures = 0;

  const check = async () => {
    try {
      const r = await client.auth.test();
      if (!current.ok) logger.info({ team: r.team, botUser: r.user_id }, 'Slack auth OK');
      current = { ok: true };
      failures = 0;
    } catch (err) {
      failures++;
      const code = (err as { data?: { error?: string } }).data?.error;
      current = { ok: false, reason: describe(code, err as Error) };
      logger.warn({ reason: current.reason }, 'Slack auth.test failed');
    }
    if (!stopped) {
      const delay = current.ok ? 5 * 60_000 : Math.min(1_000 * 2 ** Math.min(failures, 5), 30_000);
      timer = setTimeout(() => void check(), delay);
      timer.unref();
    }
  };

  return {
    start: () => void check(),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
    state: () => current,
  };
}

function describe(code: string | undefined, err: Error): string {
  switch (code) {
    case 'invalid_auth':
    case 'not_authed':
      return 'SLACK_BOT_TOKEN was refused by Slack (invalid_auth): copy the Bot User OAuth Token from OAuth & Permissions';
    case 'token_revoked':
    case 'account_inactive':
      return `SLACK_BOT_TOKEN is no longer valid (${code}): reinstall the app and copy the new token`;
    default:
      return `auth.test failed: ${code ?? err.message}`;
  }
}
