export interface ProgressCoalescerOptions<T> {
  /** At most one event per key per this many ms; the latest value always goes out. Default 250. */
  intervalMs?: number;
  send: (key: string, value: T) => void;
  now?: () => number;
}

interface Pending<T> {
  sentAt: number;
  value?: T;
  timer?: NodeJS.Timeout;
}

/**
 * Thins a fast stream of values per key (a slot's transfer progress, one per acknowledged block)
 * to a few a second: the first goes out at once, later ones within the interval wait and only the
 * newest is sent when it ends. 512 slots then cost a browser ~2,000 small events a second at most.
 */
export class ProgressCoalescer<T> {
  readonly #intervalMs: number;
  readonly #send: (key: string, value: T) => void;
  readonly #now: () => number;
  readonly #keys = new Map<string, Pending<T>>();

  constructor(options: ProgressCoalescerOptions<T>) {
    this.#intervalMs = options.intervalMs ?? 250;
    if (!(this.#intervalMs >= 0)) throw new RangeError(`intervalMs must be >= 0, got ${this.#intervalMs}`);
    this.#send = options.send;
    this.#now = options.now ?? Date.now;
  }

  offer(key: string, value: T): void {
    const now = this.#now();
    const entry = this.#keys.get(key);
    if (!entry || now - entry.sentAt >= this.#intervalMs) {
      if (entry?.timer) clearTimeout(entry.timer);
      this.#keys.set(key, { sentAt: now });
      this.#send(key, value);
      return;
    }
    entry.value = value;
    entry.timer ??= setTimeout(() => this.#flush(key), Math.max(0, this.#intervalMs - (now - entry.sentAt)));
  }

  /** Drops what waits for `key` (a full slot event has just carried a newer value). */
  discard(key: string): void {
    const entry = this.#keys.get(key);
    if (entry?.timer) clearTimeout(entry.timer);
    this.#keys.delete(key);
  }

  stop(): void {
    for (const key of [...this.#keys.keys()]) this.discard(key);
  }

  #flush(key: string): void {
    const entry = this.#keys.get(key);
    if (!entry || entry.value === undefined) return;
    const value = entry.value;
    this.#keys.set(key, { sentAt: this.#now() });
    this.#send(key, value);
  }
}
