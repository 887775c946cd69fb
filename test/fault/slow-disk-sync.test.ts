import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE } from '../../jig-sim/index.js';
import { BenchHarness } from '../helpers/bench-harness.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * A session's commits return before the disk has them; the log is synced off the event loop
 * (store/wal-durability.ts). What rests on a commit must wait for its sync: ACTIVATE on the
 * verified hash, the slot's result and LED on the attempt's end. Here the disk holds every sync
 * until the test lets it go, or fails it.
 */
describe('a disk that is slow to sync the store', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  /** Syncs that wait for `release()`; `fail` makes the next release an I/O error. */
  function slowDisk() {
    const waiting: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
    return {
      waiting,
      syncLog: () => new Promise<void>((resolve, reject) => waiting.push({ resolve, reject })),
      release(err?: Error) {
        for (const w of waiting.splice(0)) {
          if (err) w.reject(err);
          else w.resolve();
        }
      },
    };
  }

  /** One hub on a bench whose disk holds every sync: returns once the verified hash waits for one. */
  async function untilVerifiedWaitsForDisk() {
    const disk = slowDisk();
    const h = new BenchHarness({ hubs: 1, workOrder: true, profile: INSTANT_HUB_PROFILE, syncLog: disk.syncLog });
    harness = h;
    await h.start();
    const deviceId = h.stock[0]!.deviceId;
    const truth = () => h.simulator.truth().find((t) => t.deviceId === deviceId)!;
    await waitFor('the verified hash to wait for its sync', () => disk.waiting.length > 0 && truth().heldImage?.verified === true, { timeoutMs: 20_000 });
    return { disk, h, truth };
  }

  it('holds ACTIVATE until the verified hash is on disk, and the green result until the attempt is', async () => {
    const { disk, h, truth } = await untilVerifiedWaitsForDisk();
    // Committed, not yet on disk: the hub is not told to activate.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(truth()).toMatchObject({ pendingActivation: false, flashCount: 0 });
    expect(h.db.prepare('SELECT verified_at IS NOT NULL AS v, activate_at IS NOT NULL AS a FROM attempts').get()).toEqual({ v: 1, a: 1 });
    disk.release();
    // The hub activates, reboots and is read back; the attempt's end waits for the next sync.
    await waitFor('the attempt to end and wait for its sync', () => truth().flashCount === 1 && disk.waiting.length > 0, { timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.results).toHaveLength(0);
    expect(h.bench.slots()[0]).toMatchObject({ result: null });
    expect(h.db.prepare('SELECT result FROM attempts').get()).toEqual({ result: 'REFLASHED' });
    disk.release();
    await waitFor('the result', () => h.results.length === 1, { timeoutMs: 5_000 });
    expect(h.results[0]!.result.result).toBe('REFLASHED');
    expect(h.bench.slots()[0]).toMatchObject({ result: 'REFLASHED', phase: 'DONE' });
  }, 60_000);

  it('stops the session before ACTIVATE when the disk fails the sync, and never shows green after', async () => {
    const { disk, h, truth } = await untilVerifiedWaitsForDisk();
    disk.release(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await waitFor('the result', () => h.results.length === 1, { timeoutMs: 20_000 });
    expect(truth()).toMatchObject({ pendingActivation: false, flashCount: 0 });
    expect(h.results[0]!.result).toMatchObject({ result: 'FAILED', error: { code: 'STORE_WRITE_FAILED' } });
    expect(h.bench.slots()[0]).toMatchObject({ result: 'FAILED', error: { code: 'STORE_WRITE_FAILED' } });
  }, 60_000);
});
