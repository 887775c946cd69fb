/**
 * How one simulated serial line carries bytes. Pacing models an 8N1 UART: ten bit times per
 * byte, so at most `baudRate / 10` bytes a second, plus a fixed one-way latency for the
 * USB-serial adapter (FTDI-class adapters hold bytes up to their 1–16 ms latency timer).
 */
export interface LinkTiming {
  /** Pace the line; false delivers every write at once with no latency (the pre-pacing behaviour). Default false. */
  paced: boolean;
  /** Line rate in baud; bytes/s = baudRate / 10. Default 115,200. */
  baudRate: number;
  /** Added to every byte's arrival, in ms. Default 0. */
  latencyMs: number;
}

export const INSTANT_LINK: Readonly<LinkTiming> = Object.freeze({ paced: false, baudRate: 115_200, latencyMs: 0 });

/** Longest stretch of wire time handed over in one piece: keeps latency honest at any rate. */
export const MAX_PIECE_MS = 2;

export function checkLinkTiming(timing: LinkTiming): void {
  if (!Number.isFinite(timing.baudRate) || timing.baudRate < 300 || timing.baudRate > 16_000_000)
    throw new RangeError(`baudRate must be 300..16,000,000, got ${timing.baudRate}`);
  if (!Number.isFinite(timing.latencyMs) || timing.latencyMs < 0 || timing.latencyMs > 10_000)
    throw new RangeError(`latencyMs must be 0..10,000, got ${timing.latencyMs}`);
}

/**
 * One direction of a line. No timer per byte: a virtual clock (`#wireFreeAt`) gives each piece of
 * at most {@link MAX_PIECE_MS} of wire time its departure time, and one timer wakes for the next
 * due piece. A timer that fires late does not slow the line: the next piece starts when the wire
 * was free, not when the timer ran. Pieces not yet on the wire take a rate change at once.
 */
export class PacedPipe {
  readonly #deliver: (chunk: Buffer) => void;
  #timing: LinkTiming;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #wireFreeAt = 0;
  #flight: Array<{ due: number; data: Buffer }> = [];
  #timer: NodeJS.Timeout | undefined;
  #onDrain: (() => void) | undefined;
  #idleWaiters: Array<() => void> = [];

  constructor(deliver: (chunk: Buffer) => void, timing: LinkTiming = INSTANT_LINK) {
    checkLinkTiming(timing);
    this.#deliver = deliver;
    this.#timing = { ...timing };
  }

  get timing(): Readonly<LinkTiming> {
    return this.#timing;
  }

  setTiming(timing: LinkTiming): void {
    checkLinkTiming(timing);
    this.#timing = { ...timing };
    if (!timing.paced) {
      // Unpaced: whatever waits goes now, in order.
      const rest = [...this.#flight.map((f) => f.data), ...this.#pending];
      this.#flight = [];
      this.#pending = [];
      this.#pendingBytes = 0;
      clearTimeout(this.#timer);
      if (rest.length > 0) this.#deliver(Buffer.concat(rest));
      this.#onDrain?.();
      for (const w of this.#idleWaiters.splice(0)) w();
      return;
    }
    this.#pump();
  }

  /** Called once the queue falls to zero after {@link write} returned false. */
  onDrain(handler: (() => void) | undefined): void {
    this.#onDrain = handler;
  }

  /** Queues bytes; returns false when more than `highWaterBytes` wait for the wire. */
  write(chunk: Buffer, highWaterBytes = Number.POSITIVE_INFINITY): boolean {
    if (chunk.length === 0) return true;
    if (!this.#timing.paced) {
      this.#deliver(chunk);
      return true;
    }
    const now = performance.now();
    if (this.#pendingBytes === 0 && this.#wireFreeAt < now) this.#wireFreeAt = now;
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    this.#pump();
    return this.#pendingBytes <= highWaterBytes;
  }

  /** Resolves once every byte written so far has arrived (nothing queued, nothing in flight). */
  idle(): Promise<void> {
    if (this.#pendingBytes === 0 && this.#flight.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Drops everything queued or in flight (the line is torn down). */
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#flight = [];
    for (const w of this.#idleWaiters.splice(0)) w();
  }

  readonly #pump = (): void => {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = performance.now();
    const bytesPerMs = this.#timing.baudRate / 10 / 1000;
    const pieceBytes = Math.max(1, Math.floor(bytesPerMs * MAX_PIECE_MS));
    while (this.#pendingBytes > 0 && this.#wireFreeAt <= now) {
      const piece = this.#take(pieceBytes);
      this.#wireFreeAt += piece.length / bytesPerMs;
      this.#flight.push({ due: this.#wireFreeAt + this.#timing.latencyMs, data: piece });
    }
    let due = 0;
    while (due < this.#flight.length && this.#flight[due]!.due <= now) due++;
    if (due > 0) {
      const out = this.#flight.splice(0, due);
      this.#deliver(out.length === 1 ? out[0]!.data : Buffer.concat(out.map((f) => f.data)));
    }
    let next = Number.POSITIVE_INFINITY;
    if (this.#flight.length > 0) next = this.#flight[0]!.due;
    if (this.#pendingBytes > 0) next = Math.min(next, this.#wireFreeAt);
    if (next !== Number.POSITIVE_INFINITY && !this.#timer) this.#timer = setTimeout(this.#pump, Math.max(0, next - performance.now()));
    if (this.#pendingBytes === 0) this.#onDrain?.();
    if (this.#pendingBytes === 0 && this.#flight.length === 0) for (const w of this.#idleWaiters.splice(0)) w();
  };

  #take(n: number): Buffer {
    const first = this.#pending[0]!;
    if (first.length <= n) {
      this.#pending.shift();
      this.#pendingBytes -= first.length;
      return first;
    }
    this.#pending[0] = first.subarray(n);
    this.#pendingBytes -= n;
    return first.subarray(0, n);
  }
}
