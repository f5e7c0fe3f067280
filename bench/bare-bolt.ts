// The baseline for the ack bench: a bare Bolt app with empty handlers, same receiver, same machine.
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';

const receiver = new HTTPReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET!, logLevel: LogLevel.ERROR });
const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  receiver,
  logLevel: LogLevel.ERROR,
  tokenVerificationEnabled: false,
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
});
app.command('/incident', async ({ ack }) => ack());
app.action(/.*/, async ({ ack }) => ack());
void receiver.start(Number(process.env.PORT)).then(() => process.stdout.write('ready\n'));
process.on('SIGTERM', () => void receiver.stop().then(() => process.exit(0)));
