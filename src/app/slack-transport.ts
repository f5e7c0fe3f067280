import path from 'node:path';
import type { SlackConfig } from '../config';
import { createReplayGuard, type ReplayGuard } from '../coordination/replay-guard';
import { createDeliverySpool } from '../inbox/delivery-spool';
import { createInboxProcessor, type InboxProcessor } from '../inbox/inbox-processor';
import { createChannelAccess, type ChannelAccess } from '../slack/channel-access';
import { createSlackApp, type SlackApp } from '../slack/create-slack-app';
import { recordDelivery, toDelivery } from '../slack/event-intake';
import { createSlackPoster, isSlackUnavailable, type SlackPoster } from '../slack/slack-poster';
import { createUsergroupMembership, type UsergroupMembership } from '../slack/usergroup-membership';
import type { AppCore } from './core';

/** How the bot hears from and talks to Slack: the inbox in front of Bolt, Bolt, and the clients the listeners share. */
export interface SlackTransport {
  slack: SlackApp;
  inbox: InboxProcessor;
  /** Closed after the last request (stopApp): it writes the signatures still waiting for PostgreSQL. */
  replayGuard: ReplayGuard;
  poster: SlackPoster;
  membership: UsergroupMembership;
  channelAccess: ChannelAccess;
}

/** Every Slack delivery is written to the inbox first; the inbox hands it to Bolt, retrying while Slack is unavailable. */
export function createSlackTransport(core: AppCore, slackConfig: SlackConfig): SlackTransport {
  const { config, db, stores, coordination, logger, metrics } = core;
  const replayGuard = createReplayGuard({
    coordination,
    durable: stores.processedEvents,
    singleProcess: db.kind === 'embedded',
    logger,
  });
  const inbox = createInboxProcessor({
    store: stores.inbox,
    spool: createDeliverySpool({ dir: path.join(config.dataDir, 'inbox-spool'), logger }),
    owner: core.replicaId,
    handle: (d) => slack.processDelivery(d.body, { attempts: d.attempts }),
    isTransient: isSlackUnavailable,
    logger,
    onChange: ({ spooled }) => metrics.bufferedDeliveries.set(spooled),
    // One embedded replica finds its own deliveries at once (accept kicks a claim): polling is only for retries.
    pollMs: db.kind === 'embedded' ? 1_000 : 250,
  });
  const slack = createSlackApp({
    config: slackConfig,
    logger,
    metrics,
    recordEvent: (body) => recordDelivery(inbox, toDelivery(body), logger, metrics),
    isFirstSignedRequest: (signature) => replayGuard.isFirst(signature),
  });
  return {
    slack,
    inbox,
    replayGuard,
    poster: createSlackPoster({ client: slack.client, postClient: slack.postClient, coordination, logger }),
    membership: createUsergroupMembership({ client: slack.client, logger }),
    channelAccess: createChannelAccess(slack.client),
  };
}
