import { CHANNEL_NAME_MAX, incidentChannelName, isValidChannelName, withSuffix } from '../../../src/incidents/room/channel-name';
import { channelNameProblem } from '../../../src/emulator/web-api-methods';

const day = new Date('2026-11-26T23:59:00Z');

describe('incident channel names', () => {
  it('are <prefix><yyyymmdd>-<slug> in lower case, accents and punctuation folded', () => {
    expect(incidentChannelName('inc-', 'Workers stuck on task #42!', day)).toBe('inc-20261126-workers-stuck-on-task-42');
    expect(incidentChannelName('inc-', 'Dépôt Ünavailable — <!channel>', day)).toBe('inc-20261126-depot-unavailable-channel');
    expect(incidentChannelName('ops_', '   ', day)).toBe('ops_20261126');
  });

  it('stay within Slack’s 80 characters, with a suffix too, and pass the emulator’s rules', () => {
    const long = incidentChannelName('inc-', 'a very long title '.repeat(20), day);
    expect(long.length).toBeLessThanOrEqual(CHANNEL_NAME_MAX);
    for (const name of [
      long,
      withSuffix(long, 2),
      withSuffix('inc-' + 'b'.repeat(76), 17),
      incidentChannelName('inc-', '日本語のタイトル', day),
    ]) {
      expect(name.length).toBeLessThanOrEqual(80);
      expect(isValidChannelName(name)).toBe(true);
      expect(channelNameProblem(name)).toBeUndefined();
      expect(name).not.toMatch(/--|-$/);
    }
    expect(withSuffix('inc-20261126-db', 3)).toBe('inc-20261126-db-3');
  });
});
