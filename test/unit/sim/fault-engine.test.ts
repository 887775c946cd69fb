import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE, Simulator, generateStock, parseScenario } from '../../../jig-sim/index.js';
import { HubWire, sendWindowed, unlockHub } from '../../helpers/hub-wire.js';
import { demoCatalog, flashSlot } from '../../helpers/sim-session.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('fault triggers', () => {
  it('counts attempts per hub: the read-back after an activation is not a new IDENTIFY attempt', async () => {
    const [spec] = generateStock({ seed: 'attempts', count: 1 });
    sim = new Simulator({ jigs: 1, profileFor: () => INSTANT_HUB_PROFILE });
    sim.jig(1).insert(1, spec!);
    sim.startScenario(parseScenario({ faults: [{ kind: 'brick', target: { deviceId: spec!.deviceId }, when: { phase: 'IDENTIFY', attempt: 2 } }] }));
    expect((await flashSlot(sim, 1, 1)).result).toBe('REFLASHED'); // IDENTIFY #1, then the read-back
    expect(sim.faults.fired).toHaveLength(0);
    const second = await flashSlot(sim, 1, 1, { timeouts: { requestRetries: 0 } }); // IDENTIFY #2
    expect(second).toMatchObject({ result: 'FAILED', error: { code: 'HUB_TIMEOUT', phase: 'IDENTIFYING' } });
    expect(sim.truth()[0]).toMatchObject({ bricked: true, flashCount: 1 });
  });

  it('fires a TRANSFER trigger on the Nth transfer only, at the share of the image it names', async () => {
    const [spec] = generateStock({ seed: 'transfer-attempt', count: 1 });
    sim = new Simulator({ jigs: 1, profileFor: () => INSTANT_HUB_PROFILE });
    sim.jig(1).insert(1, spec!);
    sim.startScenario(
      parseScenario({ faults: [{ kind: 'brick', untilPowerCycle: true, target: { jig: 1, slot: 1 }, when: { phase: 'TRANSFER', attempt: 2, percent: 30 } }] }),
    );
    // Registered after the scenario's engine, so it sees the event the fault fired on.
    let firedAt: number | undefined;
    sim.on('phase', (_j, _s, hub, event) => {
      if (event.phase === 'TRANSFER' && firedAt === undefined && sim!.faults.fired.length > 0) firedAt = event.offset! / event.sizeBytes!;
    });
    const hub = sim.jig(1).slot(1).hub!;
    // Attempt 1: a transfer begun and abandoned after 8 KiB, well before 30 %.
    const wire = HubWire.open(sim, 1, 1);
    await unlockHub(wire, spec!);
    const image = (await demoCatalog()).latestFor(spec!.manufacturer, spec!.model)!;
    await wire.request({ kind: 'BEGIN', sha256: Buffer.from(image.sha256, 'hex'), imageSize: image.sizeBytes, blockBytes: 4096, window: 8, flags: 0 });
    expect(await sendWindowed(wire, image.data, { to: 8192, blockBytes: 4096, window: 8 })).toBe(8192);
    wire.close();
    expect(sim.faults.fired).toHaveLength(0);
    // Attempt 2: the daemon resumes; the hub hangs once 30 % is in.
    expect((await flashSlot(sim, 1, 1, { timeouts: { requestRetries: 0 } })).result).toBe('FAILED');
    expect(hub.phaseCounts.get('TRANSFER')).toBe(2);
    expect(firedAt).toBeGreaterThanOrEqual(0.3);
    expect(firedAt).toBeLessThan(0.36);
    expect(sim.faults.fired).toEqual([expect.objectContaining({ kind: 'brick' })]);
  });

  it('holds a fault aimed at a Device ID until that hub is inserted', () => {
    const [spec] = generateStock({ seed: 'later', count: 1 });
    sim = new Simulator({ jigs: 1 });
    sim.startScenario(parseScenario({ faults: [{ kind: 'slow-hub', factor: 3, target: { deviceId: spec!.deviceId } }] }));
    expect(sim.faults.fired).toHaveLength(0);
    const hub = sim.jig(1).insert(4, spec!);
    expect(hub.defects.slowdown).toBe(3);
    expect(sim.faults.fired).toEqual([expect.objectContaining({ kind: 'slow-hub', what: `slow-hub on JIG-1/4 ${spec!.deviceId}` })]);
  });
});
