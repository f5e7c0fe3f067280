import type { AllMiddlewareArgs, App, SlackEventMiddlewareArgs } from '@slack/bolt';

export type EventHandler<T extends string> = (args: SlackEventMiddlewareArgs<T> & AllMiddlewareArgs) => Promise<void>;

const routers = new WeakMap<App, Map<string, EventHandler<string>>>();

/**
 * Registers the handler of one Events API event type. Bolt runs every registered listener's matchers on every
 * request (each command and click too), so all event types share one Bolt listener that looks the handler up.
 *
 * @example onEvent(app, 'reaction_added', async ({ event }) => { … });
 */
export function onEvent<T extends string>(app: App, type: T, handler: EventHandler<T>): void {
  let table = routers.get(app);
  if (!table) {
    const created = new Map<string, EventHandler<string>>();
    table = created;
    routers.set(app, created);
    app.event(/.*/, async (args) => {
      const found = created.get(args.event.type);
      if (found) await found(args);
    });
  }
  if (table.has(type)) throw new Error(`two handlers for the event ${type}`);
  table.set(type, handler as unknown as EventHandler<string>);
}
