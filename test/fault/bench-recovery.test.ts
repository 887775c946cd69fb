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

  it('a hub pulled at 50% and put back: the attempt is INTERRUPTED; a button press resumes it and the hub runs the target', async () => {
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
    // The hub came back while the interrupted session was still winding down, so the bench shows
    // the slot as finished; the technician presses the slot button to try again.
    while (harness.simulator.truth()[0]!.slot !== 1 || harness.bench.activeSessions > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    harness.simulator.jig(1).pressButton(1);
    const [, second] = await harness.finished(2, 20_000);
    expect(second!.result.result).toBe('REFLASHED');
    expect(second!.result.transfer!.resumedFromBytes).toBeGreaterThan(0);
    expect(harness.simulator.truth()[0]).toMatchObject({ firmwareVersion: LATEST.get(spec!.model), flashCount: 1, heldImage: null });
  });

  it('a slot brown-out during transfer fails the attempt (never REFLASHED) and the hub keeps its old firmware', async () => {
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
    expect(done!.result.result).toBe('FAILED');
    expect(harness.simulator.truth()[0]).toMatchObject({ firmwareVersion: spec!.firmwareVersion, flashCount: 0, powered: true });
  });
});
