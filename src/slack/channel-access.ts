import type { WebClient } from '@slack/web-api';

/** `unknown`: Slack did not answer (rate limit, outage); callers treat it as the stricter case. */
export type ChannelPrivacy = 'public' | 'private' | 'unknown';

/**
 * Who can see a channel, as Slack tells the bot (conversations.info / conversations.members, scopes channels:read and
 * groups:read). A channel the bot cannot see at all is private to it: Slack hides only private channels (and direct
 * messages) from a bot that is not in them.
 *
 * @example
 *   if ((await access.privacy('C0PAYMENTS')) !== 'public') …           // create the incident's room private too
 *   if ((await access.isMember('G0SECURITY', 'U0ALICE')) !== true) …   // Alice cannot read that channel
 */
export interface ChannelAccess {
  privacy(channelId: string): Promise<ChannelPrivacy>;
  /** Whether the user is a member; `unknown` when the bot cannot list the channel's members. */
  isMember(channelId: string, userId: string): Promise<boolean | 'unknown'>;
}

const MEMBER_PAGES = 50;
const PAGE_SIZE = 1000;

export function slackErrorCode(err: unknown): string | undefined {
  return (err as { data?: { error?: string } } | undefined)?.data?.error;
}

export function createChannelAccess(client: WebClient): ChannelAccess {
  return {
    privacy: async (channelId) => {
      // Direct messages (D…) are never public.
      if (!/^[CG]/.test(channelId)) return 'private';
      try {
        const r = await client.conversations.info({ channel: channelId });
        const c = r.channel as { is_private?: boolean; is_im?: boolean; is_mpim?: boolean } | undefined;
        if (!c) return 'unknown';
        return c.is_private || c.is_im || c.is_mpim ? 'private' : 'public';
      } catch (err) {
        return slackErrorCode(err) === 'channel_not_found' ? 'private' : 'unknown';
      }
    },

    isMember: async (channelId, userId) => {
      let cursor: string | undefined;
      try {
        for (let page = 0; page < MEMBER_PAGES; page++) {
          const r = await client.conversations.members({ channel: channelId, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
          if (r.members?.includes(userId)) return true;
          cursor = r.response_metadata?.next_cursor || undefined;
          if (!cursor) return false;
        }
        return 'unknown';
      } catch {
        return 'unknown';
      }
    },
  };
}

/** Who asks, and where: a slash command's user and channel, a button's clicker and the channel of its message. */
export interface Viewer {
  userId: string;
  channelId: string;
}

/**
 * Whether one viewer can read channels. `true`: the channel they asked from (Slack lets only its members type there),
 * a public one, or one Slack lists them in; `false`: Slack says they are not a member; `unknown`: Slack cannot say
 * (rate limit, outage, the bot not in the channel), which callers treat as no. A channel Slack does not show the bot
 * is private. Each channel's privacy and membership is asked once per reader, however often it is read.
 *
 * @example
 *   const reader = createChannelReader(access, { userId: 'U0ALICE', channelId: 'C0LOBBY' });
 *   if ((await reader.canRead('G0SECURITY')) !== true) …   // show 'an alert in a private channel'
 */
export interface ChannelReader {
  /** `privacy`, when the caller already knows it (an incident's recorded privacy), is used instead of asking Slack. */
  canRead(channelId: string, privacy?: ChannelPrivacy): Promise<boolean | 'unknown'>;
  /** The channel's privacy as Slack tells it, asked once per reader. */
  privacy(channelId: string): Promise<ChannelPrivacy>;
}

export function createChannelReader(access: Pick<ChannelAccess, 'privacy' | 'isMember'>, viewer: Viewer): ChannelReader {
  const privacies = new Map<string, Promise<ChannelPrivacy>>();
  const memberships = new Map<string, Promise<boolean | 'unknown'>>();
  const once = <T>(answers: Map<string, Promise<T>>, channelId: string, ask: () => Promise<T>): Promise<T> => {
    let answer = answers.get(channelId);
    if (!answer) {
      answer = ask();
      answers.set(channelId, answer);
    }
    return answer;
  };
  const privacy = (channelId: string) => once(privacies, channelId, () => access.privacy(channelId));
  return {
    privacy,
    canRead: async (channelId, known) => {
      if (channelId === viewer.channelId) return true;
      if ((known ?? (await privacy(channelId))) === 'public') return true;
      return once(memberships, channelId, () => access.isMember(channelId, viewer.userId));
    },
  };
}
