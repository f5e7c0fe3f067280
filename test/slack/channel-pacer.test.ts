import { createMemoryCoordination } from '../../src/coordination/memory-coordination';
import { createChannelPacer } from '../../src/slack/channel-pacer';

describe('channel pacer', () => {
  // A clock that moves only when the pacer sleeps or the test says a post took time: the test never sleeps.
  const setup = () => {
    const clock = { now: 5_000_000 };
    const slept: number[] = [];
    const pacer = createChannelPacer({
      coordination: createMemoryCoordination(() => clock.now),
      intervalMs: 1_000,
      now: () => clock.now,
      sleep: async (ms) => {
        slept.push(ms);
        clock.now += ms;
      },
    });
    return { clock, slept, pacer };
  };

  it('makes the next post of a channel wait a full interval after the previous one came back, not after its slot', async () => {
    const { clock, slept, pacer } = setup();
    await pacer.wait('C1');
    // The first post took 400 ms to come back: its slot would let the next go 600 ms later, within a second of it.
    clock.now += 400;
    pacer.sent('C1');
    await pacer.wait('C1');
    pacer.sent('C1');
    expect(slept).toEqual([1_000]);
  });

  it('keeps to the shared schedule when posts come back at once, and paces each channel on its own', async () => {
    const { slept, pacer } = setup();
    for (let i = 0; i < 3; i++) {
      await pacer.wait('C1');
      pacer.sent('C1');
    }
    await pacer.wait('C2');
    pacer.sent('C2');
    expect(slept).toEqual([1_000, 1_000]);
  });

  it('falls back to pacing on its own when the shared schedule cannot be reached', async () => {
    const clock = { now: 5_000_000 };
    const slept: number[] = [];
    const coordination = createMemoryCoordination(() => clock.now);
    const pacer = createChannelPacer({
      coordination: { ...coordination, reserveRate: () => Promise.reject(new Error('Redis is down')) },
      intervalMs: 1_000,
      now: () => clock.now,
      sleep: async (ms) => {
        slept.push(ms);
        clock.now += ms;
      },
    });
    await pacer.wait('C1');
    pacer.sent('C1');
    await pacer.wait('C1');
    expect(slept).toEqual([1_000]);
  });
});
