// The ack bench's baseline: bare Bolt in its default configuration. A bot token and a signing
// secret, token verification on (Bolt's default: one auth.test at start, its result cached for
// every request), the same HTTPReceiver the bot uses, and listeners that only ack.
// Logging at ERROR so neither server spends time writing lines (the bot runs at LOG_LEVEL=warn).
// `/incident` is acked with the same ephemeral help text the bot acks `/incident help` with, so
// both servers write the same response bytes; a click is acked empty, as the bot acks it.
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { HELP_TEXT } from '../src/slack/command-grammar';

const receiver = new HTTPReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET!, logLevel: LogLevel.ERROR });
const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  receiver,
  logLevel: LogLevel.ERROR,
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
});
app.command('/incident', async ({ ack }) => ack({ response_type: 'ephemeral', text: HELP_TEXT }));
app.action(/.*/, async ({ ack }) => ack());
void receiver.start(Number(process.env.PORT)).then(() => process.stdout.write('ready\n'));
process.on('SIGTERM', () => void receiver.stop().then(() => process.exit(0)));
