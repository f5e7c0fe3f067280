import { sendSigned, slashCommandBody } from '../support/slack-signing';
import { startSecuredBot, type SecuredBot } from './harness';

const CHANNEL = 'C0SECREPLAY';

/** A captured signed request sent again opens nothing new; one dated in the future is refused outright. */
describe('signed Slack requests cannot be replayed', () => {
  let s: SecuredBot;

  beforeAll(async () => {
    s = await startSecuredBot('replay', {});
  }, 90_000);

  afterAll(async () => {
    await s?.stop();
  });

  const incidents = () => s.count('SELECT count(*) AS n FROM incidents WHERE channel_id = $1', [CHANNEL]);

  it('opens one incident when the same signed /incident open arrives twice within the replay window', async () => {
    const body = slashCommandBody({
      text: 'open Replayed checkout outage P1',
      channel_id: CHANNEL,
      user_id: 'U0ONCALL01',
      response_url: s.slack.responseUrl({ channel: CHANNEL }),
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await sendSigned(s.events(), { signingSecret: s.signingSecret, timestamp }, body, 'application/x-www-form-urlencoded');
    const again = await sendSigned(s.events(), { signingSecret: s.signingSecret, timestamp }, body, 'application/x-www-form-urlencoded');
    expect([first.status, again.status]).toEqual([200, 200]);
    await s.waitForLog((l) => l.msg === 'replayed request ignored: the same signed request was already processed');
    await s.slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CHANNEL && String(c.args.text).includes('INCIDENT: Replayed checkout outage'),
      10_000,
    );
    expect(await incidents()).toBe(1);
    expect(
      s.slack
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === CHANNEL && String(c.args.text).includes('INCIDENT: Replayed checkout outage')),
    ).toHaveLength(1);

    // The same command typed again is a new request (new trigger id, new signature): it is not mistaken for a replay.
    const retyped = slashCommandBody({
      text: 'open Replayed checkout outage P1',
      channel_id: CHANNEL,
      user_id: 'U0ONCALL01',
      response_url: s.slack.responseUrl({ channel: CHANNEL }),
    });
    expect((await sendSigned(s.events(), { signingSecret: s.signingSecret }, retyped, 'application/x-www-form-urlencoded')).status).toBe(
      200,
    );
    await s.slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === CHANNEL && String(c.args.text).includes('INCIDENT: Replayed checkout outage') && c.at > Date.now() - 10_000,
      10_000,
    );
    await expect(waitForCount(incidents, 2)).resolves.toBe(2);
  }, 30_000);

  it('refuses a correctly signed request dated more than 5 minutes in the future with 401', async () => {
    const body = slashCommandBody({
      text: 'open From the future P1',
      channel_id: CHANNEL,
      user_id: 'U0ONCALL01',
      response_url: s.slack.responseUrl({ channel: CHANNEL }),
    });
    const res = await sendSigned(
      s.events(),
      { signingSecret: s.signingSecret, timestamp: Math.floor(Date.now() / 1000) + 6 * 60 },
      body,
      'application/x-www-form-urlencoded',
    );
    expect(res.status).toBe(401);
    expect(res.body).toContain('more than 5 minutes in the future');
    expect(await s.count(`SELECT count(*) AS n FROM incidents WHERE title = 'From the future'`)).toBe(0);
  });
});

async function waitForCount(read: () => Promise<number>, want: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let n = await read();
  while (n !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    n = await read();
  }
  return n;
}
