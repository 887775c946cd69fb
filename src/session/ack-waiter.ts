/**
 * Waits for an acknowledgement with a timeout that measures silence after the last byte reached
 * the far end of the wire, not time spent queued. A link reports a write done when its driver (or
 * socket, or the simulator's UART buffer) took the bytes, which may be long before they are on the
 * wire at 115,200 baud; so the waiter keeps a virtual wire clock from the line rate: each frame
 * leaves when the previous one has, and the timer runs `timeoutMs` past the later of that moment
 * and the last write completion.
 */
export class AckWaiter {
  #timeoutMs: number;
  #bytesPerMs: number;
  #wireFreeAt = 0;
  #writtenAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #until: number | undefined;
  #resolve: ((reason: WaitEnd) => void) | undefined;

  /** @param lineBytesPerSecond the line's byte rate (baudRate / 10 for 8N1). */
  constructor(timeoutMs: number, lineBytesPerSecond: number) {
    if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be ≥ 0, got ${timeoutMs}`);
    this.#timeoutMs = timeoutMs;
    this.#bytesPerMs = lineBytesPerSecond > 0 ? lineBytesPerSecond / 1000 : Number.POSITIVE_INFINITY;
  }

  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** A new silence allowance (an adaptive resend timer); takes effect at the next wait. */
  set timeoutMs(ms: number) {
    if (!(ms >= 0)) throw new RangeError(`timeoutMs must be ≥ 0, got ${ms}`);
    this.#timeoutMs = ms;
  }

  /** A frame of `bytes` was handed to the link now: it occupies the wire after what went before. */
  queued(bytes: number): void {
    const now = performance.now();
    this.#wireFreeAt = Math.max(now, this.#wireFreeAt) + bytes / this.#bytesPerMs;
  }

  /** When the last frame handed over so far will have left the wire (performance.now() time). */
  get wireFreeAt(): number {
    return this.#wireFreeAt;
  }

  /** The link took a write: the silence timer restarts from here (or from when the wire drains). */
  written(): void {
    this.#writtenAt = performance.now();
  }

  /**
   * Resolves `woken` when {@link wake} is called (an acknowledgement came), `silence` after the
   * timeout, or `deadline` at `until` (a performance.now() time) if that comes first.
   */
  wait(until?: number): Promise<WaitEnd> {
    return new Promise<WaitEnd>((resolve) => {
      this.#resolve = resolve;
      this.#until = until;
      this.#arm();
    });
  }

  wake(): void {
    this.#settle('woken');
  }

  /** Releases a pending wait and its timer (the transfer ended). */
  dispose(): void {
    this.#settle('woken');
  }

  /**
   * One timer per wait, checked when it fires: writes and queued frames only move the deadline, so
   * a busy transfer does not clear and set a timer per block.
   */
  #arm(): void {
    clearTimeout(this.#timer);
    const now = performance.now();
    const silentAt = Math.max(this.#wireFreeAt, this.#writtenAt) + this.#timeoutMs;
    if (this.#until !== undefined && this.#until <= Math.min(now, silentAt)) return this.#settle('deadline');
    if (silentAt <= now) return this.#settle('silence');
    this.#timer = setTimeout(() => this.#arm(), Math.min(silentAt, this.#until ?? silentAt) - now);
  }

  #settle(reason: WaitEnd): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.(reason);
  }
}

/** Why a wait ended. */
export type WaitEnd = 'woken' | 'silence' | 'deadline';
