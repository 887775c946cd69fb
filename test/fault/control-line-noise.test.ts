import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { INSTANT_HUB_PROFILE, generateStock } from '../../jig-sim/index.js';
import { BenchHarness } from '../helpers/bench-harness.js';
import { waitFor } from '../helpers/wait-for.js';

const LATEST = new Map(DEVICE_MODELS.map((m) => [m.model, m.latestVersion]));

/**
 * Issue 9 item 4: garbage bursts on a jig's control line lose events and LED commands. Slot
 * state is reconciled against the jig (STATUS) and idempotent commands are retried, so over a run
 * with hubs seated, pulled and swapped under noise, the simulator's ground truth ends up as the
 * bench says: every seated hub flashed, every LED showing its result, the API's slots as the jig's.
 */
describe('garbage on the control line', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('every seated hub ends flashed, every LED matches its result and the API matches the jig', async () => {
    const stock = generateStock({ seed: 'control-noise', count: 10 });
    const h = new BenchHarness({
      stock: stock.slice(0, 4),
      reserve: stock.slice(4),
      workOrder: true,
      profile: INSTANT_HUB_PROFILE,
      config: { jigTimeoutMs: 250 },
      jigReconcileMs: 250,
    });
    harness = h;
    const jig = h.simulator.jig(1);
    // About one line in six, each way, gets a burst of random bytes somewhere in it.
    h.simulator.faults.inject({ kind: 'garbage', line: 'control', target: { jig: 1 }, rate: 0.008, lengthBytes: [1, 12] });
    await h.start();
    const spec = (i: number) => stock[i]!;
    // Seat the rest one by one under noise, pull one finished hub and put another in its place.
    for (let i = 4; i < 8; i++) {
      jig.insert(i + 1, spec(i));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await waitFor('slot 1 to finish', () => h.bench.slots()[0]!.result !== null && h.bench.activeSessions < 8, { timeoutMs: 30_000 });
    jig.remove(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    jig.insert(1, spec(8));
    jig.remove(2);
    jig.insert(2, spec(9));

    const settled = (): boolean => {
      const api = h.bench.slots();
      return jig.slots.every((slot, i) => {
        const view = api[i]!;
        const truth = slot.hub && h.simulator.truth().find((t) => t.deviceId === slot.hub!.deviceId);
        return (
          view.present === (slot.hub !== undefined) &&
          view.deviceId === (slot.hub?.deviceId ?? null) &&
          view.result === 'REFLASHED' &&
          truth !== undefined &&
          truth.flashCount === 1 &&
          slot.led === 'GREEN' &&
          !slot.blink
        );
      });
    };
    await waitFor('every slot flashed, green and as the jig reports it', settled, { timeoutMs: 30_000 }).catch((err: Error) => {
      const api = h.bench.slots().map((v) => [v.present, v.deviceId, v.result]);
      const bench = jig.slots.map((slot) => [
        slot.hub?.deviceId,
        slot.hub && h.simulator.truth().find((t) => t.deviceId === slot.hub!.deviceId)?.flashCount,
        slot.led,
        slot.blink,
      ]);
      throw new Error(`${err.message}; API ${JSON.stringify(api)}; jig ${JSON.stringify(bench)}`);
    });
    expect(jig.control.toHostFaults.counters.garbageBursts + jig.control.toDeviceFaults.counters.garbageBursts).toBeGreaterThan(10);
    for (const hub of h.simulator.truth().filter((t) => t.slot !== null)) {
      expect(hub).toMatchObject({ firmwareVersion: LATEST.get(hub.model), flashCount: 1 });
    }
    expect(h.bench.slots().map((v) => v.deviceId)).toEqual(jig.slots.map((s) => s.hub!.deviceId));
  }, 120_000);
});
