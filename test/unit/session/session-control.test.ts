import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { SessionControl } from '../../../src/session/session-control.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('a session control port', () => {
  it('aborts its signal on the first stop, and its gone-signal on a pull even after a shutdown stop', async () => {
    const { port1, port2 } = new MessageChannel();
    const control = new SessionControl(port2);
    try {
      port1.postMessage({ t: 'cancel', reason: 'flashd is shutting down' });
      await tick();
      expect(control.signal.reason).toMatchObject({ code: 'SESSION_INTERRUPTED' });
      expect(control.goneSignal.aborted).toBe(false); // a committed read-back goes on through a shutdown
      port1.postMessage({ t: 'cancel', reason: 'hub removed from the slot', code: 'HUB_REMOVED' });
      await tick();
      expect(control.signal.reason).toMatchObject({ code: 'SESSION_INTERRUPTED' }); // the first stop stays the stop
      expect(control.goneSignal.reason).toMatchObject({ code: 'HUB_REMOVED' }); // but nobody is left to answer
    } finally {
      control.close();
      port1.close();
    }
  });

  it('waits for the bench to confirm a durable fact, and fails the step when the bench cannot store it or never answers', async () => {
    const { port1, port2 } = new MessageChannel();
    const control = new SessionControl(port2);
    const asked: unknown[] = [];
    const fact = { t: 'activating' as const, hubSha256: 'ab'.repeat(32) };
    port1.on('message', (event: { t: string; seq: number }) => {
      asked.push(event);
      if (event.seq === 1) port1.postMessage({ t: 'persisted', seq: event.seq });
      if (event.seq === 2) port1.postMessage({ t: 'persisted', seq: event.seq, error: { code: 'STORE_INVALID_STATE', message: 'disk full' } });
    });
    try {
      await control.persist(fact, 5000);
      await expect(control.persist(fact, 5000)).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED', message: 'disk full' });
      await expect(control.persist(fact, 50)).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED' });
      expect(asked).toEqual([
        { t: 'durable', seq: 1, fact },
        { t: 'durable', seq: 2, fact },
        { t: 'durable', seq: 3, fact },
      ]);
    } finally {
      control.close();
      port1.close();
    }
  });
});
