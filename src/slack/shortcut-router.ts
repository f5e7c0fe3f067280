import type { AllMiddlewareArgs, App, MessageShortcut, SlackShortcutMiddlewareArgs } from '@slack/bolt';

export type MessageShortcutHandler = (args: SlackShortcutMiddlewareArgs<MessageShortcut> & AllMiddlewareArgs) => Promise<void>;

const routers = new WeakMap<App, Map<string, MessageShortcutHandler>>();

/**
 * Registers the handler of one message shortcut (manifest.yml) by its callback_id. Bolt runs every registered
 * listener's matchers on every request (each command and click too), so all message shortcuts share one Bolt
 * listener that looks the handler up.
 *
 * @example onMessageShortcut(app, TIMELINE_SHORTCUT_CALLBACK_ID, async ({ ack, shortcut }) => { … });
 */
export function onMessageShortcut(app: App, callbackId: string, handler: MessageShortcutHandler): void {
  let table = routers.get(app);
  if (!table) {
    const created = new Map<string, MessageShortcutHandler>();
    table = created;
    routers.set(app, created);
    app.shortcut<MessageShortcut>({ type: 'message_action' }, async (args) => {
      const found = created.get(args.shortcut.callback_id);
      if (found) await found(args);
    });
  }
  if (table.has(callbackId)) throw new Error(`two handlers for the message shortcut ${callbackId}`);
  table.set(callbackId, handler);
}
