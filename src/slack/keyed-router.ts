import type {
  AllMiddlewareArgs,
  AnyMiddlewareArgs,
  App,
  BlockAction,
  ButtonAction,
  MessageShortcut,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
  SlackEventMiddlewareArgs,
  SlackShortcutMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';

export type CommandHandler = (args: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => Promise<void>;
export type ClickHandler = (args: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs) => Promise<void>;
export type EventHandler<T extends string> = (args: SlackEventMiddlewareArgs<T> & AllMiddlewareArgs) => Promise<void>;
export type ViewSubmissionHandler = (args: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) => Promise<void>;
export type MessageShortcutHandler = (args: SlackShortcutMiddlewareArgs<MessageShortcut> & AllMiddlewareArgs) => Promise<void>;

/** The kinds of request the bot answers, and what a handler of each is registered by. */
type Kind = 'command' | 'block_actions' | 'event' | 'view_submission' | 'message_action';
type Handler = (args: AnyMiddlewareArgs & AllMiddlewareArgs) => Promise<void>;
type Table = Map<Kind, Map<string, Handler>>;

const tables = new WeakMap<App, Table>();

/**
 * Registers the handler of one kind of request and key. Bolt runs every listener's matchers (a chain of promises
 * and argument copies each) on every request, so the bot registers no Bolt listener at all: one middleware, added
 * after the first (create-slack-app.ts), finds the request's handler by its kind and key and runs it. A request
 * nobody registered goes on to Bolt's answer for an unhandled one, as it did with a listener per kind.
 */
function register(app: App, kind: Kind, key: string, handler: Handler, what: string): void {
  let table = tables.get(app);
  if (!table) {
    const created: Table = new Map();
    table = created;
    tables.set(app, created);
    app.use(async (args) => {
      const found = handlerOf(created, args.body as unknown as Record<string, unknown>);
      if (found) await found(args);
      else await args.next();
    });
  }
  let keys = table.get(kind);
  if (!keys) table.set(kind, (keys = new Map()));
  if (keys.has(key)) throw new Error(`two handlers for the ${what} ${key}`);
  keys.set(key, handler);
}

/** The handler of a request, found by its kind and key as Bolt's matchers for `app.command`, `app.action` … would. */
function handlerOf(table: Table, body: Record<string, unknown>): Handler | undefined {
  if (typeof body.command === 'string') return table.get('command')?.get(body.command);
  switch (body.type) {
    case 'block_actions':
      return Array.isArray(body.actions) && body.actions.length > 0 ? table.get('block_actions')?.get('') : undefined;
    case 'event_callback': {
      const type = (body.event as { type?: unknown } | undefined)?.type;
      return typeof type === 'string' ? table.get('event')?.get(type) : undefined;
    }
    case 'view_submission': {
      const id = (body.view as { callback_id?: unknown } | undefined)?.callback_id;
      return typeof id === 'string' ? table.get('view_submission')?.get(id) : undefined;
    }
    case 'message_action':
      return typeof body.callback_id === 'string' ? table.get('message_action')?.get(body.callback_id) : undefined;
    default:
      return undefined;
  }
}

/** Registers the handler of a slash command, e.g. `/incident`. */
export function onCommand(app: App, command: string, handler: CommandHandler): void {
  register(app, 'command', command, handler as unknown as Handler, 'command');
}

/** Registers the one handler of every click (button-router.ts finds the button's own handler). */
export function onClick(app: App, handler: ClickHandler): void {
  register(app, 'block_actions', '', handler as unknown as Handler, 'clicks');
}

/**
 * Registers the handler of one Events API event type.
 *
 * @example onEvent(app, 'reaction_added', async ({ event }) => { … });
 */
export function onEvent<T extends string>(app: App, type: T, handler: EventHandler<T>): void {
  register(app, 'event', type, handler as unknown as Handler, 'event');
}

/**
 * Registers the handler of one modal's submission by its callback_id.
 *
 * @example onViewSubmission(app, OPEN_INCIDENT_CALLBACK_ID, async ({ ack, view }) => { … });
 */
export function onViewSubmission(app: App, callbackId: string, handler: ViewSubmissionHandler): void {
  register(app, 'view_submission', callbackId, handler as unknown as Handler, 'modal');
}

/**
 * Registers the handler of one message shortcut (manifest.yml) by its callback_id.
 *
 * @example onMessageShortcut(app, TIMELINE_SHORTCUT_CALLBACK_ID, async ({ ack, shortcut }) => { … });
 */
export function onMessageShortcut(app: App, callbackId: string, handler: MessageShortcutHandler): void {
  register(app, 'message_action', callbackId, handler as unknown as Handler, 'message shortcut');
}
