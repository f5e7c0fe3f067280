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
