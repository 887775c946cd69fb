import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE, generateStock, parseScenario } from '../../jig-sim/index.js';
import { noisyAckTimeoutMs, smallerBlockBytes } from '../../src/session/block-step.js';
import { BenchHarness } from '../helpers/bench-harness.js';

/**
 * Issue 9 item 5: a worn slot contact (bit errors on the slot line). The session steps the block
 * size down (and falls back to the jig's rate) before it gives up; when even the smallest block at
 * the lowest rate does not get through, the attempt says LINE_SUSPECT with the measured error rate
 * so the technician moves the hub, instead of a bare TRANSFER_FAILED.
 */
describe('a noisy slot line', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('steps blocks down by quarters to the 64-byte floor, each size dividing the last', () => {
    expect([4096, 1024, 256, 64].map(smallerBlockBytes)).toEqual([1024, 256, 64, undefined]);
    expect(smallerBlockBytes(1000)).toBe(192);
    expect(noisyAckTimeoutMs(2000, 4096, 4096)).toBe(2000);
    expect(noisyAckTimeoutMs(2000, 1024, 4096)).toBe(500);
    expect(noisyAckTimeoutMs(2000, 64, 4096)).toBe(250);
  });

  it('at a bit error rate of 1e-3 the attempt ends LINE_SUSPECT after stepping the block down, not TRANSFER_FAILED at 4096 bytes', async () => {
    const [spec] = generateStock({ seed: 'noisy-slot', count: 1 });
    harness = new BenchHarness({ stock: [spec!], workOrder: true, profile: INSTANT_HUB_PROFILE, timing: { paced: true, baudRate: 921_600, latencyMs: 1 } });
    harness.simulator.startScenario(parseScenario({ faults: [{ kind: 'bit-errors', ratePerBit: 1e-3, target: { jig: 1, slot: 1 } }] }));
    await harness.start();
    const [done] = await harness.finished(1, 90_000);
    expect(done!.result).toMatchObject({
      result: 'FAILED',
      error: { code: 'LINE_SUSPECT', phase: 'TRANSFERRING', details: { blockBytes: 64, errorRate: expect.any(Number) } },
      transfer: { blockBytes: 64, blockSteps: 3 },
    });
    // The slot and the API show why, so the technician moves the hub rather than retrying in place.
    expect(harness.bench.slots()[0]).toMatchObject({ result: 'FAILED', error: { code: 'LINE_SUSPECT' } });
    expect(harness.store.getHub(spec!.deviceId)).toMatchObject({ lastErrorCode: 'LINE_SUSPECT' });
  }, 120_000);
});
