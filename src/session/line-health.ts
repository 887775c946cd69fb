/** When a line counts as too noisy to stay at its rate. */
export interface LineErrorLimit {
  /** Errors (lost or corrupt frames either way, acknowledgement timeouts) that trigger a step down. */
  errors: number;
  /** ...when they fall within this many consecutive blocks sent. */
  windowBlocks: number;
}

/**
 * Counts link errors over a sliding window of blocks sent. A gap acknowledgement means a DATA frame
 * was lost or corrupt on the way to the hub; a CRC error counted by our parser means a frame from
 * the hub was; a timeout means both directions went quiet. A few are normal on any UART; many within
 * a short stretch mean the rate is too high for this cable or adapter, and the session steps down
 * (as esptool users do by hand with `--baud`).
 */
export class LineHealth {
  readonly #limit: LineErrorLimit | undefined;
  readonly #events: number[] = [];
  #total = 0;

  constructor(limit: LineErrorLimit | undefined) {
    if (limit && (!(limit.errors >= 1) || !(limit.windowBlocks >= 1))) throw new RangeError('an error limit needs errors ≥ 1 and windowBlocks ≥ 1');
    this.#limit = limit;
  }

  get total(): number {
    return this.#total;
  }

  /** Records `count` errors seen when `blocksSent` blocks had been sent. */
  record(blocksSent: number, count = 1): void {
    for (let i = 0; i < count; i++) this.#events.push(blocksSent);
    this.#total += count;
  }

  /** True when the errors within the last `windowBlocks` blocks reached the limit. */
  exceeded(blocksSent: number): boolean {
    const limit = this.#limit;
    if (!limit) return false;
    while (this.#events.length > 0 && blocksSent - this.#events[0]! >= limit.windowBlocks) this.#events.shift();
    return this.#events.length >= limit.errors;
  }
}
