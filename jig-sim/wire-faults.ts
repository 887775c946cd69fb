import { Prng } from './prng.js';

/**
 * Line noise on one direction of a line, applied where the bytes arrive (after pacing: a byte the
 * receiver drops still took its wire time, as a UART overrun does). Rates are probabilities.
 */
export interface WireFaultRates {
  /** Probability that a bit arrives flipped. */
  bitErrorRate?: number;
  /** Probability that a byte is lost. */
  dropRate?: number;
  /** Probability that a byte arrives twice. */
  duplicateRate?: number;
  /** Probability, per byte, that a burst of random bytes follows it. */
  garbageRate?: number;
  /** Inclusive length range of a garbage burst; default [1, 32]. */
  garbageBytes?: readonly [number, number];
}

/** What a {@link WireFaults} did, for tests and the ground-truth view. */
export interface WireFaultCounters {
  bytesIn: number;
  bytesOut: number;
  bitsFlipped: number;
  dropped: number;
  duplicated: number;
  garbageBursts: number;
  garbageBytes: number;
}

type Process = 'bit' | 'drop' | 'dup' | 'garbage';

/**
 * Deterministic from its seed and the byte stream, whatever the chunking: each fault process
 * keeps a countdown to its next victim drawn from a geometric distribution, so a rate of 1e-6 per
 * bit costs nothing per byte.
 */
export class WireFaults {
  readonly counters: WireFaultCounters = { bytesIn: 0, bytesOut: 0, bitsFlipped: 0, dropped: 0, duplicated: 0, garbageBursts: 0, garbageBytes: 0 };
  #prng: Record<Process, Prng>;
  #rates: WireFaultRates = {};
  #until: Record<Process, number> = { bit: Infinity, drop: Infinity, dup: Infinity, garbage: Infinity };

  constructor(seed: string) {
    this.#prng = WireFaults.#generators(seed);
  }

  static #generators(seed: string): Record<Process, Prng> {
    return { bit: Prng.derive(seed, 'bit'), drop: Prng.derive(seed, 'drop'), dup: Prng.derive(seed, 'dup'), garbage: Prng.derive(seed, 'garbage') };
  }

  /** Starts every generator again from a new seed (a scenario brings its own), keeping the rates. */
  reseed(seed: string): void {
    this.#prng = WireFaults.#generators(seed);
    this.set(this.#rates);
  }

  get rates(): Readonly<WireFaultRates> {
    return this.#rates;
  }

  get active(): boolean {
    return this.#until.bit !== Infinity || this.#until.drop !== Infinity || this.#until.dup !== Infinity || this.#until.garbage !== Infinity;
  }

  /** Replaces the rates (an empty object turns the noise off). */
  set(rates: WireFaultRates): void {
    for (const [name, value] of Object.entries(rates)) {
      if (name === 'garbageBytes') continue;
      if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new RangeError(`${name} must be a probability 0..1, got ${String(value)}`);
    }
    const [min, max] = rates.garbageBytes ?? [1, 32];
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min || max > 4096)
      throw new RangeError(`garbageBytes must be [min, max] within 1..4096, got [${min}, ${max}]`);
    this.#rates = { ...rates };
    this.#until = {
      bit: this.#prng.bit.gap(rates.bitErrorRate ?? 0),
      drop: this.#prng.drop.gap(rates.dropRate ?? 0),
      dup: this.#prng.dup.gap(rates.duplicateRate ?? 0),
      garbage: this.#prng.garbage.gap(rates.garbageRate ?? 0),
    };
  }

  /** Random bytes, as a burst of noise on the line would deliver; `range` (inclusive) defaults to the rates' garbageBytes. */
  burst(range: readonly [number, number] = this.#rates.garbageBytes ?? [1, 32]): Buffer {
    const n = this.#prng.garbage.int(range[0], range[1]);
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.#prng.garbage.int(0, 255);
    this.counters.garbageBursts++;
    this.counters.garbageBytes += n;
    return out;
  }

  /** The bytes as they arrive: flipped, dropped, duplicated or followed by garbage. */
  apply(chunk: Buffer): Buffer {
    this.counters.bytesIn += chunk.length;
    if (!this.active) {
      this.counters.bytesOut += chunk.length;
      return chunk;
    }
    const data = Buffer.from(chunk);
    const bits = data.length * 8;
    let bit = this.#until.bit;
    while (bit < bits) {
      data[bit >> 3]! ^= 1 << (bit & 7);
      this.counters.bitsFlipped++;
      bit += 1 + this.#prng.bit.gap(this.#rates.bitErrorRate ?? 0);
    }
    this.#until.bit = bit - bits;
    const drops = this.#positions('drop', data.length, this.#rates.dropRate);
    const dups = this.#positions('dup', data.length, this.#rates.duplicateRate);
    const garbage = this.#positions('garbage', data.length, this.#rates.garbageRate);
    if (drops.size === 0 && dups.size === 0 && garbage.size === 0) {
      this.counters.bytesOut += data.length;
      return data;
    }
    const parts: Buffer[] = [];
    let from = 0;
    const events = [...new Set([...drops, ...dups, ...garbage])].sort((a, b) => a - b);
    for (const i of events) {
      parts.push(data.subarray(from, i));
      if (drops.has(i)) this.counters.dropped++;
      else parts.push(data.subarray(i, i + 1));
      if (dups.has(i) && !drops.has(i)) {
        parts.push(data.subarray(i, i + 1));
        this.counters.duplicated++;
      }
      if (garbage.has(i)) parts.push(this.burst());
      from = i + 1;
    }
    parts.push(data.subarray(from));
    const out = Buffer.concat(parts);
    this.counters.bytesOut += out.length;
    return out;
  }

  #positions(process: Process, length: number, rate: number | undefined): Set<number> {
    const hits = new Set<number>();
    let at = this.#until[process];
    while (at < length) {
      hits.add(at);
      at += 1 + this.#prng[process].gap(rate ?? 0);
    }
    this.#until[process] = at - length;
    return hits;
  }
}
