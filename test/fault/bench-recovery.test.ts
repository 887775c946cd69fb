import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEVICE_MODELS } from '../../firmware-images/models.js';
import { INSTANT_HUB_PROFILE, generateStock, parseScenario, type VirtualHub } from '../../jig-sim/index.js';
import { FlashStore } from '../../src/store/flash-store.js';
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
    harness.simulator.startScenario(
      parseScenario({ faults: [{ kind: 'remove', target: { jig: 1, slot: 1 }, when: { phase: 'TRANSFER', percent: 50 }, reinsertAfterMs: 300 }] }),
    );
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

  it('a hub pulled while it reboots into the new image: INTERRUPTED at once, not a failed attempt; put back, it counts as re-flashed', async () => {
    const [spec] = generateStock({ seed: 'bench-pull-reboot', count: 1 });
    harness = new BenchHarness({ stock: [spec!], workOrder: true, profile: { ...INSTANT_HUB_PROFILE, rebootMs: 3_000 } });
    let pulled: VirtualHub | undefined;
    let pulledAt = 0;
    // ACTIVATE answered, the hub is rebooting into the new image and flashd waits to read it back:
    // the technician takes it out.
    harness.simulator.on('phase', (jig, slot, _hub, event) => {
      if (event.phase !== 'ACTIVATE' || pulled) return;
      const poll = setInterval(() => {
        if (harness!.bench.slots()[0]!.phase !== 'READING_BACK') return;
        clearInterval(poll);
        pulled = jig.remove(slot.number);
        pulledAt = performance.now();
      }, 5);
    });
    await harness.start();
    const [first] = await harness.finished(1, 20_000);
    // Stopped as soon as the jig said the hub was gone, not after the reboot grace (15 s) ran out.
    expect(performance.now() - pulledAt).toBeLessThan(5_000);
    expect(first!.result).toMatchObject({ result: 'INTERRUPTED', error: { code: 'HUB_REMOVED', phase: 'READING_BACK' } });
    expect(first!.workOrderHub).toMatchObject({ failedAttempts: 0 });
    // On the shelf, unpowered: the verified image is marked for activation and finishes it at power-up.
    expect(harness.simulator.truth()[0]).toMatchObject({ slot: null, pendingActivation: true, heldImage: { verified: true } });
    // Back in the slot it runs the target; the hash it gave before its reboot and the ACTIVATE on
    // record make this flash ours: identifying it is the read-back, and the attempt says REFLASHED.
    harness.simulator.jig(1).insert(1, pulled!);
    const [, second] = await harness.finished(2, 20_000);
    expect(second!.result).toMatchObject({ result: 'REFLASHED', firmwareVersion: LATEST.get(spec!.model), hubSha256: second!.result.imageSha256 });
    expect(harness.store.getHub(spec!.deviceId)!.attempts[1]).toMatchObject({
      result: 'REFLASHED',
      firmwareAfter: LATEST.get(spec!.model),
      hubSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(second!.workOrderHub).toMatchObject({ state: 'REFLASHED', outcome: 'REFLASHED' });
    expect(harness.store.getHub(spec!.deviceId)).toMatchObject({ outcome: 'REFLASHED', firmwareVersion: LATEST.get(spec!.model) });
    expect(harness.simulator.truth()[0]).toMatchObject({ firmwareVersion: LATEST.get(spec!.model), flashCount: 1, pendingActivation: false });
  });

  it('a shutdown that outwaits its grace terminates the thread: INTERRUPTED, and the hash the hub verified is kept', async () => {
    const [spec] = generateStock({ seed: 'bench-terminate', count: 1 });
    harness = new BenchHarness({
      stock: [spec!],
      workOrder: true,
      profile: INSTANT_HUB_PROFILE,
      // Committed hubs finish their read-back through a shutdown; this one stops answering at ACTIVATE.
      config: { sessions: { shutdownGraceMs: 300, timeouts: { requestTimeoutMs: 5_000 } } },
    });
    harness.simulator.startScenario(parseScenario({ faults: [{ kind: 'brick', target: { jig: 1, slot: 1 }, when: { phase: 'ACTIVATE' } }] }));
    const activated = new Promise<void>((resolve) => harness!.simulator.on('phase', (_j, _s, _h, e) => e.phase === 'ACTIVATE' && resolve()));
    await harness.start();
    await activated;
    await harness.bench.stop();
    const [done] = harness.results;
    expect(done!.result).toMatchObject({ result: 'INTERRUPTED', error: { code: 'SESSION_INTERRUPTED', phase: 'ACTIVATING' } });
    const attempt = harness.store.getHub(spec!.deviceId)!.attempts[0]!;
    expect(attempt).toMatchObject({ result: 'INTERRUPTED', error: { code: 'SESSION_INTERRUPTED' }, firmwareTarget: LATEST.get(spec!.model) });
    expect(attempt.hubSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(attempt.hubSha256).toBe(attempt.imageSha256);
  });

  it('a result the store cannot take is shown as such: red blinking, STORE_WRITE_FAILED, never a green slot', async () => {
    const [spec] = generateStock({ seed: 'bench-disk-full', count: 1 });
    harness = new BenchHarness({ stock: [spec!], workOrder: true, profile: INSTANT_HUB_PROFILE });
    const full = vi.spyOn(FlashStore.prototype, 'finishAttemptOnWorkOrder').mockImplementation(() => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    });
    try {
      await harness.start();
      await harness.finished(1, 20_000);
    } finally {
      full.mockRestore();
    }
    const slot = harness.simulator.jig(1).slot(1);
    for (let i = 0; i < 500 && slot.led === 'BLUE'; i++) await new Promise((r) => setTimeout(r, 10));
    expect({ led: slot.led, blink: slot.blink }).toEqual({ led: 'RED', blink: true });
    // The slot, the finished event (API, metrics) say FAILED: the REFLASHED is on no record.
    expect(harness.bench.slots()[0]).toMatchObject({
      phase: 'DONE',
      result: 'FAILED',
      error: { code: 'STORE_WRITE_FAILED', message: expect.stringContaining('database or disk is full') },
    });
    expect(harness.results[0]!.result).toMatchObject({ result: 'FAILED', error: { code: 'STORE_WRITE_FAILED', phase: 'DONE' } });
    // The attempt is still open in the store: the next start closes it as INTERRUPTED, never REFLASHED.
    expect(harness.store.getHub(spec!.deviceId)!.attempts[0]).toMatchObject({ finishedAt: null });
  });

  it('a store that cannot take "ACTIVATE sent" stops the session before ACTIVATE: the hub keeps its old firmware', async () => {
    const [spec] = generateStock({ seed: 'bench-activate-unrecorded', count: 1 });
    harness = new BenchHarness({ stock: [spec!], workOrder: true, profile: INSTANT_HUB_PROFILE });
    const full = vi.spyOn(FlashStore.prototype, 'recordActivating').mockImplementation(() => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    });
    try {
      await harness.start();
      const [first] = await harness.finished(1, 20_000);
      expect(first!.result).toMatchObject({ result: 'FAILED', error: { code: 'STORE_WRITE_FAILED', phase: 'ACTIVATING' } });
    } finally {
      full.mockRestore();
    }
    // Nothing was activated that the store does not know of; the verified image is on record.
    expect(harness.simulator.truth()[0]).toMatchObject({ firmwareVersion: spec!.firmwareVersion, pendingActivation: false, flashCount: 0 });
    expect(harness.store.getHub(spec!.deviceId)!.attempts[0]).toMatchObject({ result: 'FAILED', hubSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('a retry while the jig is disconnected is refused with SLOT_UNAVAILABLE, not accepted and dropped', async () => {
    const stock = generateStock({ seed: 'bench-retry-down', count: 1 });
    stock[0] = { ...stock[0]!, masterKey: Buffer.alloc(32, 0x42) }; // fails its unlock: a hub to retry
    harness = new BenchHarness({ stock, workOrder: true, profile: INSTANT_HUB_PROFILE });
    await harness.start();
    await harness.finished(1, 20_000);
    const api = await harness.api();
    harness.simulator.faults.inject({ kind: 'control-disconnect', target: { jig: 1 }, refuseMs: 20_000 });
    for (let i = 0; i < 200 && harness.bench.jigs()[0]!.connected; i++) await new Promise((r) => setTimeout(r, 10));
    expect(harness.bench.jigs()[0]!.connected).toBe(false);
    const res = await api.inject({ method: 'POST', url: `/api/v1/hubs/${stock[0].deviceId}/retry`, headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: { code: 'SLOT_UNAVAILABLE', message: expect.stringContaining('jig JIG-1 is down') } });
    expect(harness.bench.activeSessions).toBe(0);
  });

  it('a slot brown-out during transfer stops the attempt (never REFLASHED) and the hub keeps its old firmware', async () => {
    const [spec] = generateStock({ seed: 'bench-brownout', count: 1 });
    harness = new BenchHarness({
      stock: [spec!],
      workOrder: true,
      profile: INSTANT_HUB_PROFILE,
      config: { sessions: { timeouts: { ackTimeoutMs: 300, transferRetries: 2 } } },
    });
    harness.simulator.startScenario(
      parseScenario({ faults: [{ kind: 'brown-out', target: { jig: 1, slot: 1 }, when: { phase: 'TRANSFER', offset: 16_384 }, durationMs: 100 }] }),
    );
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
