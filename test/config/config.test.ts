import path from 'node:path';
import { ConfigError, loadConfig, secretsOf } from '../../src/config';

describe('loadConfig', () => {
  it('applies the documented defaults with nothing set', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, slack: undefined, databaseUrl: undefined, redisUrl: undefined, logLevel: 'info' });
    expect(c.dataDir).toBe(path.resolve('./data'));
    expect(c.commandsDir).toBe(path.resolve('./commands'));
    expect(c.templatesDir).toBe(path.resolve('./templates'));
  });

  it('selects HTTP mode with a bot token and signing secret, Socket Mode with an app token', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).slack?.mode).toBe('http');
    const socket = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', SLACK_API_URL: 'http://127.0.0.1:9/api' });
    expect(socket.slack?.mode).toBe('socket');
    expect(socket.slack?.apiUrl).toBe('http://127.0.0.1:9/api/');
  });

  it('names every bad variable and what to do, without echoing values', () => {
    let err: unknown;
    try {
      loadConfig({ SLACK_BOT_TOKEN: 'xoxp-secret-user-token', PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).toMatch(/SLACK_BOT_TOKEN must be a bot token starting with xoxb-/);
    expect(msg).toMatch(/SLACK_SIGNING_SECRET is required with SLACK_BOT_TOKEN/);
    expect(msg).toMatch(/PORT must be a TCP port number/);
    expect(msg).toMatch(/DATABASE_URL must be a postgres:\/\/ URL/);
    expect(msg).toMatch(/LOG_LEVEL must be one of/);
    expect(msg).not.toContain('xoxp-secret-user-token');
  });

  it('checks the catalog overlay directory and the runbook base URL', () => {
    expect(loadConfig({ COMMANDS_OVERLAY_DIR: __dirname, RUNBOOKS_BASE_URL: 'https://wiki.corp.internal/rb' })).toMatchObject({
      commandsOverlayDir: __dirname,
      runbooksBaseUrl: 'https://wiki.corp.internal/rb',
    });
    expect(() => loadConfig({ COMMANDS_OVERLAY_DIR: path.join(__dirname, 'no-such-dir') })).toThrow(
      /COMMANDS_OVERLAY_DIR must be an existing directory/,
    );
    expect(() => loadConfig({ COMMANDS_OVERLAY_DIR: __filename })).toThrow(/COMMANDS_OVERLAY_DIR must be an existing directory/);
    expect(() => loadConfig({ RUNBOOKS_BASE_URL: 'https://runbooks.example.com' })).toThrow(/RUNBOOKS_BASE_URL is a placeholder domain/);
    expect(() => loadConfig({ RUNBOOKS_BASE_URL: 'wiki' })).toThrow(/RUNBOOKS_BASE_URL must be a URL/);
  });

  it('reads the alert intake settings: Alertmanager URL, webhook routes and escalation levels', () => {
    const c = loadConfig({
      ALERTMANAGER_URL: 'http://alertmanager:9093',
      ALERTMANAGER_ROUTES: '[{"match":{"team":"memory"},"channel":"C123"},{"channel":"C0DEFAULT"}]',
      ESCALATION_L1: 'S0ONCALL, U0LEAD01',
      ESCALATION_L3: 'W0MANAGER',
    });
    expect(c.alertmanagerUrl).toBe('http://alertmanager:9093');
    expect(c.alertRoutes).toEqual([{ match: { team: 'memory' }, channel: 'C123' }, { channel: 'C0DEFAULT' }]);
    expect(c.escalationTargets).toEqual({ L1: ['S0ONCALL', 'U0LEAD01'], L3: ['W0MANAGER'] });
    expect(loadConfig({}).escalationTargets).toEqual({});

    let err: unknown;
    try {
      loadConfig({
        ALERTMANAGER_URL: 'alertmanager:9093',
        ALERTMANAGER_ROUTES: '[{"channel":"#alerts"}]',
        ESCALATION_L2: 'S0ONCALL,@lead',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).toMatch(/ALERTMANAGER_URL must be an http\(s\) URL of Alertmanager/);
    expect(msg).toContain('ALERTMANAGER_ROUTES[0]["channel"] must be a Slack channel id such as C0123ABCD (not a #name)');
    expect(msg).toContain('ESCALATION_L2 must list Slack user (U…) or user-group (S…) ids separated by commas; not ids: "@lead"');
    expect(() => loadConfig({ ALERTMANAGER_ROUTES: '{routes' })).toThrow(/ALERTMANAGER_ROUTES is not JSON \(.+\): write e\.g\. \[/);
  });

  it('reads the severity channels by id: CRITICAL_CHANNEL for P0, ALERTS_CHANNEL for P1', () => {
    expect(loadConfig({ CRITICAL_CHANNEL: 'C0CRITICAL', ALERTS_CHANNEL: 'G0ALERTS' }).severityChannels).toEqual({
      P0: 'C0CRITICAL',
      P1: 'G0ALERTS',
    });
    expect(loadConfig({}).severityChannels).toEqual({});
    expect(() => loadConfig({ CRITICAL_CHANNEL: '#continuous-claude-critical' })).toThrow(
      /CRITICAL_CHANNEL must be a Slack channel id such as C0123ABCD \(not a #name\): P0/,
    );
    expect(() => loadConfig({ ALERTS_CHANNEL: 'alerts' })).toThrow(/ALERTS_CHANNEL must be a Slack channel id/);
  });

  it('asks for the bot token when only a signing secret is set', () => {
    expect(() => loadConfig({ SLACK_SIGNING_SECRET: 'abc' })).toThrow(/SLACK_BOT_TOKEN is required/);
  });

  it('reads LOG_PRETTY as forced on, forced off, or unset (decided by whether stdout is a terminal)', () => {
    expect(loadConfig({ LOG_PRETTY: '1' }).logPretty).toBe(true);
    expect(loadConfig({ LOG_PRETTY: 'false' }).logPretty).toBe(false);
    expect(loadConfig({}).logPretty).toBeUndefined();
    expect(() => loadConfig({ LOG_PRETTY: 'yes' })).toThrow(/LOG_PRETTY must be 1 or true/);
  });

  it('lists tokens and connection passwords as secrets', () => {
    const c = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-abc',
      SLACK_SIGNING_SECRET: 'sig',
      DATABASE_URL: 'postgres://bot:p%40ss@db/incidents',
      REDIS_URL: 'redis://:redispw@cache:6379',
    });
    expect(secretsOf(c).sort()).toEqual(['p@ss', 'redispw', 'sig', 'xoxb-abc'].sort());
  });

  it('reads the security settings and refuses values that would open more than intended', () => {
    const c = loadConfig({
      ALERTMANAGER_WEBHOOK_TOKEN: 'a-long-enough-webhook-token',
      REMEDIATION_REQUESTERS_HIGH: 'S0ONCALL',
      REMEDIATION_APPROVERS_HIGH: 'S0RESPONDERS, U0LEAD01',
      APPROVALS_CHANNEL: 'C0APPROVALS',
    });
    expect(c.roles).toEqual({
      requesters: { high: { users: [], usergroups: ['S0ONCALL'] } },
      approvers: { high: { users: ['U0LEAD01'], usergroups: ['S0RESPONDERS'] } },
    });
    expect(c.approvalsChannel).toBe('C0APPROVALS');
    expect(secretsOf(c)).toContain('a-long-enough-webhook-token');
    expect(loadConfig({}).playgroundUseShellEnv).toBe(false);
    let err: unknown;
    try {
      loadConfig({
        ALERTMANAGER_WEBHOOK_TOKEN: 'short',
        REMEDIATION_APPROVERS_HIGH: 'oncall-team',
        APPROVALS_CHANNEL: '#approvals',
        ALERT_SENDERS: 'W0PERSON',
      });
    } catch (e) {
      err = e;
    }
    const msg = (err as Error).message;
    expect(msg).toMatch(/ALERTMANAGER_WEBHOOK_TOKEN must be at least 16 characters/);
    expect(msg).toMatch(/REMEDIATION_APPROVERS_HIGH must list Slack user ids/);
    expect(msg).toMatch(/APPROVALS_CHANNEL must be a Slack channel id/);
    expect(msg).toMatch(/ALERT_SENDERS lists bot ids/);
    expect(msg).not.toContain('short');
  });
});
