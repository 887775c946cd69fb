import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { INSTANT_HUB_PROFILE } from '../../jig-sim/hub-profile.js';
import { generateStock } from '../../jig-sim/stock.js';
import { BenchHarness } from '../helpers/bench-harness.js';

/** WNC images compress, so every session of this model sends deflated blocks. */
const MODEL = DEVICE_MODELS[2]!;

describe('an image version is compressed once, not once per hub or per worker', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('16 hubs of one model on two worker threads share one preparation, and all switch to 921,600 baud and back', async () => {
    const stock = generateStock({ seed: 'shared-blocks', count: 96 })
      .filter((s) => s.model === MODEL.model)
      .slice(0, 16);
    expect(stock).toHaveLength(16);
    harness = new BenchHarness({
      jigs: 2,
      stock,
      profile: INSTANT_HUB_PROFILE,
      workOrder: true,
      config: { sessions: { maxThreads: 2, concurrentTasksPerThread: 8 } },
    });
    await harness.start();
    const results = await harness.finished(16);
    for (const { result } of results) {
      expect(result.result, JSON.stringify(result.error)).toBe('REFLASHED');
      expect(result.transfer).toMatchObject({ baudRate: 921_600, stepDowns: 0, sentBytes: result.transfer!.imageBytes });
      // Deflated on the wire: the shared blocks were used.
      expect(result.transfer!.wireBytes).toBeLessThan(result.transfer!.imageBytes * 0.9);
    }
    expect(harness.pool.threads).toBe(2);
    expect(harness.bench.blockCache.stats).toEqual({ prepared: 1, hits: 15 });
    // Each hub rebooted into its new image at its default rate.
    for (const { slot } of harness.simulator.jigs.flatMap((jig) => jig.slots.map((slot) => ({ slot })))) {
      expect(slot.responder?.baudRate).toBe(115_200);
    }
  });
});
