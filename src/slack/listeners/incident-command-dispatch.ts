import type { App, RespondFn } from '@slack/bolt';
import { respondWithError } from '../error-reply';
import type { Logger } from '../../logger';
import { escapeMrkdwn } from '../blocks/mrkdwn';
import { HELP_TEXT, parseIncidentCommand, type IncidentCommand } from '../command-grammar';
import { onCommand } from '../keyed-router';

/** What a subcommand handler gets: the parsed command and who/where it came from. */
export interface CommandInvocation<C extends IncidentCommand = IncidentCommand> {
  command: C;
  userId: string;
  channelId: string;
  triggerId: string;
  respond: RespondFn;
  log: Logger;
}

export type SubcommandHandlers = {
  [N in IncidentCommand['name']]?: (inv: CommandInvocation<Extract<IncidentCommand, { name: N }>>) => Promise<void>;
};

/**
 * `/incident`: acknowledges at once (Slack's 3 s), then parses and dispatches.
 * Unknown or malformed input gets usage and the closest subcommand, ephemerally; a
 * BotError becomes its user message; anything else is logged and answered politely. `guard` runs before every
 * handler (a private incident named by id is refused to outsiders there, once for all subcommands).
 */
export function registerIncidentCommand(
  app: App,
  handlers: SubcommandHandlers,
  logger: Logger,
  guard: (inv: CommandInvocation) => Promise<void> = async () => undefined,
): void {
  onCommand(app, '/incident', async ({ command, ack, respond, context }) => {
    const log: Logger = (context.log as Logger | undefined) ?? logger;
    const parsed = parseIncidentCommand(command.text ?? '');
    if (!parsed.ok) {
      const code = (s: string) => `\`${escapeMrkdwn(s)}\``;
      const hint = parsed.suggestion ? `\nDid you mean ${code(parsed.suggestion)}?` : '';
      // The usage of an unknown subcommand is the whole help (a code block): point at it rather than wrap it in a span.
      const usage = parsed.usage.includes('\n') ? '\n`/incident help` lists every subcommand.' : `\nUsage: ${code(parsed.usage)}`;
      await ack({ response_type: 'ephemeral', text: `${escapeMrkdwn(parsed.problem)}${hint}${usage}` });
      return;
    }
    if (parsed.command.name === 'help') {
      await ack({ response_type: 'ephemeral', text: HELP_TEXT });
      return;
    }
    await ack();
    const handler = handlers[parsed.command.name] as ((inv: CommandInvocation) => Promise<void>) | undefined;
    if (!handler) {
      await respond({
        response_type: 'ephemeral',
        text: `\`/incident ${parsed.command.name}\` is not available in this version of incident-bot yet. \`/incident help\` lists the grammar.`,
      });
      return;
    }
    const inv: CommandInvocation = {
      command: parsed.command,
      userId: command.user_id,
      channelId: command.channel_id,
      triggerId: command.trigger_id,
      respond,
      log,
    };
    try {
      await guard(inv);
      await handler(inv);
    } catch (err) {
      await respondWithError(err, respond, log, parsed.command.name);
    }
  });
}

export { respondWithError } from '../error-reply';
