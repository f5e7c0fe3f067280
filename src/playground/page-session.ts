import type { ServerResponse } from 'node:http';
import type { EmulatedMessage, RecordedCall, SlackEmulator } from '../emulator/slack-emulator';
import { newTriggerId } from '../emulator/slack-signing';
import type { DemoTargets } from './demo-targets';
import type { SeedAlert } from './seed-alerts';
import type { Channel, PlaygroundUser } from './slack-payloads';
import { PLAYGROUND_CHANNEL, PLAYGROUND_HUB, PLAYGROUND_USERS } from './workspace';

/**
 * What the page shows besides the emulator's own state: the modals each person has open (top last), the views the
 * page changed itself, and the browsers following changes over server-sent events.
 */
export interface PageSession {
  slack: SlackEmulator;
  demo: DemoTargets;
  alerts: SeedAlert[];
  /** The bot's `/slack/events`, where the signed requests go. */
  eventsUrl: string;
  signingSecret: string;
  openViews: Map<string, string[]>;
  localViews: Map<string, Record<string, unknown>>;
  viewErrors: Map<string, Record<string, string>>;
  sse: Set<ServerResponse>;
  broadcast(what: string): void;
  /** Follows the bot's Web API calls: modals it opens, and anything that changes the page. */
  onCall(c: RecordedCall): void;
  userById(id: unknown): PlaygroundUser;
  /** A new trigger_id, remembered as this person's, so a modal the bot opens with it shows for them. */
  newTrigger(userId: string): string;
  viewById(id: string): Record<string, unknown> | undefined;
  /** The alerts channel, the hub and the channels the bot created for incidents, in that order. */
  channels(): Channel[];
  /** A channel the page may act in: only those it shows (a page cannot post in a channel id it made up). */
  channelOf(id: unknown): Channel | undefined;
  findMessage(channel: string, ts: string): { message: EmulatedMessage; ephemeral: boolean } | undefined;
}

export function createPageSession(deps: Pick<PageSession, 'slack' | 'demo' | 'alerts' | 'eventsUrl' | 'signingSecret'>): PageSession {
  const { slack } = deps;
  const triggerUsers = new Map<string, string>();
  const openViews = new Map<string, string[]>();
  const localViews = new Map<string, Record<string, unknown>>();
  const sse = new Set<ServerResponse>();
  const broadcast = (what: string) => {
    for (const res of sse) res.write(`event: change\ndata: ${JSON.stringify({ what })}\n\n`);
  };
  const channels = (): Channel[] => [
    PLAYGROUND_CHANNEL,
    PLAYGROUND_HUB,
    ...slack.createdChannels().map((c) => ({ id: c.id, name: c.name })),
  ];
  return {
    ...deps,
    openViews,
    localViews,
    viewErrors: new Map(),
    sse,
    broadcast,
    onCall: (c) => followCall(c, { triggerUsers, openViews, localViews, broadcast }),
    userById: (id) => PLAYGROUND_USERS.find((u) => u.id === id) ?? PLAYGROUND_USERS[0]!,
    newTrigger: (userId) => {
      const t = newTriggerId();
      triggerUsers.set(t, userId);
      return t;
    },
    viewById: (id) => localViews.get(id) ?? slack.view(id),
    channels,
    channelOf: (id) => (id === undefined || id === '' ? PLAYGROUND_CHANNEL : channels().find((c) => c.id === id)),
    findMessage: (channel, ts) => findMessage(slack, channel, ts),
  };
}

function followCall(
  c: RecordedCall,
  s: Pick<PageSession, 'openViews' | 'localViews' | 'broadcast'> & { triggerUsers: Map<string, string> },
): void {
  const ok = (c.response as { ok?: boolean } | undefined)?.ok === true;
  if (ok && (c.method === 'views.open' || c.method === 'views.push')) {
    const view = (c.response as { view: { id: string } }).view;
    const userId = s.triggerUsers.get(String(c.args.trigger_id));
    if (userId) {
      const stack = c.method === 'views.open' ? [] : (s.openViews.get(userId) ?? []);
      s.openViews.set(userId, [...stack, view.id]);
    }
  }
  if (ok && c.method === 'views.update') s.localViews.delete((c.response as { view: { id: string } }).view.id);
  // The bot's own reads change nothing on the page; creating a channel, its topic and bookmarks do.
  const reads =
    c.method.startsWith('auth.') ||
    c.method.startsWith('users.') ||
    c.method.startsWith('usergroups.') ||
    ['conversations.history', 'conversations.replies', 'conversations.info', 'chat.getPermalink'].includes(c.method);
  if (!reads) s.broadcast(c.method);
}

function findMessage(slack: SlackEmulator, channel: string, ts: string): { message: EmulatedMessage; ephemeral: boolean } | undefined {
  for (const m of slack.messages(channel)) {
    if (m.ts === ts) return { message: m, ephemeral: false };
    const r = m.replies?.find((x) => x.ts === ts);
    if (r) return { message: r, ephemeral: false };
  }
  const e = slack.ephemeralMessages(channel).find((x) => x.ts === ts);
  return e ? { message: e, ephemeral: true } : undefined;
}

/** What the page draws for this person in this channel. */
export function pageState(s: PageSession, userId: string, channelId: string) {
  const user = s.userById(userId);
  const channel = s.channelOf(channelId) ?? PLAYGROUND_CHANNEL;
  // Incident rooms show their topic, bookmarks and members; the alerts channel and the hub keep their page texts.
  const info = s.slack.createdChannels().find((c) => c.id === channel.id);
  return {
    channel: {
      ...channel,
      ...(info
        ? { topic: info.topic.value, bookmarks: info.bookmarks.map((b) => ({ title: b.title, link: b.link })), members: info.members }
        : {}),
    },
    channels: s.channels().map((c) => ({
      ...c,
      kind: c.id === PLAYGROUND_CHANNEL.id ? 'alerts' : c.id === PLAYGROUND_HUB.id ? 'hub' : 'incident',
    })),
    me: user,
    users: [...PLAYGROUND_USERS, { id: 'U0INCIDENTBOT', name: 'incident-bot', real_name: 'Incident Bot', is_bot: true }],
    messages: s.slack.messages(channel.id),
    ephemerals: s.slack.ephemeralMessages(channel.id).filter((e) => e.recipient === user.id),
    views: (s.openViews.get(user.id) ?? [])
      .map((id) => ({ view: s.viewById(id), errors: s.viewErrors.get(id) ?? {} }))
      .filter((v) => v.view),
    alerts: s.alerts.map((a: SeedAlert) => ({ name: a.name, runbook: a.runbook, severity: a.severity })),
    demo: { level: Math.round(s.demo.level() * 100) / 100, unset: s.demo.unset, env: Object.keys(s.demo.env) },
  };
}
