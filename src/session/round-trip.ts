/** Shortest wait for a resent block's acknowledgement, whatever the measured round trip. */
export const MIN_HOLE_TIMEOUT_MS = 20;

/**
 * The smoothed round trip of a block: from when it left the wire (the waiter's wire clock) to the
 * acknowledgement that covers it, as TCP's SRTT (gain 1/8), and with Karn's rule: a block sent
 * twice gives no sample, since its acknowledgement could answer either copy. It sets how long a
 * resent block may stay unacknowledged before it goes again, instead of the full ACK timeout: a
 * resend that is itself lost would otherwise stall a window-full transfer for that whole timeout.
 */
export class RoundTrip {
  /** Block end offset → when its first copy left the wire; ascending, as blocks are first sent in order. */
  readonly #leftAt = new Map<number, number>();
  #srttMs: number | undefined;

  get srttMs(): number | undefined {
    return this.#srttMs;
  }

  /** How long to wait for a resent block before sending it again; undefined until measured. */
  get holeTimeoutMs(): number | undefined {
    return this.#srttMs === undefined ? undefined : Math.max(2 * this.#srttMs, MIN_HOLE_TIMEOUT_MS);
  }

  sentFirst(endOffset: number, leftWireAt: number): void {
    this.#leftAt.set(endOffset, leftWireAt);
  }

  sentAgain(endOffset: number): void {
    this.#leftAt.delete(endOffset);
  }

  /** The hub acknowledged everything up to `offset`: one sample, from the latest block it covers. */
  acknowledged(offset: number, now = performance.now()): void {
    let latest: number | undefined;
    for (const [end, at] of this.#leftAt) {
      if (end > offset) break;
      latest = at;
      this.#leftAt.delete(end);
    }
    if (latest === undefined) return;
    const sample = Math.max(0, now - latest);
    this.#srttMs = this.#srttMs === undefined ? sample : this.#srttMs + (sample - this.#srttMs) / 8;
  }
}
