import { statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { alertRoutesSchema, type AlertRoute } from './domain/alert-route';
import type { Approvers } from './domain/remediation-declaration';
import type { Risk } from './domain/remediation';

/**
 * The environment contract (DESIGN.md). Nothing else in the bot reads process.env:
 * the composition root passes the parsed Config (and, for `${ENV}` references in the
 * catalog, the env object itself) to whoever needs it.
 */
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const urlString = (what: string) => optionalString.refine((v) => v === undefined || isUrl(v), { message: `must be a URL (${what})` });

/** Comma-separated Slack user (U…/W…) and user-group (S…) ids, as a roles entry. */
const slackPrincipals = (name: string) =>
  optionalString
    .refine(
      (v) =>
        v === undefined ||
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .every((id) => /^[UWS][A-Z0-9]{2,}$/.test(id)),
      {
        message: `must list Slack user ids (U…/W…) and user-group ids (S…) separated by commas, e.g. ${name}=S0ONCALL,U0LEAD01`,
      },
    )
    .transform((v): Approvers | undefined => {
      if (v === undefined) return undefined;
      const ids = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      return { users: ids.filter((id) => !id.startsWith('S')), usergroups: ids.filter((id) => id.startsWith('S')) };
    });

/** A Slack user (U…/W…) or user-group (S…) id: what the escalation page can mention. */
const ESCALATION_TARGET = /^([UW]|S)[A-Z0-9]{2,20}$/;

/** Comma-separated ids of whoever an unacknowledged alert pages at one escalation level (ESCALATION_L1/L2/L3). */
const escalationTargets = () =>
  optionalString.transform((v, ctx): string[] | undefined => {
    if (v === undefined) return undefined;
    const ids = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = ids.filter((id) => !ESCALATION_TARGET.test(id));
    if (bad.length === 0) return ids.length ? ids : undefined;
    ctx.addIssue({
      code: 'custom',
      message: `must list Slack user (U…) or user-group (S…) ids separated by commas; not ids: ${bad.map((b) => JSON.stringify(b.slice(0, 30))).join(', ')}`,
    });
    return z.NEVER;
  });

/** ALERTMANAGER_ROUTES: JSON routing of webhook alerts to channels (see domain/alert-route.ts). */
const alertRoutes = optionalString
  .transform((v, ctx): unknown => {
    if (v === undefined) return undefined;
    try {
      return JSON.parse(v);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: `is not JSON (${(err as Error).message}): write e.g. [{"match":{"team":"memory"},"channel":"C123"},{"channel":"C0DEFAULT"}]`,
      });
      return z.NEVER;
    }
  })
  .pipe(alertRoutesSchema.optional());

/** Alertmanager's and Grafana's default `username` on their Slack posts (slack_configs, the Slack contact point). */
export const DEFAULT_ALERT_SENDERS = ['Alertmanager', 'Grafana'];

const configSchema = z
  .object({
    SLACK_BOT_TOKEN: optionalString.refine((v) => v === undefined || v.startsWith('xoxb-'), {
      message: 'must be a bot token starting with xoxb-: copy it from OAuth & Permissions → Bot User OAuth Token',
    }),
    SLACK_SIGNING_SECRET: optionalString,
    SLACK_APP_TOKEN: optionalString.refine((v) => v === undefined || v.startsWith('xapp-'), {
      message:
        'must be an app-level token starting with xapp-: create one under Basic Information → App-Level Tokens with connections:write',
    }),
    SLACK_API_URL: urlString('e.g. https://slack.com/api/').transform((v) => (v === undefined ? undefined : v.endsWith('/') ? v : `${v}/`)),
    PORT: optionalString
      .refine((v) => v === undefined || (/^\d+$/.test(v) && Number(v) < 65536), {
        message: 'must be a TCP port number (0-65535)',
      })
      .transform((v) => (v === undefined ? 3000 : Number(v))),
    DATABASE_URL: optionalString.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
      message: 'must be a postgres:// URL, or unset for the embedded database',
    }),
    DATA_DIR: optionalString.transform((v) => path.resolve(v ?? './data')),
    REDIS_URL: optionalString.refine((v) => v === undefined || /^rediss?:\/\//.test(v), {
      message: 'must be a redis:// or rediss:// URL, or unset for in-process coordination (one replica only)',
    }),
    COMMANDS_DIR: optionalString.transform((v) => path.resolve(v ?? './commands')),
    TEMPLATES_DIR: optionalString.transform((v) => path.resolve(v ?? './templates')),
    COMMANDS_OVERLAY_DIR: optionalString
      .refine((v) => v === undefined || isDirectory(v), {
        message:
          'must be an existing directory of catalog overlays (*.yaml: `runbook: <id>` plus probes/remediations/link to replace), or unset',
      })
      .transform((v) => (v === undefined ? undefined : path.resolve(v))),
    RUNBOOKS_BASE_URL: urlString('where the runbook texts live, e.g. https://wiki.internal/runbooks').refine(
      (v) => v === undefined || !isExampleHost(v),
      {
        message:
          'is a placeholder domain (example.com, .example, .test, .invalid): give the real address of your runbooks, or leave it unset to show no links',
      },
    ),
    LOG_LEVEL: optionalString
      .refine((v) => v === undefined || ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(v), {
        message: 'must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .transform((v) => (v ?? 'info') as LogLevel),
    LOG_PRETTY: optionalString
      .refine((v) => v === undefined || ['1', 'true', '0', 'false'].includes(v), {
        message: 'must be 1 or true (human-readable logs), 0 or false (JSON), or unset (human-readable only on a terminal)',
      })
      .transform((v) => (v === undefined ? undefined : v === '1' || v === 'true')),
    REMEDIATION_LEASE_MS: optionalString
      .refine((v) => v === undefined || (/^\d+$/.test(v) && Number(v) >= 1000), {
        message: 'must be a number of milliseconds, at least 1000',
      })
      .transform((v) => (v === undefined ? 60_000 : Number(v))),
    ALERT_SENDERS: optionalString
      .refine(
        (v) =>
          v === undefined ||
          v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
            .every((s) => !/^[UW][A-Z0-9]{2,}$/.test(s)),
        {
          message: 'lists bot ids (B…), app ids (A…) or bot usernames; a user id (U…/W…) is a person, and a person never posts alerts',
        },
      )
      .transform((v) =>
        v === undefined
          ? DEFAULT_ALERT_SENDERS
          : v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
      ),
    ALERTMANAGER_WEBHOOK_TOKEN: optionalString.refine((v) => v === undefined || (v.length >= 16 && !/\s/.test(v)), {
      message: 'must be at least 16 characters without spaces (e.g. the output of `openssl rand -hex 32`)',
    }),
    REMEDIATION_REQUESTERS_LOW: slackPrincipals('REMEDIATION_REQUESTERS_LOW'),
    REMEDIATION_REQUESTERS_MEDIUM: slackPrincipals('REMEDIATION_REQUESTERS_MEDIUM'),
    REMEDIATION_REQUESTERS_HIGH: slackPrincipals('REMEDIATION_REQUESTERS_HIGH'),
    REMEDIATION_APPROVERS_LOW: slackPrincipals('REMEDIATION_APPROVERS_LOW'),
    REMEDIATION_APPROVERS_MEDIUM: slackPrincipals('REMEDIATION_APPROVERS_MEDIUM'),
    REMEDIATION_APPROVERS_HIGH: slackPrincipals('REMEDIATION_APPROVERS_HIGH'),
    APPROVALS_CHANNEL: optionalString.refine((v) => v === undefined || /^[CG][A-Z0-9]{2,20}$/.test(v), {
      message: 'must be a Slack channel id such as C0123ABCD (not a #name)',
    }),
    CRITICAL_CHANNEL: optionalString.refine((v) => v === undefined || /^[CG][A-Z0-9]{2,20}$/.test(v), {
      message: 'must be a Slack channel id such as C0123ABCD (not a #name): P0 incident notifications are copied there',
    }),
    ALERTS_CHANNEL: optionalString.refine((v) => v === undefined || /^[CG][A-Z0-9]{2,20}$/.test(v), {
      message: 'must be a Slack channel id such as C0123ABCD (not a #name): P1 incident notifications are copied there',
    }),
    ALERTMANAGER_URL: optionalString.refine((v) => v === undefined || z.url({ protocol: /^https?$/ }).safeParse(v).success, {
      message: 'must be an http(s) URL of Alertmanager, e.g. http://alertmanager:9093',
    }),
    ALERTMANAGER_ROUTES: alertRoutes,
    ESCALATION_L1: escalationTargets(),
    ESCALATION_L2: escalationTargets(),
    ESCALATION_L3: escalationTargets(),
    INCIDENT_CHANNELS: optionalString
      .refine((v) => v === undefined || ['on', 'off', '1', '0', 'true', 'false'].includes(v.toLowerCase()), {
        message: 'must be on (a channel per incident) or off (incidents stay in the thread where they were opened)',
      })
      .transform((v) => v === undefined || ['on', '1', 'true'].includes(v.toLowerCase())),
    INCIDENT_CHANNEL_PREFIX: optionalString
      .refine((v) => v === undefined || /^[a-z0-9][a-z0-9_-]{0,19}$/.test(v), {
        message: 'must be 1-20 lower-case letters, digits, - or _ starting with a letter or digit (Slack channel names), e.g. inc-',
      })
      .transform((v) => v ?? 'inc-'),
    INCIDENT_ROOM_LEASE_MS: optionalString
      .refine((v) => v === undefined || (/^\d+$/.test(v) && Number(v) >= 1000), {
        message: 'must be a number of milliseconds, at least 1000 (longer than opening a room takes, Slack retries included)',
      })
      .transform((v) => (v === undefined ? 120_000 : Number(v))),
    INCIDENT_HUB_CHANNEL: optionalString.refine((v) => v === undefined || /^[CG][A-Z0-9]{2,20}$/.test(v), {
      message: 'must be a Slack channel id such as C0123ABCD (not a #name): the channel where every incident gets one summary message',
    }),
    GITHUB_TOKEN: optionalString.refine((v) => v === undefined || !/\s/.test(v), {
      message: 'must be a GitHub token without spaces (a fine-grained token with Issues: write on GITHUB_REPO)',
    }),
    GITHUB_REPO: optionalString.refine((v) => v === undefined || /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/.test(v), {
      message: 'must be owner/name of the repository follow-ups are exported to, e.g. acme/ops',
    }),
    GITHUB_API_URL: urlString('the GitHub REST API, e.g. https://github.internal/api/v3 for GitHub Enterprise')
      // The token travels in every request: plain http only to this machine (a local emulator or proxy).
      .refine((v) => v === undefined || !isUrl(v) || new URL(v).protocol === 'https:' || isLoopbackHost(new URL(v).hostname), {
        message:
          'must be an https:// URL: the GitHub token is sent with every request (http:// is accepted only for localhost / 127.0.0.1 / [::1])',
      })
      .transform((v) => (v === undefined ? undefined : v.replace(/\/+$/, ''))),
    NODE_ENV: optionalString,
    PLAYGROUND_USE_SHELL_ENV: optionalString.transform((v) => v === '1' || v === 'true'),
    SHUTDOWN_TIMEOUT_MS: optionalString
      .refine((v) => v === undefined || /^\d+$/.test(v), { message: 'must be a number of milliseconds' })
      .transform((v) => (v === undefined ? 10_000 : Number(v))),
    ALERT_STORM_THRESHOLD: optionalString
      .refine((v) => v === undefined || (/^\d+$/.test(v) && Number(v) >= 1), { message: 'must be a whole number of alerts, 1 or more' })
      .transform((v) => (v === undefined ? 20 : Number(v))),
  })
  .superRefine((env, ctx) => {
    if (env.SLACK_BOT_TOKEN && !env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_SIGNING_SECRET'],
        message:
          'is required with SLACK_BOT_TOKEN in HTTP mode: copy it from Basic Information → App Credentials (or set SLACK_APP_TOKEN for Socket Mode)',
      });
    }
    if ((env.SLACK_SIGNING_SECRET || env.SLACK_APP_TOKEN) && !env.SLACK_BOT_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_BOT_TOKEN'],
        message: 'is required: copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions after installing the app',
      });
    }
    if (Boolean(env.GITHUB_TOKEN) !== Boolean(env.GITHUB_REPO)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.GITHUB_TOKEN ? 'GITHUB_REPO' : 'GITHUB_TOKEN'],
        message: 'is required too: exporting follow-ups to GitHub Issues needs both GITHUB_TOKEN and GITHUB_REPO (or neither)',
      });
    }
  });

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface SlackConfig {
  botToken: string;
  signingSecret?: string;
  appToken?: string;
  apiUrl?: string;
  mode: 'http' | 'socket';
}

export interface Config {
  /** undefined when no Slack credentials are configured. */
  slack?: SlackConfig;
  port: number;
  databaseUrl?: string;
  dataDir: string;
  redisUrl?: string;
  commandsDir: string;
  templatesDir: string;
  /** Deployment overlays over the shipped catalog (replaced queries, params, links). */
  commandsOverlayDir?: string;
  /** Relative runbook `link:` paths are joined to it; unset: such runbooks show no link. */
  runbooksBaseUrl?: string;
  logLevel: LogLevel;
  /** Unset: human-readable when stdout is a terminal, JSON otherwise. */
  logPretty: boolean | undefined;
  shutdownTimeoutMs: number;
  /** ALERT_STORM_THRESHOLD: past this many new alerts a minute in one channel, the channel gets one storm summary. */
  alertStormThreshold: number;
  /** How long a remediation run may go without its replica's heartbeat before it counts as interrupted. */
  remediationLeaseMs: number;
  /** ALERT_SENDERS: bot ids, app ids or bot usernames whose channel posts are read as alerts. */
  alertSenders: string[];
  /** ALERTMANAGER_WEBHOOK_TOKEN: the bearer token the webhook requires; unset, the webhook is off. */
  alertmanagerWebhookToken?: string;
  roles: RemediationRoles;
  /** ALERTMANAGER_URL: where "Silence 1 h" creates silences (API v2). */
  alertmanagerUrl?: string;
  /** ALERTMANAGER_ROUTES: channel routing of webhook alerts (the catalog has no routing section). */
  alertRoutes?: AlertRoute[];
  /** ESCALATION_L1/L2/L3: the Slack user (U…) or user-group (S…) ids each level pages; levels without ids are absent. */
  escalationTargets: { L1?: string[]; L2?: string[]; L3?: string[] };
  /** APPROVALS_CHANNEL: where every approval request is posted (default: the incident's or alert's thread). */
  approvalsChannel?: string;
  /** CRITICAL_CHANNEL (P0) and ALERTS_CHANNEL (P1): where an incident's notifications are copied by tier. */
  severityChannels: { P0?: string; P1?: string };
  /** INCIDENT_CHANNELS / INCIDENT_CHANNEL_PREFIX / INCIDENT_HUB_CHANNEL: where incidents live and are summarised. */
  incidentRooms: IncidentRoomConfig;
  /** GITHUB_TOKEN + GITHUB_REPO (+ GITHUB_API_URL): where follow-ups are exported; absent: export is off. */
  github?: GithubConfig;
  nodeEnv?: string;
  /** PLAYGROUND_USE_SHELL_ENV: the playground may resolve catalog targets from the shell's environment. */
  playgroundUseShellEnv: boolean;
  /** PATH, HOME, LANG and TZ: all of the bot's environment a process it starts gets (never tokens or database URLs). */
  childProcessEnv: Readonly<Record<string, string>>;
}

export interface IncidentRoomConfig {
  /** A channel per incident; false: incidents stay in the thread where they were opened. */
  channels: boolean;
  /** Channel names are `<prefix><yyyymmdd>-<slug>`. */
  channelPrefix: string;
  /** One summary message per incident, edited in place; unset: no hub. */
  hubChannel?: string;
  /** INCIDENT_ROOM_LEASE_MS: an opening unfinished this long after its claim is taken over by another replica. */
  leaseMs: number;
}

export interface GithubConfig {
  token: string;
  /** owner/name */
  repo: string;
  apiUrl: string;
}

/** Who may request and who may approve, per risk level (REMEDIATION_REQUESTERS_* / REMEDIATION_APPROVERS_*). */
export interface RemediationRoles {
  requesters: Partial<Record<Risk, Approvers>>;
  approvers: Partial<Record<Risk, Approvers>>;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws ConfigError naming every bad variable. Values are never echoed. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = configSchema.safeParse(pickKnown(env));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${variableOf(i.path)} ${i.message}`));
  }
  const e = parsed.data;
  return {
    slack: e.SLACK_BOT_TOKEN
      ? {
          botToken: e.SLACK_BOT_TOKEN,
          signingSecret: e.SLACK_SIGNING_SECRET,
          appToken: e.SLACK_APP_TOKEN,
          apiUrl: e.SLACK_API_URL,
          mode: e.SLACK_APP_TOKEN ? 'socket' : 'http',
        }
      : undefined,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    commandsDir: e.COMMANDS_DIR,
    templatesDir: e.TEMPLATES_DIR,
    commandsOverlayDir: e.COMMANDS_OVERLAY_DIR,
    runbooksBaseUrl: e.RUNBOOKS_BASE_URL,
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    alertStormThreshold: e.ALERT_STORM_THRESHOLD,
    remediationLeaseMs: e.REMEDIATION_LEASE_MS,
    alertSenders: e.ALERT_SENDERS,
    alertmanagerWebhookToken: e.ALERTMANAGER_WEBHOOK_TOKEN,
    roles: {
      requesters: definedOnly({
        low: e.REMEDIATION_REQUESTERS_LOW,
        medium: e.REMEDIATION_REQUESTERS_MEDIUM,
        high: e.REMEDIATION_REQUESTERS_HIGH,
      }),
      approvers: definedOnly({
        low: e.REMEDIATION_APPROVERS_LOW,
        medium: e.REMEDIATION_APPROVERS_MEDIUM,
        high: e.REMEDIATION_APPROVERS_HIGH,
      }),
    },
    alertmanagerUrl: e.ALERTMANAGER_URL,
    alertRoutes: e.ALERTMANAGER_ROUTES,
    escalationTargets: definedOnly({ L1: e.ESCALATION_L1, L2: e.ESCALATION_L2, L3: e.ESCALATION_L3 }),
    approvalsChannel: e.APPROVALS_CHANNEL,
    severityChannels: definedOnly({ P0: e.CRITICAL_CHANNEL, P1: e.ALERTS_CHANNEL }),
    incidentRooms: {
      channels: e.INCIDENT_CHANNELS,
      channelPrefix: e.INCIDENT_CHANNEL_PREFIX,
      leaseMs: e.INCIDENT_ROOM_LEASE_MS,
      ...(e.INCIDENT_HUB_CHANNEL ? { hubChannel: e.INCIDENT_HUB_CHANNEL } : {}),
    },
    ...(e.GITHUB_TOKEN && e.GITHUB_REPO
      ? { github: { token: e.GITHUB_TOKEN, repo: e.GITHUB_REPO, apiUrl: e.GITHUB_API_URL ?? 'https://api.github.com' } }
      : {}),
    nodeEnv: e.NODE_ENV,
    playgroundUseShellEnv: e.PLAYGROUND_USE_SHELL_ENV,
    childProcessEnv: childProcessEnv(env),
  };
}

const CHILD_PROCESS_VARIABLES = ['PATH', 'HOME', 'LANG', 'TZ'] as const;

function childProcessEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(CHILD_PROCESS_VARIABLES.flatMap((k) => (env[k] === undefined ? [] : [[k, env[k]]])));
}

function definedOnly<K extends string, T>(byKey: Record<K, T | undefined>): Partial<Record<K, T>> {
  return Object.fromEntries(Object.entries(byKey).filter(([, v]) => v !== undefined)) as Partial<Record<K, T>>;
}

/** The variable and, inside a JSON value, where: `ALERTMANAGER_ROUTES[0]["channel"]`. */
function variableOf(issuePath: readonly PropertyKey[]): string {
  if (issuePath.length === 0) return 'environment';
  return `${String(issuePath[0])}${issuePath
    .slice(1)
    .map((p) => `[${JSON.stringify(typeof p === 'symbol' ? String(p) : p)}]`)
    .join('')}`;
}

/** The values that must never reach a log line or a Slack message. */
export function secretsOf(config: Config): string[] {
  const out = [
    config.slack?.botToken,
    config.slack?.signingSecret,
    config.slack?.appToken,
    config.alertmanagerWebhookToken,
    config.github?.token,
  ];
  for (const url of [config.databaseUrl, config.redisUrl]) {
    const password = url ? passwordOf(url) : undefined;
    if (password) out.push(password);
  }
  return out.filter((s): s is string => typeof s === 'string' && s.length > 0);
}

const KNOWN = Object.keys(configSchema.shape);

function pickKnown(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(KNOWN.map((k) => [k, env[k]]));
}

function isUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** localhost, 127.0.0.0/8 and ::1: traffic that never leaves the machine. */
function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isExampleHost(v: string): boolean {
  if (!isUrl(v)) return false;
  const host = new URL(v).hostname.toLowerCase();
  return /(^|\.)example\.(com|net|org)$/.test(host) || /(^|\.)(example|test|invalid)$/.test(host);
}

function passwordOf(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}
