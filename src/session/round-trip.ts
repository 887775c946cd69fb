/** Shortest wait for a resent block's acknowledgement, whatever the measured round trip. */
export const MIN_HOLE_TIMEOUT_MS = 20;

/** Frames remembered for their echo: far more than any window in flight. */
const MAX_UNANSWERED = 1024;

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
  /** Frame sequence number → when it left the wire, for frames not yet answered (bounded). */
  readonly #seqLeftAt = new Map<number, number>();

  get srttMs(): number | undefined {
    return this.#srttMs;
  }

  /** How long to wait for a resent block before sending it again; undefined until measured. */
  get holeTimeoutMs(): number | undefined {
    return this.#srttMs === undefined ? undefined : Math.max(2 * this.#srttMs, MIN_HOLE_TIMEOUT_MS);
  }

  /**
   * On a line known to be noisy: how long silence after the last frame left the wire may last
   * before going back, four smoothed round trips (at least {@link MIN_HOLE_TIMEOUT_MS}, at most
   * `ackTimeoutMs`); `ackTimeoutMs` until measured.
   */
  resendTimeoutMs(ackTimeoutMs: number): number {
    return this.#srttMs === undefined ? ackTimeoutMs : Math.min(ackTimeoutMs, Math.max(4 * this.#srttMs, MIN_HOLE_TIMEOUT_MS));
  }

  sentFirst(endOffset: number, leftWireAt: number): void {
    this.#leftAt.set(endOffset, leftWireAt);
  }

  sentAgain(endOffset: number): void {
    this.#leftAt.delete(endOffset);
  }

  /**
   * A DATA frame left the wire at `leftWireAt`. The hub's ACK carries the sequence number of the
   * frame it answers, so its echo is a sample even for a resent block (Karn's ambiguity does not
   * arise): on a noisy line, where most blocks go more than once, this is the only measure.
   */
  sentSeq(seq: number, leftWireAt: number): void {
    this.#seqLeftAt.delete(seq);
    this.#seqLeftAt.set(seq, leftWireAt);
    if (this.#seqLeftAt.size > MAX_UNANSWERED) this.#seqLeftAt.delete(this.#seqLeftAt.keys().next().value!);
  }

  /** The hub answered the frame with sequence number `seq` (an ACK echoes it): one sample. */
  echoed(seq: number, now = performance.now()): boolean {
    const at = this.#seqLeftAt.get(seq);
    if (at === undefined) return false;
    this.#seqLeftAt.delete(seq);
    this.#sample(Math.max(0, now - at));
    return true;
  }

  /** The hub acknowledged everything up to `offset`: one sample, from the latest block it covers (unless `sample` is false: the echo gave one). */
  acknowledged(offset: number, now = performance.now(), sample = true): void {
    let latest: number | undefined;
    for (const [end, at] of this.#leftAt) {
      if (end > offset) break;
      latest = at;
      this.#leftAt.delete(end);
    }
    if (latest === undefined || !sample) return;
    this.#sample(Math.max(0, now - latest));
  }

  #sample(ms: number): void {
    this.#srttMs = this.#srttMs === undefined ? ms : this.#srttMs + (ms - this.#srttMs) / 8;
  }
}
