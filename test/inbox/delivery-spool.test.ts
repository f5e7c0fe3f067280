import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createDeliverySpool } from '../../src/inbox/delivery-spool';
import type { InboxDelivery } from '../../src/domain/inbox-delivery';

const delivery = (n: number): InboxDelivery => ({ eventId: `Ev${n}`, orderKey: 'C1', body: { event_id: `Ev${n}`, n } });

describe('the delivery spool', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-spool-'));
  });
  afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

  it('keeps every appended delivery through a failed replay and hands each over once it succeeds', async () => {
    const spool = createDeliverySpool({ dir, logger: pino({ level: 'silent' }) });
    for (let i = 0; i < 3; i++) await spool.append(delivery(i));
    expect(spool.size()).toBe(3);

    await expect(
      spool.replay(async () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))),
    ).rejects.toThrow('ECONNREFUSED');
    // Arrivals during the failed replay are kept too.
    await spool.append(delivery(3));

    const received: InboxDelivery[] = [];
    const added = await spool.replay(async (batch) => {
      received.push(...batch);
      return batch.length;
    });
    expect(added).toBe(4);
    expect(received.map((d) => d.eventId).sort()).toEqual(['Ev0', 'Ev1', 'Ev2', 'Ev3']);
    expect(received.find((d) => d.eventId === 'Ev1')).toEqual(delivery(1));
    expect(await fs.readdir(dir)).toEqual([]);
    expect(spool.size()).toBe(0);
    expect(await spool.replay(async (batch) => batch.length)).toBe(0);
  });
});
