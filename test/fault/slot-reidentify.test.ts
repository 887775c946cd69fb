import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { INSTANT_HUB_PROFILE, generateStock } from '../../jig-sim/index.js';
import { BenchHarness } from '../helpers/bench-harness.js';
import { waitFor } from '../helpers/wait-for.js';

const LATEST = new Map(DEVICE_MODELS.map((m) => [m.model, m.latestVersion]));

/**
 * Issue 9 item 3: a hub swapped into a finished slot while the jig cannot report it (control line
 * down, jig rebooting) raises no event. After the reconnect or READY, every occupied slot is
 * identified again: a new hub is flashed, the same hub keeps its result. Judged by ground truth.
 */
describe('re-identifying occupied slots after a control outage', () => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  async function flashFirst(seed: string): Promise<{ h: BenchHarness; first: string; second: string }> {
    const [a, b] = generateStock({ seed, count: 2 });
    const h = new BenchHarness({ stock: [a!], reserve: [b!], workOrder: true, profile: INSTANT_HUB_PROFILE });
    harness = h;
    await h.start();
    const [done] = await h.finished(1, 20_000);
    expect(done!.result.result).toBe('REFLASHED');
    await waitFor('the green LED', () => h.simulator.jig(1).slot(1).led === 'GREEN');
    return { h, first: a!.deviceId, second: b!.deviceId };
  }

  function swap(h: BenchHarness, deviceId: string): void {
    const jig = h.simulator.jig(1);
    jig.remove(1);
    jig.insert(
      1,
      h.stock.find((s) => s.deviceId === deviceId)!,
    );
  }

  async function expectFlashedInSlot(h: BenchHarness, deviceId: string): Promise<void> {
    const [, second] = await h.finished(2, 30_000);
    expect(second!.result).toMatchObject({ result: 'REFLASHED', identity: { deviceId } });
    const truth = h.simulator.truth().find((t) => t.deviceId === deviceId)!;
    expect(truth).toMatchObject({ jigId: 'JIG-1', slot: 1, flashCount: 1, firmwareVersion: LATEST.get(truth.model) });
    await waitFor('the green LED over the new hub', () => h.simulator.jig(1).slot(1).led === 'GREEN');
    expect(h.bench.slots()[0]).toMatchObject({ present: true, deviceId, result: 'REFLASHED' });
  }

  it('a hub swapped in while the control line is down is flashed after the reconnect', async () => {
    const { h, second } = await flashFirst('reid-swap');
    h.simulator.faults.inject({ kind: 'control-disconnect', target: { jig: 1 }, refuseMs: 800 });
    await waitFor('the disconnect', () => !h.bench.jigs()[0]!.connected);
    swap(h, second); // REMOVED and PRESENT go nowhere: nobody listens on the control line
    await expectFlashedInSlot(h, second);
  });

  it('a hub swapped in while the jig reboots is flashed after its READY', async () => {
    const { h, second } = await flashFirst('reid-reboot');
    h.simulator.faults.inject({ kind: 'jig-reboot', target: { jig: 1 }, durationMs: 300 });
    swap(h, second); // the booting jig raises no events
    await expectFlashedInSlot(h, second);
  });

  it('the same hub found again keeps its result and green LED; nothing new is recorded', async () => {
    const { h, first } = await flashFirst('reid-same');
    const attach = h.simulator.jig(1).control.attachCount;
    h.simulator.faults.inject({ kind: 'jig-reboot', target: { jig: 1 }, durationMs: 100 });
    await waitFor('the LED to go dark with the reboot', () => h.simulator.jig(1).slot(1).led === 'OFF');
    // The recheck identifies the hub (blue), then puts its result and LED back.
    await waitFor('the green LED again', () => h.simulator.jig(1).slot(1).led === 'GREEN' && h.bench.activeSessions === 0);
    expect(h.simulator.jig(1).control.attachCount).toBe(attach);
    expect(h.bench.slots()[0]).toMatchObject({ present: true, deviceId: first, result: 'REFLASHED', phase: 'DONE' });
    expect(h.results).toHaveLength(1);
    expect(h.store.getHub(first)!.attempts).toHaveLength(1);
    expect(h.simulator.truth().find((t) => t.deviceId === first)).toMatchObject({ flashCount: 1 });
  });
});
