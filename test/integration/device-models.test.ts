import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { DEVICE_PROFILES, generateStock, profileByModel } from '../../jig-sim/index.js';
import { BenchHarness } from '../helpers/bench-harness.js';

describe('per-model device profiles with the real daemon', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('flashes one hub of each Device Model, each within what its flash and hash allow', async () => {
    const stock = generateStock({ seed: 'models', count: DEVICE_MODELS.length }); // the generator rotates through the models
    expect(new Set(stock.map((s) => s.model)).size).toBe(DEVICE_MODELS.length);
    harness = new BenchHarness({ stock, workOrder: true, profileFor: profileByModel });
    await harness.start();
    const results = await harness.finished(stock.length, 40_000);
    for (const { result } of results) {
      const profile = DEVICE_PROFILES.get(result.identity!.model)!;
      expect(result.result, result.identity!.model).toBe('REFLASHED');
      const t = result.transfer!;
      const sectors = Math.ceil(t.imageBytes / profile.sectorBytes);
      const flashFloorMs = sectors * profile.eraseMsPerSector + (t.imageBytes / profile.writeBytesPerSecond) * 1000;
      // The hub programs behind the link, so the transfer cannot finish before flash could;
      // the verify allowance covers writes still pending at FINISH.
      expect(t.elapsedMs + result.timings.verify!, result.identity!.model).toBeGreaterThanOrEqual(flashFloorMs * 0.95);
      if (!profile.deflate) expect(t.wireBytes).toBe(t.imageBytes);
    }
    expect(harness.simulator.truth().every((h) => h.flashCount === 1)).toBe(true);
  });
});
