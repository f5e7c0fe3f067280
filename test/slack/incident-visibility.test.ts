import type { RoomPrivacy } from '../../src/domain/incident-room';
import { createIncidentVisibility } from '../../src/slack/incident-visibility';

const ROOM = 'G0ROOM0001';
const MEMBER = 'U0MEMBER01';
const OUTSIDER = 'U0OUTSIDE1';

/** Rooms by incident id, and a channel's members as Slack would list them ('unknown': Slack did not answer). */
function setup(rooms: Record<string, { privacy: RoomPrivacy; channelId: string | null }>, members: string[] | 'unknown') {
  const asked: string[] = [];
  const visibility = createIncidentVisibility({
    rooms: { privacyOf: async (inc) => rooms[inc.id] ?? { privacy: 'public', channelId: inc.channelId } },
    access: {
      // The incident's recorded privacy decides: the channel's privacy now is never asked.
      privacy: async (channelId) => {
        asked.push(`privacy:${channelId}`);
        return 'public';
      },
      isMember: async (channelId, userId) => {
        asked.push(`${channelId}:${userId}`);
        return members === 'unknown' ? 'unknown' : members.includes(userId);
      },
    },
  });
  return { visibility, asked };
}

const inc = (id: string) => ({ id, channelId: ROOM });

describe('who may read an incident', () => {
  it('a public incident: anyone, without asking Slack', async () => {
    const { visibility, asked } = setup({ 'INC-20261126070000': { privacy: 'public', channelId: ROOM } }, []);
    expect(await visibility.reader({ userId: OUTSIDER, channelId: 'C0LOBBY' })(inc('INC-20261126070000'))).toBe(true);
    expect(asked).toEqual([]);
  });

  it('a private incident: a command in its channel, or a member; not an outsider, nor anyone when Slack cannot say', async () => {
    const rooms = { 'INC-20261126070000': { privacy: 'private' as const, channelId: ROOM } };
    const known = setup(rooms, [MEMBER]);
    expect(await known.visibility.reader({ userId: OUTSIDER, channelId: ROOM })(inc('INC-20261126070000'))).toBe(true);
    expect(known.asked).toEqual([]);
    expect(await known.visibility.reader({ userId: MEMBER, channelId: 'C0LOBBY' })(inc('INC-20261126070000'))).toBe(true);
    expect(await known.visibility.reader({ userId: OUTSIDER, channelId: 'C0LOBBY' })(inc('INC-20261126070000'))).toBe(false);
    const unsure = setup(rooms, 'unknown');
    expect(await unsure.visibility.reader({ userId: MEMBER, channelId: 'C0LOBBY' })(inc('INC-20261126070000'))).toBe(false);
  });

  it('a private incident with no channel at all is nobody’s to read; one reader asks a channel’s membership once', async () => {
    const { visibility, asked } = setup(
      {
        'INC-20261126070000': { privacy: 'private', channelId: null },
        'INC-20261126070001': { privacy: 'private', channelId: ROOM },
        'INC-20261126070002': { privacy: 'private', channelId: ROOM },
      },
      [MEMBER],
    );
    const canRead = visibility.reader({ userId: MEMBER, channelId: 'C0LOBBY' });
    expect(await canRead(inc('INC-20261126070000'))).toBe(false);
    expect(await canRead(inc('INC-20261126070001'))).toBe(true);
    expect(await canRead(inc('INC-20261126070002'))).toBe(true);
    expect(asked).toEqual([`${ROOM}:${MEMBER}`]);
  });
});
