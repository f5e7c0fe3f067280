import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';

export type ButtonHandler = (args: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs) => Promise<void>;

const routers = new WeakMap<App, Map<string, ButtonHandler>>();

/**
 * Registers a button handler by action_id. Bolt runs every registered listener's middleware chain
 * on every request, so one `app.action` per button made each ack pay for all of them; every button
 * goes through one Bolt listener that looks its handler up instead. A click with an action_id
 * nobody registered gets no handler, as it would get no listener.
 */
export function onButton(app: App, actionId: string, handler: ButtonHandler): void {
  let handlers = routers.get(app);
  if (!handlers) {
    const table = new Map<string, ButtonHandler>();
    handlers = table;
    routers.set(app, table);
    app.action<BlockAction<ButtonAction>>({ type: 'block_actions' }, async (args) => {
      await table.get(args.action.action_id)?.(args);
    });
  }
  if (handlers.has(actionId)) throw new Error(`two handlers for the button ${actionId}`);
  handlers.set(actionId, handler);
}
