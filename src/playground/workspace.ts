import { startSlackEmulator, type SlackEmulator } from '../emulator/slack-emulator';
import { SLACK_DEFAULTS } from '../emulator/slack-signing';
import type { Channel, PlaygroundUser } from './slack-payloads';

export const PLAYGROUND_CHANNEL: Channel = { id: SLACK_DEFAULTS.channelId, name: SLACK_DEFAULTS.channelName };
/** Where every incident gets its one summary message (INCIDENT_HUB_CHANNEL); incidents get channels of their own. */
export const PLAYGROUND_HUB: Channel = { id: 'C0PLAYHUB1', name: 'incident-hub' };

/** The people in the demo workspace: on-call, a second responder (to approve someone else's request) and a lead. */
export const PLAYGROUND_USERS: PlaygroundUser[] = [
  { id: 'U0ONCALL01', name: 'alice', real_name: 'Alice (on-call)' },
  { id: 'U0ONCALL02', name: 'bob', real_name: 'Bob (SRE)' },
  { id: 'U0LEAD0003', name: 'carol', real_name: 'Carol (incident lead)' },
];

/** The people who may approve anything in the demo workspace (a user group, as a deployment would configure it). */
export const PLAYGROUND_RESPONDERS = 'S0PLAYRESP';

/** The emulated Slack with the demo workspace's people, channels and responders group. */
export async function startEmulatedWorkspace(botToken: string): Promise<SlackEmulator> {
  const slack = await startSlackEmulator({ botToken });
  for (const u of PLAYGROUND_USERS) slack.addUser({ ...u, tz: 'UTC' });
  // Public channels everyone is in: the incidents opened there get public rooms.
  for (const c of [PLAYGROUND_CHANNEL, PLAYGROUND_HUB])
    slack.addChannel({ ...c, members: [...PLAYGROUND_USERS.map((u) => u.id), SLACK_DEFAULTS.botUserId] });
  slack.addUsergroup(
    PLAYGROUND_RESPONDERS,
    PLAYGROUND_USERS.map((u) => u.id),
  );
  return slack;
}
