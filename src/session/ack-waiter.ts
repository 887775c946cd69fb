/**
 * Waits for an acknowledgement with a timeout that measures silence after the last byte reached
 * the far end of the wire, not time spent queued. A link reports a write done when its driver (or
 * socket, or the simulator's UART buffer) took the bytes, which may be long before they are on the
 * wire at 115,200 baud; so the waiter keeps a virtual wire clock from the line rate: each frame
 * leaves when the previous one has, and the timer runs `timeoutMs` past the later of that moment
 * and the last write completion.
 */
export class AckWaiter {
  readonly #timeoutMs: number;
  #bytesPerMs: number;
  #wireFreeAt = 0;
  #writtenAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #resolve: ((timedOut: boolean) => void) | undefined;

  /** @param lineBytesPerSecond the line's byte rate (baudRate / 10 for 8N1). */
  constructor(timeoutMs: number, lineBytesPerSecond: number) {
    if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be ≥ 0, got ${timeoutMs}`);
    this.#timeoutMs = timeoutMs;
    this.#bytesPerMs = lineBytesPerSecond > 0 ? lineBytesPerSecond / 1000 : Number.POSITIVE_INFINITY;
  }

  /** A frame of `bytes` was handed to the link now: it occupies the wire after what went before. */
  queued(bytes: number): void {
    const now = performance.now();
    this.#wireFreeAt = Math.max(now, this.#wireFreeAt) + bytes / this.#bytesPerMs;
  }

  /** The link took a write: the silence timer restarts from here (or from when the wire drains). */
  written(): void {
    this.#writtenAt = performance.now();
  }

  /** Resolves false when woken (an acknowledgement came), true after the silence timeout. */
  wait(): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      this.#resolve = resolve;
      this.#arm();
    });
  }

  wake(): void {
    this.#settle(false);
  }

  /** Releases a pending wait and its timer (the transfer ended). */
  dispose(): void {
    this.#settle(false);
  }

  /**
   * One timer per wait, checked when it fires: writes and queued frames only move the deadline, so
   * a busy transfer does not clear and set a timer per block.
   */
  #arm(): void {
    clearTimeout(this.#timer);
    const due = Math.max(this.#wireFreeAt, this.#writtenAt) + this.#timeoutMs;
    const left = due - performance.now();
    this.#timer = left > 0 ? setTimeout(() => this.#arm(), left) : undefined;
    if (left <= 0) this.#settle(true);
  }

  #settle(timedOut: boolean): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.(timedOut);
  }
}
