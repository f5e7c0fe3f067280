import { App, LogLevel, type Receiver } from '@slack/bolt';
import { onClick, onCommand, onEvent, onMessageShortcut, onViewSubmission } from '../../src/slack/keyed-router';

const receiver: Receiver = { init: () => undefined, start: async () => undefined, stop: async () => undefined };

function app(): App {
  const authorize = async () => ({ botToken: 'xoxb-test', botId: 'B0BOT', botUserId: 'U0BOT', teamId: 'T0TEAM' });
  return new App({ authorize, receiver, convoStore: false, logLevel: LogLevel.ERROR });
}

const run = (a: App, body: Record<string, unknown>) => a.processEvent({ body, ack: async () => undefined });

const command = (name: string) => ({ command: name, text: 'help', user_id: 'U1', channel_id: 'C1', team_id: 'T0TEAM', trigger_id: '1' });
const click = { type: 'block_actions', user: { id: 'U1' }, team: { id: 'T0TEAM' }, actions: [{ type: 'button', action_id: 'x' }] };
const event = (type: string) => ({ type: 'event_callback', team_id: 'T0TEAM', event_id: 'Ev1', event: { type, user: 'U1' } });
const view = (id: string) => ({ type: 'view_submission', user: { id: 'U1' }, team: { id: 'T0TEAM' }, view: { callback_id: id } });
const shortcut = (id: string) => ({ type: 'message_action', callback_id: id, user: { id: 'U1' }, team: { id: 'T0TEAM' } });

describe('keyed router', () => {
  it('runs the handler registered for the request kind and key, and no other', async () => {
    const a = app();
    const seen: string[] = [];
    onCommand(a, '/incident', async () => void seen.push('command'));
    onClick(a, async ({ action }) => void seen.push(`click ${action.action_id}`));
    onEvent(a, 'reaction_added', async ({ event: e }) => void seen.push(`event ${e.type}`));
    onViewSubmission(a, 'open_incident', async ({ view: v }) => void seen.push(`view ${v.callback_id}`));
    onMessageShortcut(a, 'timeline', async ({ shortcut: s }) => void seen.push(`shortcut ${s.callback_id}`));

    for (const body of [command('/incident'), click, event('reaction_added'), view('open_incident'), shortcut('timeline')])
      await run(a, body);
    expect(seen).toEqual(['command', 'click x', 'event reaction_added', 'view open_incident', 'shortcut timeline']);

    seen.length = 0;
    for (const body of [command('/other'), event('reaction_removed'), view('other'), shortcut('other')]) await run(a, body);
    // A view_closed, a global shortcut and a click with no action are not what these handlers were registered for.
    await run(a, { ...view('open_incident'), type: 'view_closed' });
    await run(a, { ...shortcut('timeline'), type: 'shortcut' });
    await run(a, { ...click, actions: [] });
    expect(seen).toEqual([]);
  });

  it('hands a failing handler to the error handler, as Bolt does for a listener', async () => {
    const a = app();
    const errors: string[] = [];
    a.error(async (err) => void errors.push(err.message));
    onCommand(a, '/incident', async () => {
      throw new Error('handler failed');
    });
    await run(a, command('/incident'));
    expect(errors).toEqual(['handler failed']);
  });

  it('refuses a second handler for the same kind and key', () => {
    const a = app();
    onViewSubmission(a, 'open_incident', async () => undefined);
    expect(() => onViewSubmission(a, 'open_incident', async () => undefined)).toThrow('two handlers for the modal open_incident');
    // The same key in another kind is another route.
    expect(() => onEvent(a, 'open_incident', async () => undefined)).not.toThrow();
  });
});
