import type { AllMiddlewareArgs, App, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';

export type ViewSubmissionHandler = (args: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) => Promise<void>;

const routers = new WeakMap<App, Map<string, ViewSubmissionHandler>>();

/**
 * Registers the handler of one modal's submission by its callback_id. Bolt runs every registered listener's
 * matchers on every request (each command and click too), so all modals share one Bolt listener that looks the
 * handler up. A submission nobody registered is left to Bolt's own answer for an unhandled request.
 *
 * @example onViewSubmission(app, OPEN_INCIDENT_CALLBACK_ID, async ({ ack, view }) => { … });
 */
export function onViewSubmission(app: App, callbackId: string, handler: ViewSubmissionHandler): void {
  let table = routers.get(app);
  if (!table) {
    const created = new Map<string, ViewSubmissionHandler>();
    table = created;
    routers.set(app, created);
    app.view<ViewSubmitAction>({ type: 'view_submission' }, async (args) => {
      const found = created.get(args.view.callback_id);
      if (found) await found(args);
    });
  }
  if (table.has(callbackId)) throw new Error(`two handlers for the modal ${callbackId}`);
  table.set(callbackId, handler);
}
