import { loadConfig, secretsOf } from '../../src/config';

describe('incident room and GitHub configuration', () => {
  it('defaults to a channel per incident named inc-…, no hub, a 2-minute opening lease, no GitHub export', () => {
    const c = loadConfig({});
    expect(c.incidentRooms).toEqual({ channels: true, channelPrefix: 'inc-', leaseMs: 120_000 });
    expect(c.github).toBeUndefined();
  });

  it('reads INCIDENT_CHANNELS, INCIDENT_CHANNEL_PREFIX, INCIDENT_HUB_CHANNEL and INCIDENT_ROOM_LEASE_MS', () => {
    expect(
      loadConfig({
        INCIDENT_CHANNELS: 'off',
        INCIDENT_CHANNEL_PREFIX: 'ops-inc-',
        INCIDENT_HUB_CHANNEL: 'C0HUB123',
        INCIDENT_ROOM_LEASE_MS: '30000',
      }).incidentRooms,
    ).toEqual({
      channels: false,
      channelPrefix: 'ops-inc-',
      hubChannel: 'C0HUB123',
      leaseMs: 30_000,
    });
    expect(loadConfig({ INCIDENT_CHANNELS: 'ON' }).incidentRooms.channels).toBe(true);
  });

  it('names the variable and what to write when a value is wrong', () => {
    expect(() => loadConfig({ INCIDENT_CHANNELS: 'maybe' })).toThrow(/INCIDENT_CHANNELS must be on \(a channel per incident\) or off/);
    expect(() => loadConfig({ INCIDENT_CHANNEL_PREFIX: 'Inc #' })).toThrow(/INCIDENT_CHANNEL_PREFIX must be 1-20 lower-case letters/);
    expect(() => loadConfig({ INCIDENT_HUB_CHANNEL: '#incidents' })).toThrow(/INCIDENT_HUB_CHANNEL must be a Slack channel id/);
    expect(() => loadConfig({ INCIDENT_ROOM_LEASE_MS: '5s' })).toThrow(/INCIDENT_ROOM_LEASE_MS must be a number of milliseconds/);
    expect(() => loadConfig({ GITHUB_TOKEN: 'ghp_x' })).toThrow(/GITHUB_REPO is required too/);
    expect(() => loadConfig({ GITHUB_REPO: 'acme/ops' })).toThrow(/GITHUB_TOKEN is required too/);
    expect(() => loadConfig({ GITHUB_TOKEN: 'ghp_x', GITHUB_REPO: 'https://github.com/acme/ops' })).toThrow(
      /GITHUB_REPO must be owner\/name/,
    );
  });

  it('exports to github.com unless GITHUB_API_URL says otherwise, and keeps the token out of logs', () => {
    const c = loadConfig({ GITHUB_TOKEN: 'ghp_secret_value', GITHUB_REPO: 'acme/ops' });
    expect(c.github).toEqual({ token: 'ghp_secret_value', repo: 'acme/ops', apiUrl: 'https://api.github.com' });
    expect(secretsOf(c)).toContain('ghp_secret_value');
    expect(
      loadConfig({ GITHUB_TOKEN: 't', GITHUB_REPO: 'acme/ops', GITHUB_API_URL: 'https://ghe.corp.internal/api/v3/' }).github?.apiUrl,
    ).toBe('https://ghe.corp.internal/api/v3');
  });

  it('sends the GitHub token only over https, or over http to this machine (a local emulator)', () => {
    const github = (url: string) => () => loadConfig({ GITHUB_TOKEN: 'ghp_secret_value', GITHUB_REPO: 'acme/ops', GITHUB_API_URL: url });
    for (const url of [
      'http://ghe.corp.internal/api/v3',
      'http://10.0.0.7:8080',
      'http://127.evil.example',
      'http://localhost.evil.example',
    ]) {
      expect(github(url)).toThrow(/GITHUB_API_URL must be an https:\/\/ URL: the GitHub token is sent with every request/);
    }
    expect(github('http://ghe.corp.internal/api/v3')).not.toThrow(/ghp_secret_value/);
    for (const url of ['http://127.0.0.1:43210', 'http://localhost:8080/api/v3', 'http://[::1]:9000', 'https://ghe.corp.internal/api/v3']) {
      expect(github(url)().github?.apiUrl).toBe(url.replace(/\/+$/, ''));
    }
  });
});
