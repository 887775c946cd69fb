import { describe, expect, it } from 'vitest';
import { createDuplexPair } from '../../../src/link/duplex-pair.js';
import { Prng } from '../../../jig-sim/prng.js';
import { SimLine } from '../../../jig-sim/sim-line.js';
import { WireFaults } from '../../../jig-sim/wire-faults.js';

/** A known stream: bytes from a seeded generator, so every byte value occurs. */
function knownStream(length: number, seed = 'stream'): Buffer {
  const prng = new Prng(seed);
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = prng.int(0, 255);
  return out;
}

function popcount(b: number): number {
  let n = 0;
  for (let v = b; v; v &= v - 1) n++;
  return n;
}

/** Pushes a stream through a line host → device in uneven chunks and returns what arrived. */
function throughLine(line: SimLine, stream: Buffer): Buffer {
  const parts: Buffer[] = [];
  line.setDevice((chunk) => parts.push(Buffer.from(chunk)));
  const [, device] = createDuplexPair();
  line.attachHost(device);
  let at = 0;
  let size = 1;
  while (at < stream.length) {
    device.emit('data', stream.subarray(at, at + size));
    at += size;
    size = (size * 7 + 3) % 1500 || 1;
  }
  return Buffer.concat(parts);
}

/** True when `inner` appears, in order, within `outer` (what is left when bytes were inserted). */
function isSubsequence(inner: Buffer, outer: Buffer): boolean {
  let j = 0;
  for (let i = 0; i < outer.length && j < inner.length; i++) if (outer[i] === inner[j]) j++;
  return j === inner.length;
}

describe('line noise, measured on the wire against a known stream', () => {
  it('flips bits at the configured rate (within 10%), deterministically from the seed', () => {
    const stream = knownStream(2_000_000);
    const rate = 1e-4; // expect ~1,600 flipped bits in 16 Mbit
    const run = (): Buffer => {
      const line = new SimLine('jig-1/3', { seed: 'seed-a' });
      line.toDeviceFaults.set({ bitErrorRate: rate });
      return throughLine(line, stream);
    };
    const received = run();
    expect(received.length).toBe(stream.length);
    let flipped = 0;
    for (let i = 0; i < stream.length; i++) flipped += popcount(stream[i]! ^ received[i]!);
    const measured = flipped / (stream.length * 8);
    expect(Math.abs(measured / rate - 1), `measured ${measured}`).toBeLessThan(0.1);
    expect(run().equals(received)).toBe(true); // same seed, same damage, whatever the chunking
  });

  it('drops bytes at the configured rate (within 10%)', () => {
    const stream = knownStream(1_000_000);
    const line = new SimLine('drop', { seed: 'seed-b' });
    line.toDeviceFaults.set({ dropRate: 2e-3 });
    const received = throughLine(line, stream);
    const measured = (stream.length - received.length) / stream.length;
    expect(Math.abs(measured / 2e-3 - 1), `measured ${measured}`).toBeLessThan(0.1);
    expect(line.toDeviceFaults.counters.dropped).toBe(stream.length - received.length);
    expect(isSubsequence(received, stream)).toBe(true); // the stream with holes, in order
  });

  it('duplicates bytes at the configured rate (within 10%)', () => {
    const stream = knownStream(1_000_000);
    const line = new SimLine('dup', { seed: 'seed-c' });
    line.toDeviceFaults.set({ duplicateRate: 2e-3 });
    const received = throughLine(line, stream);
    const measured = (received.length - stream.length) / stream.length;
    expect(Math.abs(measured / 2e-3 - 1), `measured ${measured}`).toBeLessThan(0.1);
    expect(line.toDeviceFaults.counters.duplicated).toBe(received.length - stream.length);
    expect(isSubsequence(stream, received)).toBe(true);
  });

  it('inserts garbage bursts at the configured rate with lengths in range', () => {
    const stream = knownStream(1_000_000);
    const line = new SimLine('garbage', { seed: 'seed-d' });
    line.toHostFaults.set({ garbageRate: 1e-3, garbageBytes: [4, 12] });
    const [host, device] = createDuplexPair();
    line.attachHost(device);
    let received = 0;
    host.on('data', (chunk: Buffer) => (received += chunk.length));
    line.send(stream);
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        const c = line.toHostFaults.counters;
        expect(Math.abs(c.garbageBursts / 1000 - 1), `bursts ${c.garbageBursts}`).toBeLessThan(0.1);
        expect(received - stream.length).toBe(c.garbageBytes);
        expect(c.garbageBytes).toBeGreaterThanOrEqual(4 * c.garbageBursts);
        expect(c.garbageBytes).toBeLessThanOrEqual(12 * c.garbageBursts);
        resolve();
      }),
    );
  });

  it('refuses rates that are not probabilities', () => {
    const faults = new WireFaults('x');
    expect(() => faults.set({ bitErrorRate: 2 })).toThrow(RangeError);
    expect(() => faults.set({ garbageRate: 0.1, garbageBytes: [5, 2] })).toThrow(/garbageBytes/);
  });
});
