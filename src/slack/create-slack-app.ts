import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { App, HTTPReceiver, SocketModeReceiver, type AnyMiddlewareArgs, type Middleware, type Receiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { SlackConfig } from '../config';
import { lazyChild, type Logger } from '../logger';
import type { BotMetrics } from '../metrics';
import { boltLoggerFrom } from './bolt-logger';
import { createWebApiClientOptions } from './web-api-options';

export type SlackRequestKind = 'command' | 'event' | 'action' | 'view' | 'shortcut' | 'options' | 'other';

/** Attached by the HTTP server to each request so the ack latency can be labelled by kind. */
export interface RequestReceipt {
  requestId: string;
  /** performance.now() when the request arrived (HTTP mode). */
  receivedAt?: number;
  kind?: SlackRequestKind;
  /** X-Slack-Signature (HTTP mode): identical only for a byte-identical request, so it keys replays. */
  signature?: string;
}
export const RECEIPT = Symbol('incident-bot.receipt');
type RequestWithReceipt = IncomingMessage & { [RECEIPT]?: RequestReceipt };

export interface SlackApp {
  app: App;
  client: WebClient;
  /** For idempotent posts (slack-poster.ts): no retries of its own, 429s handed back to the caller. */
  postClient: WebClient;
  mode: 'http' | 'socket';
  /** HTTP mode: the listener for POST /slack/events (the HTTP server owns the socket). */
  requestListener?: (req: IncomingMessage, res: import('node:http').ServerResponse) => void;
  /**
   * Runs one Events API delivery from the inbox through Bolt's middleware and listeners; rejects when a
   * listener failed or the request could not be authorized, so the inbox keeps it and runs it again.
   */
  processDelivery(body: Record<string, unknown>, opts: { attempts: number }): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface CreateSlackAppDeps {
  config: SlackConfig;
  logger: Logger;
  metrics: BotMetrics;
  /**
   * Socket Mode: Events API deliveries reach Bolt (acknowledged on the socket) and are handed to the
   * inbox from the first middleware. HTTP mode records them before Bolt (see event-intake.ts).
   */
  recordEvent?: (body: Record<string, unknown>) => Promise<unknown>;
  /**
   * False when these signed bytes were processed before (on any replica): commands, clicks and submissions carry no
   * delivery id, so the same signed request sent again is a replay.
   */
  isFirstSignedRequest: (signature: string) => Promise<boolean>;
  /** The clock requests' timestamps are checked against (default Date.now). */
  nowMs?: () => number;
}

/** Bolt refuses requests older than this; we also refuse ones dated this far ahead (a clock skew or a forged replay). */
const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

/** Set by `processDelivery` on the request's context: the outcome the inbox waits for. */
interface InboxRun {
  reached: boolean;
  error?: unknown;
}

export function createSlackApp(deps: CreateSlackAppDeps): SlackApp {
  const { config, logger, metrics } = deps;
  const clientOptions = createWebApiClientOptions({ apiUrl: config.apiUrl, metrics });
  const boltLogger = boltLoggerFrom(logger);
  const { receiver, httpReceiver } = createReceiver(config, boltLogger);

  // One client with our retry policy for everything the bot sends outside a listener.
  const client = new WebClient(config.botToken, { ...clientOptions, logger: boltLogger });
  const postClient = new WebClient(config.botToken, {
    ...clientOptions,
    logger: boltLogger,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
  const authorize = cachedAuthorize(client, config.botToken);
  // No conversation store: nothing here reads context.conversation, and Bolt's default one
  // rejects a promise with a new Error (stack trace and all) on every request in a channel.
  const app = new App({ authorize, receiver, logger: boltLogger, clientOptions, convoStore: false });
  app.use(firstMiddleware(deps));

  const processDelivery = async (body: Record<string, unknown>, opts: { attempts: number }): Promise<void> => {
    // Authorization failing (Slack unreachable for auth.test) ends processEvent quietly: fail here instead.
    await authorize();
    const run: InboxRun = { reached: false };
    await app.processEvent({
      body,
      ack: async () => undefined,
      ...(opts.attempts > 1 ? { retryNum: opts.attempts - 1, retryReason: 'inbox_retry' } : {}),
      customProperties: { receipt: { requestId: randomUUID() } satisfies RequestReceipt, inboxRun: run },
    });
    if (run.error !== undefined) throw run.error;
  };

  app.error(async (err) => {
    logger.error({ err: { message: err.message, code: err.code } }, 'unhandled error in a Slack listener');
  });

  return {
    app,
    client,
    postClient,
    mode: config.mode,
    requestListener: httpReceiver ? refusingFutureTimestamps(httpReceiver, deps) : undefined,
    processDelivery,
    start: async () => {
      if (config.mode === 'socket') await app.start();
    },
    stop: async () => {
      if (config.mode === 'socket') await app.stop();
    },
  };
}

function createReceiver(
  config: SlackConfig,
  boltLogger: ReturnType<typeof boltLoggerFrom>,
): { receiver: Receiver; httpReceiver?: HTTPReceiver } {
  if (config.mode === 'socket') {
    const receiver = new SocketModeReceiver({
      appToken: config.appToken!,
      logger: boltLogger,
      installerOptions: { clientOptions: { slackApiUrl: config.apiUrl } },
      customPropertiesExtractor: () => ({ receipt: { requestId: randomUUID() } satisfies RequestReceipt }),
    });
    return { receiver };
  }
  const httpReceiver = new HTTPReceiver({
    signingSecret: config.signingSecret!,
    logger: boltLogger,
    customPropertiesExtractor: (req) => {
      const receipt = (req as RequestWithReceipt)[RECEIPT] ?? { requestId: randomUUID() };
      const signature = req.headers['x-slack-signature'];
      if (typeof signature === 'string') receipt.signature = signature;
      return { receipt };
    },
  });
  return { receiver: httpReceiver, httpReceiver };
}

/**
 * Bolt's single-token authorization either calls auth.test on every request (verification off) or caches a failed
 * start-up call forever (on); this caches the first success only.
 */
function cachedAuthorize(client: WebClient, botToken: string) {
  let identity: Promise<{ botId?: string; botUserId?: string; teamId?: string }> | undefined;
  return async () => {
    identity ??= client.auth.test().then((r) => ({ botId: r.bot_id, botUserId: r.user_id, teamId: r.team_id }));
    try {
      return { botToken, ...(await identity) };
    } catch (err) {
      identity = undefined;
      throw err;
    }
  };
}

/**
 * First in the chain: a request id and a child logger on every line, the request's kind for the metrics, the replay
 * check; Events API deliveries are run from the inbox, which also deduplicates them.
 */
function firstMiddleware(deps: CreateSlackAppDeps): Middleware<AnyMiddlewareArgs> {
  const { logger, metrics } = deps;
  /** A storage failure lets the request through: it fails on its own. */
  async function firstSignedDelivery(signature: string, log: Logger): Promise<boolean> {
    try {
      return await deps.isFirstSignedRequest(signature);
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, 'could not check the request for a replay');
      return true;
    }
  }
  return async (args) => {
    const { body, context, next } = args;
    const ack = (args as { ack?: () => Promise<void> }).ack;
    const receipt = (context.receipt as RequestReceipt | undefined) ?? { requestId: randomUUID() };
    const b = body as Record<string, unknown>;
    const kind = kindOf(b);
    receipt.kind = kind;
    const eventId = typeof b.event_id === 'string' ? b.event_id : undefined;
    const log = lazyChild(logger, { reqId: eventId ?? receipt.requestId, kind });
    context.log = log;
    // Commands, clicks and submissions carry no delivery id: the same signed bytes sent again are a replay.
    if (!eventId && receipt.signature && !(await firstSignedDelivery(receipt.signature, log))) {
      metrics.duplicateEvents.inc({ source: 'slack-signature' });
      metrics.slackRequests.inc({ kind, outcome: 'duplicate' });
      log.warn('replayed request ignored: the same signed request was already processed');
      await ack?.();
      return;
    }
    const run = context.inboxRun as InboxRun | undefined;
    if (kind === 'event' && !run && deps.recordEvent) {
      await deps.recordEvent(b);
      return;
    }
    if (run) run.reached = true;
    try {
      await next();
      metrics.slackRequests.inc({ kind, outcome: 'ok' });
    } catch (err) {
      metrics.slackRequests.inc({ kind, outcome: 'error' });
      // A delivery from the inbox is handed back and retried, and the inbox logs why: not an unhandled error.
      if (run) {
        run.error = err;
        return;
      }
      throw err;
    }
  };
}

/** HTTP mode: Bolt refuses old timestamps; a timestamp far in the future (clock skew or a forged replay) gets 401 here. */
function refusingFutureTimestamps(httpReceiver: HTTPReceiver, deps: CreateSlackAppDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const sent = Number(req.headers['x-slack-request-timestamp']);
    if (Number.isFinite(sent) && sent > (deps.nowMs ?? Date.now)() / 1000 + MAX_CLOCK_SKEW_SECONDS) {
      deps.logger.warn({ timestamp: sent }, 'Slack request refused: its timestamp is more than 5 minutes in the future');
      res.writeHead(401, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: 'X-Slack-Request-Timestamp is more than 5 minutes in the future' }));
      req.resume();
      return;
    }
    httpReceiver.requestListener(req, res);
  };
}

function kindOf(body: Record<string, unknown>): SlackRequestKind {
  if (typeof body.command === 'string') return 'command';
  switch (body.type) {
    case 'event_callback':
      return 'event';
    case 'block_actions':
    case 'interactive_message':
      return 'action';
    case 'view_submission':
    case 'view_closed':
      return 'view';
    case 'shortcut':
    case 'message_action':
      return 'shortcut';
    case 'block_suggestion':
      return 'options';
    default:
      return 'other';
  }
}

/** Marks an incoming HTTP request so Bolt's middleware and the ack-latency metric can find each other. */
export function attachReceipt(req: IncomingMessage): RequestReceipt {
  const receipt: RequestReceipt = { requestId: randomUUID(), receivedAt: performance.now() };
  (req as RequestWithReceipt)[RECEIPT] = receipt;
  return receipt;
}

/** The receipt `attachReceipt` put on a request, if any. */
export function receiptOf(req: IncomingMessage): RequestReceipt | undefined {
  return (req as RequestWithReceipt)[RECEIPT];
}
