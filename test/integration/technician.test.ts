import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { INSTANT_HUB_PROFILE, Technician, generateStock } from '../../jig-sim/index.js';
import { BenchHarness } from '../helpers/bench-harness.js';

const LATEST = new Map(DEVICE_MODELS.map((m) => [m.model, m.latestVersion]));

describe('virtual technician (demo and training mode)', () => {
  let harness: BenchHarness | undefined;
  let technician: Technician | undefined;
  afterEach(async () => {
    technician?.stop();
    await harness?.stop();
    harness = technician = undefined;
  });

  it('takes finished hubs out by their LEDs after the dwell time and feeds the bench from stock until it is empty', async () => {
    const stock = generateStock({ seed: 'technician', count: 11 });
    harness = new BenchHarness({ stock, workOrder: true, profile: INSTANT_HUB_PROFILE });
    expect(harness.simulator.stock).toHaveLength(3); // 8 in the slots, 3 waiting
    technician = new Technician(harness.simulator, { dwellMs: 150, swapMs: 50 });
    technician.start();
    await harness.start();
    await harness.finished(11, 30_000);
    const deadline = Date.now() + 5000;
    while (technician.tray.length < 11 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));

    expect(technician.tray).toHaveLength(11);
    expect(new Set(technician.tray.map((t) => t.truth.deviceId))).toEqual(new Set(stock.map((s) => s.deviceId)));
    for (const entry of technician.tray) {
      expect(entry.led).toBe('GREEN');
      expect(entry.truth.firmwareVersion).toBe(LATEST.get(entry.truth.model));
    }
    expect(harness.simulator.stock).toHaveLength(0);
    expect(harness.simulator.truth()).toHaveLength(0); // every hub left the bench
    expect(harness.results.every((r) => r.result.result === 'REFLASHED')).toBe(true);
  });

  it('leaves a hub in its slot while the daemon is still working on it (blinking BLUE)', async () => {
    // Reconciling every 20 ms: the LEDs it re-sends to the empty slots happen in every run, not only in slow ones.
    harness = new BenchHarness({ stock: generateStock({ seed: 'tech-2', count: 1 }), workOrder: true, profile: INSTANT_HUB_PROFILE, jigReconcileMs: 20 });
    technician = new Technician(harness.simulator, { dwellMs: 0, swapMs: 0 });
    const slot = harness.simulator.jig(1).slot(1);
    const seen: string[] = [];
    harness.simulator.on('led', (_jig, s) => {
      // Only this slot: a run that outlasts the 2 s reconciliation also (rightly) re-sends OFF to the empty ones.
      if (s !== slot) return;
      seen.push(`${s.led}${s.blink ? '*' : ''}`);
      if (s.led === 'BLUE') expect(s.hub).toBeDefined();
    });
    technician.start();
    await harness.start();
    await harness.finished(1);
    while (slot.hub) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual(['BLUE*', 'GREEN']);
    expect(technician.tray).toHaveLength(1);
  });
});
