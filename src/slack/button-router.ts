import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';

export type ButtonHandler = (args: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs) => Promise<void>;

interface ButtonTable {
  exact: Map<string, ButtonHandler>;
  patterns: [RegExp, ButtonHandler][];
}

const routers = new WeakMap<App, ButtonTable>();

/**
 * Registers a button handler by action_id (or a pattern of them). Bolt runs every registered
 * listener's middleware chain on every request, so one `app.action` per button made each ack pay for
 * all of them; every button goes through one Bolt listener that looks its handler up instead.
 * A click with an action_id nobody registered gets no handler, as it would get no listener.
 */
export function onButton(app: App, actionId: string | RegExp, handler: ButtonHandler): void {
  let table = routers.get(app);
  if (!table) {
    const created: ButtonTable = { exact: new Map(), patterns: [] };
    table = created;
    routers.set(app, created);
    app.action<BlockAction<ButtonAction>>({ type: 'block_actions' }, async (args) => {
      const id = args.action.action_id;
      const found = created.exact.get(id) ?? created.patterns.find(([re]) => re.test(id))?.[1];
      await found?.(args);
    });
  }
  if (typeof actionId !== 'string') {
    table.patterns.push([actionId, handler]);
    return;
  }
  if (table.exact.has(actionId)) throw new Error(`two handlers for the button ${actionId}`);
  table.exact.set(actionId, handler);
}
