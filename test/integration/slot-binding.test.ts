import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { INSTANT_HUB_PROFILE, generateStock } from '../../jig-sim/index.js';
import { firmwareVersionFromNumber } from '../../src/domain/identifiers.js';
import { BenchHarness } from '../helpers/bench-harness.js';

const LATEST = new Map(DEVICE_MODELS.map((m) => [m.model, m.latestVersion]));

describe('the slot decides from the Device ID the hub reports', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => harness?.stop());

  it('refuses a hub not taken in, flashes it after intake and the slot button, and flags a newer hub without unlocking it', async () => {
    const stock = generateStock({ seed: 'binding', count: 2 });
    const newer = (stock[1] = { ...stock[1]!, firmwareVersion: firmwareVersionFromNumber(Number.parseInt(LATEST.get(stock[1]!.model)!, 16) + 1) });
    const late = stock[0]!;
    harness = new BenchHarness({ stock: [], profile: INSTANT_HUB_PROFILE });
    await harness.start();
    const { workOrders, intake } = harness.stores;
    workOrders.create(
      { id: 'WO-B', secPartyId: 'P1', cspRegion: 'North', source: 'api', operatorId: 'o' },
      { hubs: stock.map((h) => ({ deviceId: h.deviceId })) },
      harness.isKnownModel,
    );
    intake.scan({ deviceId: newer.deviceId, operatorId: 'gi' }); // the other one is not scanned yet
    const jig = harness.simulator.jig('JIG-1');
    jig.insert(1, late);
    jig.insert(2, newer);
    await harness.finished(2);

    expect(harness.bench.slots()[0]).toMatchObject({ result: 'REJECTED', error: { code: 'HUB_NOT_RECEIVED' }, workOrderId: null, hubState: null });
    expect(harness.store.getHub(late.deviceId)).toBeUndefined(); // refused before any attempt
    expect(harness.bench.slots()[1]).toMatchObject({ result: 'REJECTED', error: { code: 'DOWNGRADE_REFUSED' }, workOrderId: 'WO-B', hubState: 'REJECTED' });
    expect(workOrders.liveHub(newer.deviceId)).toMatchObject({
      state: 'REJECTED',
      reasonCode: 'DOWNGRADE_REFUSED',
      flags: ['DOWNGRADE_REFUSED'],
      firmwareAfter: newer.firmwareVersion,
    });
    const untouched = harness.simulator.truth().find((t) => t.deviceId === newer.deviceId)!;
    expect(untouched).toMatchObject({ firmwareVersion: newer.firmwareVersion, flashCount: 0, unlocked: false, failedUnlocks: 0 });

    jig.pressButton(1); // still not received: refused again, nothing recorded
    await harness.finished(3);
    expect(harness.bench.slots()[0]).toMatchObject({ result: 'REJECTED', error: { code: 'HUB_NOT_RECEIVED' } });
    expect(harness.store.getHub(late.deviceId)).toBeUndefined();
    intake.scan({ deviceId: late.deviceId, operatorId: 'gi' });
    jig.pressButton(1);
    await harness.finished(4);
    expect(harness.bench.slots()[0]).toMatchObject({ result: 'REFLASHED', hubState: 'REFLASHED', workOrderId: 'WO-B' });
    expect(harness.simulator.truth().find((t) => t.deviceId === late.deviceId)).toMatchObject({ firmwareVersion: LATEST.get(late.model), flashCount: 1 });
  });
});
