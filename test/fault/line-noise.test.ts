import { afterEach, describe, expect, it } from 'vitest';
import { INSTANT_HUB_PROFILE, Prng, Simulator, generateStock, parseScenario } from '../../jig-sim/index.js';
import { flashSlot } from '../helpers/sim-session.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function knownStream(length: number): Buffer {
  const prng = new Prng('known');
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = prng.int(0, 255);
  return out;
}

/** Runs a scenario on an empty slot 1/1 and pushes a known stream host → slot; returns what arrived. */
async function throughSlot(faults: unknown[], stream: Buffer): Promise<{ received: Buffer; sim: Simulator }> {
  sim = new Simulator({ jigs: 1 });
  sim.startScenario(parseScenario({ seed: 'noise', faults }));
  const parts: Buffer[] = [];
  sim
    .jig(1)
    .slot(1)
    .line.setDevice((chunk) => parts.push(Buffer.from(chunk)));
  const host = sim.openInProcess('JIG-1/1')!;
  for (let at = 0; at < stream.length; at += 1000) host.write(stream.subarray(at, at + 1000));
  await new Promise((resolve) => setImmediate(resolve));
  return { received: Buffer.concat(parts), sim };
}

const target = { jig: 1, slot: 1 };

describe('line noise from a scenario, measured on the wire', () => {
  it('bit-errors: flipped bits at the scenario rate (within 10%), towards the hub only', async () => {
    const stream = knownStream(1_000_000);
    const { received, sim: s } = await throughSlot([{ kind: 'bit-errors', target, direction: 'to-hub', ratePerBit: 2e-4 }], stream);
    let flipped = 0;
    for (let i = 0; i < stream.length; i++) for (let v = stream[i]! ^ received[i]!; v; v &= v - 1) flipped++;
    expect(Math.abs(flipped / 8e6 / 2e-4 - 1), `${flipped} bits flipped`).toBeLessThan(0.1);
    expect(s.jig(1).slot(1).line.toHostFaults.rates).toEqual({});
    expect(s.jig(1).slot(2).line.toDeviceFaults.active).toBe(false); // other slots untouched
  });

  it('drop-bytes and duplicate-bytes: byte counts at the scenario rates (within 10%)', async () => {
    const stream = knownStream(1_000_000);
    const dropped = await throughSlot([{ kind: 'drop-bytes', target, rate: 1e-3 }], stream);
    expect(Math.abs((stream.length - dropped.received.length) / 1e6 / 1e-3 - 1)).toBeLessThan(0.1);
    await sim!.close();
    const duplicated = await throughSlot([{ kind: 'duplicate-bytes', target, rate: 1e-3 }], stream);
    expect(Math.abs((duplicated.received.length - stream.length) / 1e6 / 1e-3 - 1)).toBeLessThan(0.1);
  });

  it('garbage: bursts at the scenario rate, and a rate-less garbage fault is one burst now', async () => {
    const stream = knownStream(1_000_000);
    const { received, sim: s } = await throughSlot([{ kind: 'garbage', target, direction: 'to-hub', rate: 5e-4, lengthBytes: [2, 6] }], stream);
    const bursts = s.jig(1).slot(1).line.toDeviceFaults.counters.garbageBursts;
    expect(Math.abs(bursts / 500 - 1), `${bursts} bursts`).toBeLessThan(0.1);
    expect(received.length - stream.length).toBe(s.jig(1).slot(1).line.toDeviceFaults.counters.garbageBytes);

    const host = s.openInProcess('JIG-1/2')!;
    const got: Buffer[] = [];
    host.on('data', (chunk: Buffer) => got.push(chunk));
    const fired = s.faults.inject({ kind: 'garbage', target: { jig: 1, slot: 2 }, direction: 'to-host', lengthBytes: [16, 16] });
    await new Promise((resolve) => setImmediate(resolve));
    expect(fired).toHaveLength(1);
    expect(Buffer.concat(got).length).toBe(16);
  });

  it('a noise fault with durationMs stops after it', async () => {
    sim = new Simulator({ jigs: 1 });
    sim.startScenario(parseScenario({ faults: [{ kind: 'drop-bytes', target, rate: 0.5, durationMs: 50 }] }));
    expect(sim.jig(1).slot(1).line.toDeviceFaults.active).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(sim.jig(1).slot(1).line.toDeviceFaults.active).toBe(false);
  });

  it('the daemon still re-flashes a hub through a line with bit errors both ways, and the hub really runs it', async () => {
    const spec = generateStock({ seed: 'noisy', count: 1 })[0]!;
    sim = new Simulator({ jigs: 1, profileFor: () => INSTANT_HUB_PROFILE });
    sim.jig(1).insert(1, spec);
    sim.startScenario(parseScenario({ seed: 'noisy-e2e', faults: [{ kind: 'bit-errors', target, ratePerBit: 2e-6 }] }));
    const result = await flashSlot(sim, 1, 1);
    expect(result.error).toBeUndefined();
    expect(result.result).toBe('REFLASHED');
    const line = sim.jig(1).slot(1).line;
    expect(line.toDeviceFaults.counters.bitsFlipped).toBeGreaterThan(0);
    expect(sim.truth()[0]).toMatchObject({ firmwareVersion: result.targetFirmwareVersion, flashCount: 1 });
  });
});
