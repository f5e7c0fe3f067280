import { createHmac, randomBytes } from 'node:crypto';

/**
 * Sends requests to the bot the way Slack does (tests and the local playground): the same bodies (form-encoded slash commands and
 * interactions,
 * JSON events) signed with the v0 scheme (`v0=` + HMAC-SHA256 of `v0:{timestamp}:{rawBody}`).
 *
 * @example
 *   const res = await sendSlashCommand(`${botUrl}/slack/events`, { signingSecret }, { text: 'diagnose StuckDetected' });
 *   expect(res.status).toBe(200);
 */

export interface SignedRequestOptions {
  signingSecret: string;
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  /** Sent instead of the computed signature (to test rejection). */
  signatureOverride?: string;
  /** Extra headers; they win over the computed ones. */
  headers?: Record<string, string>;
}

export interface SignedResponse {
  status: number;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- responses are whatever the bot answers
  headers: Record<string, string>;
  /** Time until the whole response arrived (Slack gives up after 3000 ms). */
  ms: number;
}

export interface SlashCommand {
  text: string;
  user_id?: string;
  user_name?: string;
  channel_id?: string;
  channel_name?: string;
  team_id?: string;
  team_domain?: string;
  response_url?: string;
  trigger_id?: string;
  command?: string;
  api_app_id?: string;
}

export interface EventEnvelope {
  event_id: string;
  event: Record<string, unknown>;
  team_id?: string;
  event_time?: number;
  api_app_id?: string;
  /** The bot user the event is delivered for (goes into `authorizations`). */
  bot_user_id?: string;
}

/** Identities the helpers use when a request does not name its own (they match the emulator's defaults). */
export const SLACK_DEFAULTS = {
  teamId: 'T0EMULATED',
  teamDomain: 'emulated',
  apiAppId: 'A0INCIDENTBOT',
  botUserId: 'U0INCIDENTBOT',
  userId: 'U0ONCALL01',
  userName: 'alice',
  channelId: 'C0INCIDENTS',
  channelName: 'incidents',
  /** The deprecated verification token Slack still puts in every payload. */
  verificationToken: 'legacy-verification-token',
} as const;

export function signRequest(
  rawBody: string,
  secret: string,
  timestampSec: number,
): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
  const digest = createHmac('sha256', secret).update(`v0:${timestampSec}:${rawBody}`).digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': String(timestampSec) };
}

/** A trigger_id shaped like Slack's (`<digits>.<digits>.<hex>`), unique per call. */
export function newTriggerId(): string {
  return `${Date.now()}.${Math.floor(Math.random() * 1e12)}.${randomBytes(16).toString('hex')}`;
}

/** POSTs `rawBody` signed with `opts`; the building block of the other helpers. */
export async function sendSigned(url: string, opts: SignedRequestOptions, rawBody: string, contentType: string): Promise<SignedResponse> {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const signed = signRequest(rawBody, opts.signingSecret, timestamp);
  const headers: Record<string, string> = {
    'content-type': contentType,
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    ...signed,
    ...(opts.signatureOverride !== undefined ? { 'x-slack-signature': opts.signatureOverride } : {}),
    ...opts.headers,
  };
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body: rawBody });
  const body = await res.text();
  const ms = performance.now() - started;
  let parsed: unknown;
  if (body !== '') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
  }
  return {
    status: res.status,
    body,
    ...(parsed !== undefined ? { json: parsed } : {}),
    headers: Object.fromEntries(res.headers.entries()),
    ms,
  };
}

/** The form body Slack sends for a slash command, fields in Slack's order. */
export function slashCommandBody(cmd: SlashCommand): string {
  return new URLSearchParams({
    token: SLACK_DEFAULTS.verificationToken,
    team_id: cmd.team_id ?? SLACK_DEFAULTS.teamId,
    team_domain: cmd.team_domain ?? SLACK_DEFAULTS.teamDomain,
    channel_id: cmd.channel_id ?? SLACK_DEFAULTS.channelId,
    channel_name: cmd.channel_name ?? SLACK_DEFAULTS.channelName,
    user_id: cmd.user_id ?? SLACK_DEFAULTS.userId,
    user_name: cmd.user_name ?? SLACK_DEFAULTS.userName,
    command: cmd.command ?? '/incident',
    text: cmd.text,
    api_app_id: cmd.api_app_id ?? SLACK_DEFAULTS.apiAppId,
    is_enterprise_install: 'false',
    response_url:
      cmd.response_url ?? `https://hooks.slack.com/commands/${SLACK_DEFAULTS.teamId}/1234567890123/${randomBytes(12).toString('hex')}`,
    trigger_id: cmd.trigger_id ?? newTriggerId(),
  }).toString();
}

export function sendSlashCommand(url: string, opts: SignedRequestOptions, cmd: SlashCommand): Promise<SignedResponse> {
  return sendSigned(url, opts, slashCommandBody(cmd), 'application/x-www-form-urlencoded');
}

/** The `event_callback` envelope Slack wraps every Events API event in. */
export function eventCallbackBody(envelope: EventEnvelope): Record<string, unknown> {
  const teamId = envelope.team_id ?? SLACK_DEFAULTS.teamId;
  const eventTime = envelope.event_time ?? Math.floor(Date.now() / 1000);
  return {
    token: SLACK_DEFAULTS.verificationToken,
    team_id: teamId,
    context_team_id: teamId,
    context_enterprise_id: null,
    api_app_id: envelope.api_app_id ?? SLACK_DEFAULTS.apiAppId,
    event: envelope.event,
    type: 'event_callback',
    event_id: envelope.event_id,
    event_time: eventTime,
    authorizations: [
      {
        enterprise_id: null,
        team_id: teamId,
        user_id: envelope.bot_user_id ?? SLACK_DEFAULTS.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
    event_context: `4-${Buffer.from(`${teamId}:${envelope.event_id}`).toString('base64url')}`,
  };
}

/** Posts an event; `retry` adds the headers Slack sends when it redelivers (`x-slack-retry-num`/`-reason`). */
export function sendEvent(
  url: string,
  opts: SignedRequestOptions,
  envelope: EventEnvelope,
  retry?: { num: number; reason?: string },
): Promise<SignedResponse> {
  const retryHeaders: Record<string, string> = retry
    ? { 'x-slack-retry-num': String(retry.num), 'x-slack-retry-reason': retry.reason ?? 'http_timeout' }
    : {};
  return sendSigned(
    url,
    { ...opts, headers: { ...retryHeaders, ...opts.headers } },
    JSON.stringify(eventCallbackBody(envelope)),
    'application/json',
  );
}

/** Posts an interactivity payload (block_actions, view_submission, …) as Slack does: form-encoded `payload=<json>`. */
export function sendInteraction(url: string, opts: SignedRequestOptions, payload: Record<string, unknown>): Promise<SignedResponse> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return sendSigned(url, opts, body, 'application/x-www-form-urlencoded');
}

/** The handshake Slack sends when the Request URL is saved; the app must echo `challenge`. */
export function sendUrlVerification(
  url: string,
  opts: SignedRequestOptions,
  challenge = randomBytes(24).toString('base64url'),
): Promise<SignedResponse> {
  const body = JSON.stringify({ token: SLACK_DEFAULTS.verificationToken, challenge, type: 'url_verification' });
  return sendSigned(url, opts, body, 'application/json');
}
