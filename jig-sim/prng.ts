import { createHash } from 'node:crypto';

/**
 * A small seeded PRNG (mulberry32) for fault decisions. Fault paths never use Math.random: the
 * same scenario seed must give the same corrupted bytes, so a failing run can be replayed.
 * Each fault stream derives its own generator from `seed/label`, so adding a fault to one slot
 * does not shift the random choices of another.
 */
export class Prng {
  #state: number;

  constructor(seed: string | number) {
    this.#state = typeof seed === 'number' ? seed >>> 0 : createHash('sha256').update(seed).digest().readUInt32LE(0);
  }

  /** A generator for a named sub-stream (`seed/label`). */
  static derive(seed: string, label: string): Prng {
    return new Prng(`${seed}/${label}`);
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /**
   * How many trials pass before the next event of probability `p` (geometric distribution). Lets a
   * fault at rate 1e-6 per bit skip straight to its next victim instead of drawing per bit.
   */
  gap(p: number): number {
    if (p <= 0) return Number.POSITIVE_INFINITY;
    if (p >= 1) return 0;
    const u = 1 - this.next(); // (0, 1]
    return Math.floor(Math.log(u) / Math.log1p(-p));
  }
}
