import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createApp, type BotApp } from '../app';
import { lockDataDir } from '../data-dir-lock';
import { loadConfig } from '../config';
import type { Logger } from '../logger';
import { startSlackEmulator, type EmulatedMessage, type RecordedCall, type SlackEmulator } from '../emulator/slack-emulator';
import {
  newTriggerId,
  sendInteraction,
  sendSigned,
  sendSlashCommand,
  SLACK_DEFAULTS,
  type SignedResponse,
} from '../emulator/slack-signing';
import { PLAYGROUND_PID_FILE } from '../postmortem/postmortem-cli';
import { startDemoTargets, type DemoTargets } from './demo-targets';
import { dropEmbeddedTemplate, freshEmbeddedDatabase } from './empty-database';
import { alertmanagerPost, seedAlerts, type SeedAlert } from './seed-alerts';
import {
  blockActionsPayload,
  messageEventBody,
  viewClosedPayload,
  viewSubmissionPayload,
  type Channel,
  type ClickedButton,
  type PlaygroundUser,
} from './slack-payloads';

/**
 * The local playground: the bot, wired to the in-process Slack emulator and the embedded database, plus a web page
 * that looks like one Slack channel. What people do on the page travels the way it does at Slack: a signed slash
 * command, a signed `message` event, a signed `block_actions` or `view_submission` payload, POSTed to the bot's
 * `/slack/events`. The page follows the emulator's state through server-sent events.
 *
 * @example
 *   const pg = await startPlayground({ port: 3000, dataDir: './data/playground', logger });
 *   // open pg.url; later:
 *   await pg.stop();
 */
export interface PlaygroundOptions {
  /** The web page's port (default 3000; 0 picks a free one). */
  port?: number;
  /** Where the embedded database and the demo targets' files live; both are recreated at each start. */
  dataDir: string;
  logger: Logger;
  /** Interface to listen on (default 127.0.0.1). Requests must name a loopback Host whatever the interface. */
  host?: string;
  /**
   * The environment the catalog's `${ENV}` references are resolved in, under the demo targets' values (default
   * none: only the demo targets). main passes the shell's environment only with PLAYGROUND_USE_SHELL_ENV=1.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** NODE_ENV of the process: the playground refuses to start in production. */
  nodeEnv?: string;
  /** Catalog and templates (default ./commands, ./templates). */
  commandsDir?: string;
  templatesDir?: string;
  /** Minutes the demo targets take to drift from healthy into alert states (default 4). */
  driftMinutes?: number;
  /** Told each start-up step as it begins (main prints them on a terminal). */
  onProgress?: (step: string) => void;
}

export interface Playground {
  /** The page, e.g. http://127.0.0.1:3000/ */
  url: string;
  port: number;
  bot: BotApp;
  /** The bot's own HTTP endpoint (where the signed requests go). */
  botUrl: string;
  slack: SlackEmulator;
  demo: DemoTargets;
  stop(): Promise<void>;
}

export const PLAYGROUND_CHANNEL: Channel = { id: SLACK_DEFAULTS.channelId, name: SLACK_DEFAULTS.channelName };
/** Where every incident gets its one summary message (INCIDENT_HUB_CHANNEL); incidents get channels of their own. */
export const PLAYGROUND_HUB: Channel = { id: 'C0PLAYHUB1', name: 'incident-hub' };

/** The people in the demo workspace: on-call, a second responder (to approve someone else's request) and a lead. */
export const PLAYGROUND_USERS: PlaygroundUser[] = [
  { id: 'U0ONCALL01', name: 'alice', real_name: 'Alice (on-call)' },
  { id: 'U0ONCALL02', name: 'bob', real_name: 'Bob (SRE)' },
  { id: 'U0LEAD0003', name: 'carol', real_name: 'Carol (incident lead)' },
];

const WEB_FILES: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/block-kit.js': 'block-kit.js',
  '/style.css': 'style.css',
};
const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** The people who may approve anything in the demo workspace (a user group, as a deployment would configure it). */
const PLAYGROUND_RESPONDERS = 'S0PLAYRESP';

export async function startPlayground(opts: PlaygroundOptions): Promise<Playground> {
  if (opts.nodeEnv === 'production') {
    throw new Error(
      'the playground does not start with NODE_ENV=production: it is a local demo without logins. Configure Slack (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET) to run the bot.',
    );
  }
  // Every start empties <dataDir>/db: a second playground on the same directory would delete the first one's database.
  const lock = await lockDataDir(path.resolve(opts.dataDir));
  try {
    const playground = await startUnlocked(opts);
    return {
      ...playground,
      stop: async () => {
        try {
          await playground.stop();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function startUnlocked(opts: PlaygroundOptions): Promise<Playground> {
  const logger = opts.logger;
  // Carried in the page and required on every API call: another web page in the same browser cannot read it.
  const pageToken = randomBytes(24).toString('hex');
  const dataDir = path.resolve(opts.dataDir);
  const botToken = 'xoxb-playground';
  const signingSecret = randomBytes(24).toString('hex');

  opts.onProgress?.('starting the Slack emulator and the demo targets');
  const slack = await startSlackEmulator({ botToken });
  for (const u of PLAYGROUND_USERS) slack.addUser({ ...u, tz: 'UTC' });
  // Public channels everyone is in: the incidents opened there get public rooms.
  for (const c of [PLAYGROUND_CHANNEL, PLAYGROUND_HUB])
    slack.addChannel({ ...c, members: [...PLAYGROUND_USERS.map((u) => u.id), SLACK_DEFAULTS.botUserId] });
  slack.addUsergroup(
    PLAYGROUND_RESPONDERS,
    PLAYGROUND_USERS.map((u) => u.id),
  );
  const demo = await startDemoTargets({ dir: path.join(dataDir, 'demo'), driftMinutes: opts.driftMinutes });

  // A fresh database each time: the channel lives in memory, so incidents from an earlier run would point nowhere.
  let dbDir: string;
  try {
    dbDir = await freshEmbeddedDatabase(dataDir, logger, opts.onProgress);
  } catch (err) {
    await demo.stop();
    await slack.close();
    throw err;
  }
  const base = opts.env ?? {};
  const configFor = (dir: string) =>
    loadConfig({
      SLACK_BOT_TOKEN: botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.url,
      PORT: '0',
      DATA_DIR: dir,
      COMMANDS_DIR: opts.commandsDir ?? base.COMMANDS_DIR,
      TEMPLATES_DIR: opts.templatesDir ?? base.TEMPLATES_DIR,
      LOG_LEVEL: base.LOG_LEVEL,
      SHUTDOWN_TIMEOUT_MS: '2000',
      REMEDIATION_APPROVERS_HIGH: PLAYGROUND_RESPONDERS,
      INCIDENT_HUB_CHANNEL: PLAYGROUND_HUB.id,
      // The on-call group is invited to every incident channel.
      ESCALATION_L1: base.ESCALATION_L1 ?? PLAYGROUND_RESPONDERS,
      APPROVALS_CHANNEL: PLAYGROUND_CHANNEL.id,
      // Only with PLAYGROUND_USE_SHELL_ENV does `base` hold the shell's variables.
      ALERTMANAGER_URL: base.ALERTMANAGER_URL,
      ALERTMANAGER_ROUTES: base.ALERTMANAGER_ROUTES,
      ESCALATION_L2: base.ESCALATION_L2,
      ESCALATION_L3: base.ESCALATION_L3,
    });
  const botEnv = { ...withoutDemoUnset(base, demo), ...demo.env };
  let bot: BotApp;
  try {
    opts.onProgress?.('starting the bot on its embedded database');
    try {
      bot = await createApp(configFor(dbDir), { env: botEnv, logger, host: '127.0.0.1', embedded: true });
    } catch (err) {
      // A template the embedded PostgreSQL can no longer read (after an upgrade): make a new one, once.
      if (!/PGlite|pglite|database/i.test((err as Error).message)) throw err;
      logger.warn({ err: { message: (err as Error).message } }, 'the copied embedded database did not open: creating a new one');
      await dropEmbeddedTemplate(dataDir);
      dbDir = await freshEmbeddedDatabase(dataDir, logger, opts.onProgress);
      bot = await createApp(configFor(dbDir), { env: botEnv, logger, host: '127.0.0.1', embedded: true });
    }
  } catch (err) {
    await demo.stop();
    await slack.close();
    throw err;
  }
  const botPort = await bot.start();
  // `incident-bot postmortem` reads this to tell a running playground (which holds the database) from a stopped one.
  const pidFile = path.join(dataDir, PLAYGROUND_PID_FILE);
  await writeFile(pidFile, `${process.pid}\n`).catch(() => undefined);
  const botUrl = `http://127.0.0.1:${botPort}`;
  const eventsUrl = `${botUrl}/slack/events`;
  const alerts = seedAlerts(bot.catalog);
  const webDir = await findWebDir();

  // Which person a trigger_id belongs to, so a modal the bot opens shows for them; their open views, top last.
  const triggerUsers = new Map<string, string>();
  const openViews = new Map<string, string[]>();
  const localViews = new Map<string, Record<string, unknown>>();
  const viewErrors = new Map<string, Record<string, string>>();

  const sse = new Set<ServerResponse>();
  const broadcast = (what: string) => {
    for (const res of sse) res.write(`event: change\ndata: ${JSON.stringify({ what })}\n\n`);
  };
  const onCall = (c: RecordedCall) => {
    const ok = (c.response as { ok?: boolean } | undefined)?.ok === true;
    if (ok && (c.method === 'views.open' || c.method === 'views.push')) {
      const view = (c.response as { view: { id: string } }).view;
      const userId = triggerUsers.get(String(c.args.trigger_id));
      if (userId) {
        const stack = c.method === 'views.open' ? [] : (openViews.get(userId) ?? []);
        openViews.set(userId, [...stack, view.id]);
      }
    }
    if (ok && c.method === 'views.update') localViews.delete((c.response as { view: { id: string } }).view.id);
    // The bot's own reads change nothing on the page; creating a channel, its topic and bookmarks do.
    const reads =
      c.method.startsWith('auth.') ||
      c.method.startsWith('users.') ||
      c.method.startsWith('usergroups.') ||
      ['conversations.history', 'conversations.replies', 'conversations.info', 'chat.getPermalink'].includes(c.method);
    if (!reads) broadcast(c.method);
  };
  slack.on('call', onCall);

  const userById = (id: unknown): PlaygroundUser => PLAYGROUND_USERS.find((u) => u.id === id) ?? PLAYGROUND_USERS[0]!;
  const newTrigger = (userId: string) => {
    const t = newTriggerId();
    triggerUsers.set(t, userId);
    return t;
  };
  const viewById = (id: string) => localViews.get(id) ?? slack.view(id);
  /** The alerts channel, the hub and the channels the bot created for incidents, in that order. */
  const channels = (): Channel[] => [
    PLAYGROUND_CHANNEL,
    PLAYGROUND_HUB,
    ...slack.createdChannels().map((c) => ({ id: c.id, name: c.name })),
  ];
  /** A channel the page may act in: only those it shows (a page cannot post in a channel id it made up). */
  const channelOf = (id: unknown): Channel | undefined =>
    id === undefined || id === '' ? PLAYGROUND_CHANNEL : channels().find((c) => c.id === id);

  function findMessage(channel: string, ts: string): { message: EmulatedMessage; ephemeral: boolean } | undefined {
    for (const m of slack.messages(channel)) {
      if (m.ts === ts) return { message: m, ephemeral: false };
      const r = m.replies?.find((x) => x.ts === ts);
      if (r) return { message: r, ephemeral: false };
    }
    const e = slack.ephemeralMessages(channel).find((x) => x.ts === ts);
    return e ? { message: e, ephemeral: true } : undefined;
  }

  /** What the bot answered in the HTTP response itself (`ack({ text })`) goes where Slack would show it. */
  async function deliverAckBody(res: SignedResponse, responseUrl: string): Promise<void> {
    if (res.status !== 200 || res.body.trim() === '') return;
    const body = res.json && typeof res.json === 'object' ? (res.json as Record<string, unknown>) : { text: res.body };
    if (body.text === undefined && body.blocks === undefined) return;
    await fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  async function postMessageEvent(message: EmulatedMessage): Promise<SignedResponse> {
    broadcast('message');
    return sendSigned(eventsUrl, { signingSecret }, JSON.stringify(messageEventBody(message)), 'application/json');
  }

  const api: Record<string, (body: Record<string, unknown>) => Promise<unknown>> = {
    /** The composer: `/incident …` becomes a slash command, anything else a message (in a thread with threadTs). */
    async compose(body) {
      const user = userById(body.user);
      const channel = channelOf(body.channel);
      if (!channel) return { ok: false, error: 'unknown_channel' };
      const text = String(body.text ?? '').trim();
      const threadTs = typeof body.threadTs === 'string' && body.threadTs !== '' ? body.threadTs : undefined;
      if (text === '') return { ok: false, error: 'empty' };
      const command = /^(\/[a-z0-9_-]+)(?:\s+([\s\S]*))?$/i.exec(text);
      if (command) {
        const name = command[1]!.toLowerCase();
        if (name !== '/incident') {
          await fetch(slack.responseUrl({ channel: channel.id, userId: user.id }), {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ text: `${name} is not a valid command. In the playground, the bot answers /incident.` }),
          });
          return { ok: false, error: 'unknown_command' };
        }
        const responseUrl = slack.responseUrl({ channel: channel.id, userId: user.id, ...(threadTs ? { threadTs } : {}) });
        const res = await sendSlashCommand(
          eventsUrl,
          { signingSecret },
          {
            text: command[2] ?? '',
            channel_id: channel.id,
            channel_name: channel.name,
            user_id: user.id,
            user_name: user.name,
            response_url: responseUrl,
            trigger_id: newTrigger(user.id),
          },
        );
        await deliverAckBody(res, responseUrl);
        return { ok: res.status === 200, status: res.status };
      }
      // Slack's clients escape &, < and > in what people type; only the app's own markup uses them.
      const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      const message = slack.postAs(channel.id, {
        text: escaped,
        user: user.id,
        team: SLACK_DEFAULTS.teamId,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      const res = await postMessageEvent(message);
      return { ok: res.status === 200, ts: message.ts };
    },

    /** The alert menu: the post Alertmanager would make, then the `bot_message` event Slack would deliver. */
    async alert(body) {
      const alert = alerts.find((a) => a.name === body.name);
      if (!alert) return { ok: false, error: 'unknown_alert' };
      const message = slack.postAs(PLAYGROUND_CHANNEL.id, alertmanagerPost(alert));
      const res = await postMessageEvent(message);
      return { ok: res.status === 200, ts: message.ts };
    },

    /** A click on a button (or a choice in a select) of a message. */
    async action(body) {
      const user = userById(body.user);
      const channel = channelOf(body.channel);
      if (!channel) return { ok: false, error: 'unknown_channel' };
      const found = findMessage(channel.id, String(body.messageTs));
      if (!found) return { ok: false, error: 'message_not_found' };
      const responseUrl = slack.responseUrl({
        channel: channel.id,
        messageTs: found.message.ts,
        userId: user.id,
        ...(found.message.thread_ts ? { threadTs: found.message.thread_ts } : {}),
      });
      const payload = blockActionsPayload({
        user,
        channel,
        message: found.message,
        ephemeral: found.ephemeral,
        action: body.action as ClickedButton,
        responseUrl,
        triggerId: newTrigger(user.id),
        nowMs: Date.now(),
      });
      const res = await sendInteraction(eventsUrl, { signingSecret }, payload);
      await deliverAckBody(res, responseUrl);
      return { ok: res.status === 200, status: res.status };
    },

    /** The modal's submit button. */
    async submit(body) {
      const user = userById(body.user);
      const viewId = String(body.viewId);
      const view = viewById(viewId);
      if (!view) return { ok: false, error: 'view_not_found' };
      const values = (body.values ?? {}) as Record<string, Record<string, unknown>>;
      const res = await sendInteraction(
        eventsUrl,
        { signingSecret },
        viewSubmissionPayload({ user, view, values, triggerId: newTrigger(user.id) }),
      );
      const stack = openViews.get(user.id) ?? [];
      const answer = res.json && typeof res.json === 'object' ? (res.json as Record<string, unknown>) : {};
      viewErrors.delete(viewId);
      if (res.status !== 200) return { ok: false, status: res.status };
      switch (answer.response_action) {
        case 'errors':
          viewErrors.set(viewId, (answer.errors ?? {}) as Record<string, string>);
          break;
        case 'update': {
          localViews.set(viewId, { ...view, ...(answer.view as object), id: viewId });
          break;
        }
        case 'push': {
          const id = `VPLAY${randomBytes(4).toString('hex').toUpperCase()}`;
          localViews.set(id, { ...(answer.view as object), id });
          openViews.set(user.id, [...stack, id]);
          break;
        }
        case 'clear':
          openViews.set(user.id, []);
          break;
        default:
          openViews.set(
            user.id,
            stack.filter((id) => id !== viewId),
          );
      }
      broadcast('view');
      return { ok: true, responseAction: answer.response_action ?? null };
    },

    /** The modal's close button (the bot hears about it only when it asked to, with notify_on_close). */
    async close(body) {
      const user = userById(body.user);
      const viewId = String(body.viewId);
      const view = viewById(viewId);
      openViews.set(
        user.id,
        (openViews.get(user.id) ?? []).filter((id) => id !== viewId),
      );
      if (view?.notify_on_close === true) await sendInteraction(eventsUrl, { signingSecret }, viewClosedPayload({ user, view }));
      broadcast('view');
      return { ok: true };
    },
  };

  function state(userId: string, channelId: string) {
    const user = userById(userId);
    const channel = channelOf(channelId) ?? PLAYGROUND_CHANNEL;
    // Incident rooms show their topic, bookmarks and members; the alerts channel and the hub keep their page texts.
    const info = slack.createdChannels().find((c) => c.id === channel.id);
    return {
      channel: {
        ...channel,
        ...(info
          ? { topic: info.topic.value, bookmarks: info.bookmarks.map((b) => ({ title: b.title, link: b.link })), members: info.members }
          : {}),
      },
      channels: channels().map((c) => ({
        ...c,
        kind: c.id === PLAYGROUND_CHANNEL.id ? 'alerts' : c.id === PLAYGROUND_HUB.id ? 'hub' : 'incident',
      })),
      me: user,
      users: [...PLAYGROUND_USERS, { id: 'U0INCIDENTBOT', name: 'incident-bot', real_name: 'Incident Bot', is_bot: true }],
      messages: slack.messages(channel.id),
      ephemerals: slack.ephemeralMessages(channel.id).filter((e) => e.recipient === user.id),
      views: (openViews.get(user.id) ?? []).map((id) => ({ view: viewById(id), errors: viewErrors.get(id) ?? {} })).filter((v) => v.view),
      alerts: alerts.map((a: SeedAlert) => ({ name: a.name, runbook: a.runbook, severity: a.severity })),
      demo: { level: Math.round(demo.level() * 100) / 100, unset: demo.unset, env: Object.keys(demo.env) },
    };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://playground');
    // DNS rebinding and other web pages: only a loopback Host, only our own Origin.
    const refused = refuseForeign(req, (web.address() as AddressInfo).port);
    if (refused) return sendJson(res, 403, { ok: false, error: refused });
    const file = WEB_FILES[url.pathname];
    if (req.method === 'GET' && file) {
      let body = await readFile(path.join(webDir, file));
      if (file === 'index.html')
        body = Buffer.from(body.toString('utf8').replace('<head>', `<head>\n    <meta name="playground-token" content="${pageToken}" />`));
      res.writeHead(200, { 'content-type': CONTENT_TYPES[file.split('.').pop()!]!, 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    if (
      (url.pathname.startsWith('/api/') || url.pathname === '/events') &&
      !tokenMatches(req.headers['x-playground-token'] ?? url.searchParams.get('token'), pageToken)
    ) {
      return sendJson(res, 403, { ok: false, error: 'missing or wrong playground token: reload the page' });
    }
    // The operator endpoints are the bot's own, on the playground's port as they would be in production.
    if (url.pathname.startsWith('/health/') || url.pathname === '/metrics' || url.pathname === '/webhooks/alertmanager') {
      await proxyToBot(req, res, `${botUrl}${url.pathname}${url.search}`);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write('retry: 1000\n\n');
      sse.add(res);
      req.once('close', () => sse.delete(res));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/state') {
      return sendJson(res, 200, state(url.searchParams.get('user') ?? '', url.searchParams.get('channel') ?? ''));
    }
    const fileId = /^\/api\/files\/(F[A-Z0-9]{1,40})$/.exec(url.pathname)?.[1];
    if (req.method === 'GET' && fileId) return sendFile(res, fileId, url.searchParams.get('download') === '1');
    const call = /^\/api\/(compose|alert|action|submit|close)$/.exec(url.pathname);
    if (req.method === 'POST' && call) {
      if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
        return sendJson(res, 415, { ok: false, error: 'the playground API takes application/json only' });
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(await readText(req)) as Record<string, unknown>;
      } catch {
        return sendJson(res, 400, { ok: false, error: 'invalid_json' });
      }
      return sendJson(res, 200, await api[call[1]!]!(body));
    }
    sendJson(res, 404, { ok: false, error: 'not_found' });
  }

  /** A file shared in the channel, as its preview reads it or as a download (the bytes the bot uploaded). */
  function sendFile(res: ServerResponse, id: string, download: boolean): void {
    const file = slack
      .uploadedFiles()
      .find((f) => f.id === id && f.uploaded && f.channels.some((c) => channels().some((shown) => shown.id === c)));
    if (!file) return sendJson(res, 404, { ok: false, error: 'file_not_found' });
    const markdown = file.filetype === 'markdown' || /\.md$/i.test(file.name);
    const name = file.name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120) || 'file';
    res.writeHead(200, {
      'content-type': markdown
        ? 'text/markdown; charset=utf-8'
        : file.mimetype.startsWith('text/')
          ? `${file.mimetype}; charset=utf-8`
          : 'application/octet-stream',
      'content-disposition': `${download ? 'attachment' : 'inline'}; filename="${name}"`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    res.end(file.bytes);
  }

  const web = createServer((req, res) => {
    route(req, res).catch((err: Error) => {
      logger.error({ err: { message: err.message, stack: err.stack } }, 'playground request failed');
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: err.message });
      else res.end();
    });
  });
  const heartbeat = setInterval(() => {
    for (const res of sse) res.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();
  try {
    await new Promise<void>((resolve, reject) => {
      web.once('error', reject);
      web.listen(opts.port ?? 3000, opts.host ?? '127.0.0.1', () => resolve());
    });
  } catch (err) {
    await bot.stop();
    await demo.stop();
    await slack.close();
    throw err;
  }
  const port = (web.address() as AddressInfo).port;
  const shownHost = opts.host && opts.host !== '0.0.0.0' && opts.host !== '::' ? opts.host : '127.0.0.1';
  // On a loopback interface the page answers to localhost too, the name people type.
  const url = LOOPBACK_HOSTS.includes(shownHost)
    ? `http://localhost:${port}/`
    : `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}/`;
  logger.debug({ url, bot: botUrl, slackEmulator: slack.url, demoTargets: demo.url, notConfigured: demo.unset }, 'playground ready');

  return {
    url,
    port,
    bot,
    botUrl,
    slack,
    demo,
    async stop() {
      clearInterval(heartbeat);
      slack.off('call', onCall);
      for (const res of sse) res.end();
      sse.clear();
      await new Promise<void>((resolve) => {
        web.close(() => resolve());
        web.closeAllConnections();
      });
      await bot.stop();
      await demo.stop();
      await slack.close();
      await rm(pidFile, { force: true });
    },
  };
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** Why a request is not from a page the playground served on this machine, or undefined. */
function refuseForeign(req: IncomingMessage, port: number): string | undefined {
  const allowed = LOOPBACK_HOSTS.map((h) => `${h}:${port}`);
  const host = (req.headers.host ?? '').toLowerCase();
  if (!allowed.includes(host))
    return `Host ${JSON.stringify(host.slice(0, 100))} is not this playground: open it at http://127.0.0.1:${port}/`;
  const origin = req.headers.origin;
  if (origin !== undefined && !allowed.some((h) => origin.toLowerCase() === `http://${h}`))
    return 'requests from other web pages are refused';
  return undefined;
}

function tokenMatches(given: string | string[] | null | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The variables the demo leaves unset are taken from `env` when the user set them; the demo's own always win. */
function withoutDemoUnset(env: Readonly<Record<string, string | undefined>>, demo: DemoTargets): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) if (!(k in demo.env)) out[k] = v;
  return out;
}

/** src/playground/web next to this file (ts-node, jest) or, from dist/playground, the source tree's copy. */
async function findWebDir(): Promise<string> {
  const candidates = [path.join(__dirname, 'web'), path.resolve(__dirname, '../../src/playground/web')];
  for (const dir of candidates) {
    try {
      await readFile(path.join(dir, 'index.html'));
      return dir;
    } catch {
      // next
    }
  }
  throw new Error(`playground web files not found (looked in ${candidates.join(', ')})`);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function readText(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1_000_000) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function proxyToBot(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
  const body = req.method === 'POST' ? await readText(req) : undefined;
  const answer = await fetch(target, {
    method: req.method,
    headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') },
    body,
  });
  res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
  res.end(Buffer.from(await answer.arrayBuffer()));
}
