import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { INSTANT_HUB_PROFILE, generateStock, parseScenario } from '../../jig-sim/index.js';
import { BenchHarness } from '../helpers/bench-harness.js';

const LATEST = new Map(DEVICE_MODELS.map((m) => [m.model, m.latestVersion]));

/** Faults against the whole daemon (bench, workers, store), judged by ground truth. */
describe('the bench under simulator faults', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('a hub pulled at 50% and put back: the attempt is INTERRUPTED, a new session resumes it by itself and the hub runs the target', async () => {
    const [spec] = generateStock({ seed: 'bench-remove', count: 1 });
    harness = new BenchHarness({
      stock: [spec!],
      workOrder: true,
      profile: INSTANT_HUB_PROFILE,
      timing: { paced: true, baudRate: 921_600, latencyMs: 1 },
      config: { sessions: { timeouts: { ackTimeoutMs: 300 } } },
    });
    harness.simulator.startScenario(parseScenario({ faults: [{ kind: 'remove', target: { jig: 1, slot: 1 }, when: { phase: 'TRANSFER', percent: 50 }, reinsertAfterMs: 300 }] }));
    await harness.start();
    const [first] = await harness.finished(1, 20_000);
    expect(first!.result).toMatchObject({ result: 'INTERRUPTED', error: { code: 'HUB_REMOVED' } });
    // The hub came back while the interrupted session was still winding down: the bench starts a
    // new session for it as soon as the old one ends, without a button press.
    const [, second] = await harness.finished(2, 20_000);
    expect(second!.result.result).toBe('REFLASHED');
    expect(second!.result.transfer!.resumedFromBytes).toBeGreaterThan(0);
    expect(harness.simulator.truth()[0]).toMatchObject({ firmwareVersion: LATEST.get(spec!.model), flashCount: 1, heldImage: null });
  });

  it('a slot brown-out during transfer stops the attempt (never REFLASHED) and the hub keeps its old firmware', async () => {
    const [spec] = generateStock({ seed: 'bench-brownout', count: 1 });
    harness = new BenchHarness({
      stock: [spec!],
      workOrder: true,
      profile: INSTANT_HUB_PROFILE,
      config: { sessions: { timeouts: { ackTimeoutMs: 300, transferRetries: 2 } } },
    });
    harness.simulator.startScenario(parseScenario({ faults: [{ kind: 'brown-out', target: { jig: 1, slot: 1 }, when: { phase: 'TRANSFER', offset: 16_384 }, durationMs: 100 }] }));
    await harness.start();
    const [done] = await harness.finished(1, 20_000);
    // The jig reports the trip (POWERFAULT) and the bench stops the session at once, by name.
    expect(done!.result).toMatchObject({ result: 'INTERRUPTED', error: { code: 'SLOT_POWER_FAULT', phase: 'TRANSFERRING' } });
    expect(harness.store.getHub(spec!.deviceId)).toMatchObject({ outcome: 'FAILED', lastErrorCode: 'SLOT_POWER_FAULT' });
    // The session stops at once, which can be inside the 100 ms brown-out: wait for the supply to return.
    for (let i = 0; i < 100 && !harness.simulator.truth()[0]!.powered; i++) await new Promise((r) => setTimeout(r, 10));
    expect(harness.simulator.truth()[0]).toMatchObject({ firmwareVersion: spec!.firmwareVersion, flashCount: 0, powered: true });
  });
});
