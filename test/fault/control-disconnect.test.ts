import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE, generateStock } from '../../jig-sim/index.js';
import { BenchHarness, type Transport } from '../helpers/bench-harness.js';

describe.each<Transport>(['tcp', 'in-process'])('jig control port disconnect over %s', (transport) => {
  let harness: BenchHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('closes the control line, refuses it for a while, and the daemon reconnects and flashes again', async () => {
    const [first, second] = generateStock({ seed: `control-${transport}`, count: 2 });
    harness = new BenchHarness({ transport, stock: [first!], reserve: [second!], workOrder: true, profile: INSTANT_HUB_PROFILE });
    await harness.start();
    await harness.finished(1);
    const control = harness.simulator.jig(1).control;
    expect(control.attachCount).toBe(1);

    const fired = harness.simulator.faults.inject({ kind: 'control-disconnect', target: { jig: 1 }, refuseMs: 300 });
    expect(fired).toEqual([expect.objectContaining({ kind: 'control-disconnect', what: 'control-disconnect on JIG-1' })]);
    expect(control.connected).toBe(false);

    const deadline = Date.now() + 10_000;
    while (!control.connected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(control.connected).toBe(true);
    expect(control.attachCount).toBeGreaterThanOrEqual(2);

    harness.simulator.jig(1).insert(2, second!);
    const [, after] = await harness.finished(2, 15_000);
    expect(after!.result.result).toBe('REFLASHED');
    expect(harness.simulator.truth().find((t) => t.deviceId === second!.deviceId)).toMatchObject({ flashCount: 1 });
  });
});
