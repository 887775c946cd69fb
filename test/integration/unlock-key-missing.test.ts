import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE, demoMasterKey, generateStock } from '../../jig-sim/index.js';
import { BenchHarness } from '../helpers/bench-harness.js';

describe('a hub whose manufacturer has no unlock key on this bench', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => harness?.stop());

  it('is refused before unlock with UNLOCK_KEY_MISSING, uses up no attempt and is never proposed for scrap', async () => {
    const stock = generateStock({ seed: 'unkeyed', count: 8 });
    const keyed = stock[0]!.manufacturer;
    const unkeyed = stock.find((h) => h.manufacturer !== keyed)!;
    expect(unkeyed).toBeDefined();
    harness = new BenchHarness({ stock, workOrder: true, profile: INSTANT_HUB_PROFILE, unlockKeys: new Map([[keyed, demoMasterKey(keyed)]]), config: { process: { maxAttempts: 2 } } });
    await harness.start();
    await harness.finished(stock.length);

    for (const hub of stock.filter((h) => h.manufacturer === keyed)) expect(harness.store.getHub(hub.deviceId)?.outcome, hub.deviceId).toBe('REFLASHED');
    const slot = stock.indexOf(unkeyed) + 1;
    const before = harness.stores.workOrders.liveHub(unkeyed.deviceId);
    // More presses than maxAttempts: a missing key is the bench's gap, never the hub's fault.
    for (let press = 1; press <= 3; press++) {
      harness.simulator.jig('JIG-1').pressButton(slot);
      await harness.finished(stock.length + press);
      expect(harness.bench.slots()[slot - 1]).toMatchObject({ result: 'REJECTED', error: { code: 'UNLOCK_KEY_MISSING', message: expect.stringContaining(unkeyed.manufacturer) }, workOrderId: null, hubState: null });
    }
    expect(harness.store.getHub(unkeyed.deviceId)).toBeUndefined(); // no attempt recorded
    expect(harness.stores.workOrders.liveHub(unkeyed.deviceId)).toEqual(before); // still waiting, not REJECTED, no scrap proposal
    const truth = harness.simulator.truth().find((t) => t.deviceId === unkeyed.deviceId)!;
    expect(truth).toMatchObject({ firmwareVersion: unkeyed.firmwareVersion, flashCount: 0, unlocked: false, failedUnlocks: 0 });
  });
});
