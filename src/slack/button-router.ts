import type {
  AllMiddlewareArgs,
  App,
  BlockAction,
  ButtonAction,
  RespondArguments,
  RespondFn,
  SlackActionMiddlewareArgs,
} from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { Logger } from '../logger';
import { BUTTON_ACTION_IDS, isKnownButton } from './button-ids';
import { onClick } from './keyed-router';
import { respondWithError } from './error-reply';

export type ButtonHandler = (args: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs) => Promise<void>;

interface ButtonTable {
  exact: Map<string, ButtonHandler>;
  patterns: [RegExp, ButtonHandler][];
}

const routers = new WeakMap<App, ButtonTable>();

/** What a click on a button this bot no longer handles (an old message, a removed feature) is answered. */
export const UNHANDLED_BUTTON_TEXT =
  'This button is not handled by this version of incident-bot (the message may be older than the bot). `/incident help` lists what it can do.';

/**
 * Registers a button handler by action_id (or a pattern of them). Every click goes through one handler
 * (`onClick`, keyed-router.ts) that looks the button's handler up: no Bolt listener per button, whose
 * matchers every request would run.
 *
 * Every click is answered: ephemeral replies to a click inside a thread go to that thread (chat.postEphemeral
 * with `thread_ts`; Slack's response_url would put them at the bottom of the channel), a handler that throws
 * gets its error answered like a command's (a BotError's own words, "storage unavailable", or a logged bug), and
 * an action_id nobody registered is told so. Only ids listed in `button-ids.ts` can be registered, so the list
 * the tests click through is the list the bot handles.
 */
export function onButton(app: App, actionId: string | RegExp, handler: ButtonHandler): void {
  let table = routers.get(app);
  if (!table) {
    const created: ButtonTable = { exact: new Map(), patterns: [] };
    table = created;
    routers.set(app, created);
    onClick(app, async (args) => {
      const id = args.action.action_id;
      const found = created.exact.get(id) ?? created.patterns.find(([re]) => re.test(id))?.[1];
      let acked = false;
      const ack: typeof args.ack = async (response) => {
        if (acked) return;
        acked = true;
        await args.ack(response);
      };
      const respond = answerInThread(args);
      const log = args.context.log as Logger | undefined;
      if (!found) {
        await ack();
        await respond({ response_type: 'ephemeral', replace_original: false, text: UNHANDLED_BUTTON_TEXT }).catch(() => undefined);
        log?.warn({ actionId: id.slice(0, 80) }, 'click on a button no handler is registered for');
        return;
      }
      try {
        await found({ ...args, ack, respond });
      } catch (err) {
        await ack().catch(() => undefined);
        if (log) await respondWithError(err, respond, log, `the ${id.slice(0, 60)} button`);
        else throw err;
      }
    });
  }
  const name = typeof actionId === 'string' ? actionId : actionId.source;
  if (!isKnownButton(actionId)) throw new Error(`the button ${name} is not listed in BUTTON_ACTION_IDS (src/slack/button-ids.ts)`);
  if (typeof actionId !== 'string') {
    table.patterns.push([actionId, handler]);
    return;
  }
  if (table.exact.has(actionId)) throw new Error(`two handlers for the button ${actionId}`);
  table.exact.set(actionId, handler);
}

/** The action ids (and id patterns) with a registered handler on this app. */
export function registeredButtons(app: App): string[] {
  const table = routers.get(app);
  return table ? [...table.exact.keys(), ...table.patterns.map(([re]) => re.source)] : [];
}

export { BUTTON_ACTION_IDS };

/**
 * `respond`, except that an ephemeral answer to a click on a message in a thread is posted in that thread with
 * chat.postEphemeral (the response_url is kept for edits, in-channel answers and when the post is refused).
 */
function answerInThread(args: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs): RespondFn {
  const { body } = args;
  const message = body.message as { ts?: string; thread_ts?: string } | undefined;
  const container = body.container as { thread_ts?: string; channel_id?: string } | undefined;
  const threadTs = container?.thread_ts ?? (message?.thread_ts && message.thread_ts !== message.ts ? message.thread_ts : undefined);
  const channel = body.channel?.id ?? container?.channel_id;
  if (!threadTs || !channel) return args.respond;
  const answer = async (msg: string | RespondArguments): Promise<unknown> => {
    const m: RespondArguments = typeof msg === 'string' ? { text: msg } : msg;
    const blocks = (m as { blocks?: KnownBlock[] }).blocks;
    if (m.response_type === 'in_channel' || m.replace_original === true || m.delete_original === true) return args.respond(msg);
    try {
      return await args.client.chat.postEphemeral({
        channel,
        user: body.user.id,
        thread_ts: threadTs,
        text: m.text ?? '',
        ...(blocks ? { blocks } : {}),
      });
    } catch {
      return args.respond(msg);
    }
  };
  // Callers await the answer and never read what it resolves with.
  return answer as RespondFn;
}
