import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { App, HTTPReceiver, SocketModeReceiver, type Receiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { SlackConfig } from '../config';
import type { DeliveryDedup } from '../dedup/delivery-dedup';
import { isConnectionError } from '../errors';
import { createDeliveryBuffer } from './delivery-buffer';
import { lazyChild, type Logger } from '../logger';
import type { BotMetrics } from '../metrics';
import { boltLoggerFrom } from './bolt-logger';
import { createWebApiClientOptions } from './web-api-options';

export type SlackRequestKind = 'command' | 'event' | 'action' | 'view' | 'shortcut' | 'options' | 'other';

/** Attached by the HTTP server to each request so the ack latency can be labelled by kind. */
export interface RequestReceipt {
  requestId: string;
  kind?: SlackRequestKind;
  /** X-Slack-Signature (HTTP mode): identical only for a byte-identical request, so it keys replays. */
  signature?: string;
}
export const RECEIPT = Symbol('incident-bot.receipt');
type RequestWithReceipt = IncomingMessage & { [RECEIPT]?: RequestReceipt };

export interface SlackApp {
  app: App;
  client: WebClient;
  mode: 'http' | 'socket';
  /** HTTP mode: the listener for POST /slack/events (the HTTP server owns the socket). */
  requestListener?: (req: IncomingMessage, res: import('node:http').ServerResponse) => void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface CreateSlackAppDeps {
  config: SlackConfig;
  logger: Logger;
  metrics: BotMetrics;
  dedup: DeliveryDedup;
  /** Whether PostgreSQL answers: the outage buffer replays only then. */
  storageUp: () => Promise<boolean>;
  /** How many Events API deliveries are processed at once (default 16). */
  eventConcurrency?: number;
  /** The clock requests' timestamps are checked against (default Date.now). */
  nowMs?: () => number;
}

/** Bolt refuses requests older than this; we also refuse ones dated this far ahead (a clock skew or a forged replay). */
const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

/** A delivery kept through a storage outage; `claimed` when its dedup row was already written. */
interface BufferedDelivery {
  body: Record<string, unknown>;
  claimed: boolean;
}

export function createSlackApp(deps: CreateSlackAppDeps): SlackApp {
  const { config, logger, metrics } = deps;
  const clientOptions = createWebApiClientOptions({ apiUrl: config.apiUrl, metrics });
  const boltLogger = boltLoggerFrom(logger);

  let receiver: Receiver;
  let httpReceiver: HTTPReceiver | undefined;
  if (config.mode === 'socket') {
    receiver = new SocketModeReceiver({
      appToken: config.appToken!,
      logger: boltLogger,
      installerOptions: { clientOptions: { slackApiUrl: config.apiUrl } },
      customPropertiesExtractor: () => ({ receipt: { requestId: randomUUID() } satisfies RequestReceipt }),
    });
  } else {
    httpReceiver = new HTTPReceiver({
      signingSecret: config.signingSecret!,
      logger: boltLogger,
      customPropertiesExtractor: (req) => {
        const receipt = (req as RequestWithReceipt)[RECEIPT] ?? { requestId: randomUUID() };
        const signature = req.headers['x-slack-signature'];
        if (typeof signature === 'string') receipt.signature = signature;
        return { receipt };
      },
    });
    receiver = httpReceiver;
  }

  // One client with our retry policy for everything the bot sends outside a listener.
  const client = new WebClient(config.botToken, { ...clientOptions, logger: boltLogger });
  // Bolt's single-token authorization either calls auth.test on every request (verification
  // off) or caches a failed start-up call forever (on); this caches the first success only.
  let identity: Promise<{ botId?: string; botUserId?: string; teamId?: string }> | undefined;
  const authorize = async () => {
    identity ??= client.auth.test().then((r) => ({ botId: r.bot_id, botUserId: r.user_id, teamId: r.team_id }));
    try {
      return { botToken: config.botToken, ...(await identity) };
    } catch (err) {
      identity = undefined;
      throw err;
    }
  };
  // No conversation store: nothing here reads context.conversation, and Bolt's default one
  // rejects a promise with a new Error (stack trace and all) on every request in a channel.
  const app = new App({ authorize, receiver, logger: boltLogger, clientOptions, convoStore: false });

  // First in the chain: a request id and a child logger on every line, the request's kind
  // for the metrics, and the retry/replica dedup for Events API deliveries.
  const buffer = createDeliveryBuffer<BufferedDelivery>({
    storageUp: deps.storageUp,
    // Through Bolt again, so listeners see exactly what they would have seen.
    replay: (d) => app.processEvent({ body: d.body, ack: async () => undefined, customProperties: { receipt: { requestId: randomUUID() }, replay: d.claimed ? 'claimed' : 'unclaimed' } }),
    logger,
    onChange: (n) => metrics.bufferedDeliveries.set(n),
    onDrop: () => metrics.droppedDeliveries.inc(),
  });

  // Bolt acks events before processing them, so a storm would start thousands of handlers at
  // once (memory, pool timeouts). Events wait for one of a few slots instead; commands and clicks don't.
  const eventSlots = createSlots(deps.eventConcurrency ?? 16);

  app.use(async (args) => {
    const b = args.body as Record<string, unknown>;
    if (b.type !== 'event_callback') return handle(args);
    await eventSlots.acquire();
    try {
      await handle(args);
    } finally {
      eventSlots.release();
    }
  });

  /** False when this signature was seen before (on any replica). A storage failure lets the request through: it fails on its own. */
  async function firstSignedDelivery(signature: string, log: Logger): Promise<boolean> {
    try {
      return await deps.dedup.isFirstDelivery(`sig:${signature}`, 'slack-signature');
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, 'could not check the request for a replay');
      return true;
    }
  }

  async function handle({
    body,
    context,
    next,
    ack,
  }: {
    body: unknown;
    context: Record<string, unknown> & { retryNum?: number };
    next: () => Promise<void>;
    ack?: () => Promise<void>;
  }): Promise<void> {
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
    const keep = (claimed: boolean) => {
      metrics.slackRequests.inc({ kind, outcome: buffer.push({ body: b, claimed }) ? 'buffered' : 'dropped' });
      log.warn({ retryNum: context.retryNum }, 'storage unavailable: delivery buffered for replay');
    };
    // A replay of a delivery we had already claimed must not be dropped as its own duplicate.
    if (eventId && context.replay !== 'claimed') {
      let first: boolean;
      try {
        // A replayed delivery took the Redis claim when it first arrived; only the database decides now.
        first = await deps.dedup.isFirstDelivery(eventId, 'slack-event', { databaseOnly: context.replay === 'unclaimed' });
      } catch (err) {
        if (isConnectionError(err)) return keep(false);
        metrics.slackRequests.inc({ kind, outcome: 'error' });
        throw err;
      }
      if (!first) {
        metrics.duplicateEvents.inc({ source: 'slack-event' });
        metrics.slackRequests.inc({ kind, outcome: 'duplicate' });
        log.info({ retryNum: context.retryNum }, 'duplicate delivery ignored');
        return;
      }
    }
    try {
      await next();
      metrics.slackRequests.inc({ kind, outcome: 'ok' });
    } catch (err) {
      // Listeners are idempotent per delivery (alerts by channel:ts, replies by claim): replaying is safe.
      if (eventId && isConnectionError(err)) return keep(true);
      metrics.slackRequests.inc({ kind, outcome: 'error' });
      throw err;
    }
  }

  app.error(async (err) => {
    logger.error({ err: { message: err.message, code: err.code } }, 'unhandled error in a Slack listener');
  });

  return {
    app,
    client,
    mode: config.mode,
    requestListener: httpReceiver
      ? (req, res) => {
          const sent = Number(req.headers['x-slack-request-timestamp']);
          if (Number.isFinite(sent) && sent > (deps.nowMs ?? Date.now)() / 1000 + MAX_CLOCK_SKEW_SECONDS) {
            logger.warn({ timestamp: sent }, 'Slack request refused: its timestamp is more than 5 minutes in the future');
            res.writeHead(401, { 'content-type': 'application/json; charset=utf-8' });
            res.end(JSON.stringify({ error: 'X-Slack-Request-Timestamp is more than 5 minutes in the future' }));
            req.resume();
            return;
          }
          httpReceiver!.requestListener(req, res);
        }
      : undefined,
    start: async () => {
      buffer.start();
      if (config.mode === 'socket') await app.start();
    },
    stop: async () => {
      buffer.stop();
      if (buffer.size()) logger.error({ lost: buffer.size() }, 'stopping with deliveries still buffered from a storage outage: they are lost');
      if (config.mode === 'socket') await app.stop();
    },
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
  const receipt: RequestReceipt = { requestId: randomUUID() };
  (req as RequestWithReceipt)[RECEIPT] = receipt;
  return receipt;
}

/** A counting semaphore: FIFO, no timeouts (a waiting event holds only its parsed body). */
function createSlots(size: number): { acquire(): Promise<void>; release(): void } {
  let free = size;
  const waiting: (() => void)[] = [];
  return {
    acquire: () => {
      if (free > 0) {
        free--;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    release: () => {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
  };
}
