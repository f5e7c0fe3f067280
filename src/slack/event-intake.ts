import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { HTTPModuleFunctions, defaultBodyLimit, verifySlackRequest } from '@slack/bolt';
import type { InboxProcessor } from '../inbox/inbox-processor';
import type { Logger } from '../logger';
import type { BotMetrics } from '../metrics';
import type { InboxDelivery } from '../domain/inbox-delivery';
import { RECEIPT, type RequestReceipt } from './create-slack-app';

/**
 * The Events API door. Bolt answers an event 200 before any middleware runs, so a delivery acked that way
 * is lost with the process. Events are therefore taken here, before Bolt: verified, recorded in the inbox
 * (or the spool file) and only then answered 200; the inbox processor later runs them through Bolt.
 * Everything else (commands, clicks, views, url_verification) goes on to Bolt's own receiver untouched,
 * with the body already buffered (Bolt reuses `rawBody`).
 */
export function createEventIntake(deps: {
  signingSecret: string;
  inbox: InboxProcessor;
  logger: Logger;
  metrics: BotMetrics;
  next: (req: IncomingMessage, res: ServerResponse) => void;
}): (req: IncomingMessage, res: ServerResponse) => void {
  const { inbox, logger, metrics } = deps;
  return (req, res) => {
    // Commands and clicks are form-encoded: they go straight on, with no promise or closure made for them here.
    const type = req.headers['content-type'];
    if (typeof type !== 'string' || !type.startsWith('application/json')) return deps.next(req, res);
    void (async () => {
      let raw: Buffer;
      try {
        raw = (await HTTPModuleFunctions.bufferIncomingMessage(req, defaultBodyLimit)).rawBody;
      } catch (err) {
        const tooLarge = (err as { type?: string }).type === 'entity.too.large';
        res.writeHead(tooLarge ? 413 : 400).end();
        return;
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw.toString()) as Record<string, unknown>;
      } catch {
        return deps.next(req, res);
      }
      if (body.type !== 'event_callback') return deps.next(req, res);
      try {
        verifySlackRequest({
          signingSecret: deps.signingSecret,
          body: raw.toString(),
          headers: {
            'x-slack-signature': String(req.headers['x-slack-signature'] ?? ''),
            'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']),
          },
        });
      } catch {
        // Bolt answers 401 and logs why, as it does for every other kind of request.
        return deps.next(req, res);
      }
      const receipt = (req as IncomingMessage & { [RECEIPT]?: RequestReceipt })[RECEIPT];
      if (receipt) receipt.kind = 'event';
      const retryNum = req.headers['x-slack-retry-num'];
      const outcome = await recordDelivery(inbox, toDelivery(body), logger, metrics, retryNum ? Number(retryNum) : undefined);
      if (outcome === 'refused') {
        // Slack retries a 5xx: the delivery reaches a replica that can keep it.
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: inbox.accepting() ? 'storage unavailable' : 'stopping' }));
        return;
      }
      res.writeHead(200).end();
    })().catch((err: unknown) => {
      logger.error({ err: { message: (err as Error).message } }, 'event intake failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  };
}

/** Records one delivery in the inbox; 'refused' when it could be kept nowhere (the caller must not acknowledge it). */
export async function recordDelivery(
  inbox: InboxProcessor,
  delivery: InboxDelivery,
  logger: Logger,
  metrics: BotMetrics,
  retryNum?: number,
): Promise<'recorded' | 'duplicate' | 'spooled' | 'refused'> {
  const log = logger.child({ reqId: delivery.eventId, kind: 'event' });
  if (!inbox.accepting()) {
    metrics.slackRequests.inc({ kind: 'event', outcome: 'refused' });
    log.info({ retryNum }, 'stopping: delivery refused so that Slack retries it elsewhere');
    return 'refused';
  }
  try {
    const outcome = await inbox.accept(delivery);
    if (outcome === 'duplicate') {
      metrics.duplicateEvents.inc({ source: 'slack-event' });
      metrics.slackRequests.inc({ kind: 'event', outcome: 'duplicate' });
      log.info({ retryNum }, 'duplicate delivery ignored');
    } else if (outcome === 'spooled') {
      metrics.slackRequests.inc({ kind: 'event', outcome: 'buffered' });
      log.warn({ retryNum }, 'storage unavailable: delivery spooled to disk for replay');
    } else {
      log.debug({ retryNum }, 'delivery recorded in the inbox');
    }
    return outcome;
  } catch (err) {
    metrics.droppedDeliveries.inc();
    metrics.slackRequests.inc({ kind: 'event', outcome: 'refused' });
    log.error(
      { err: { message: (err as Error).message }, retryNum },
      'delivery could not be recorded: answered 503 so that Slack retries it',
    );
    return 'refused';
  }
}

/** Deliveries about one channel are processed in arrival order. */
export function toDelivery(body: Record<string, unknown>): InboxDelivery {
  const event = (body.event ?? {}) as Record<string, unknown>;
  const item = (event.item ?? {}) as Record<string, unknown>;
  const channel = event.channel ?? item.channel;
  const eventId =
    typeof body.event_id === 'string' && body.event_id
      ? body.event_id
      : `sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`;
  return { eventId, orderKey: typeof channel === 'string' && channel ? channel : eventId, body };
}
