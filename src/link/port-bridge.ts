import type { MessagePort } from 'node:worker_threads';
import { joinBytes } from './join-bytes.js';
import type { Link } from './open-link.js';

/**
 * Messages of the byte pipe between a slot's port (main thread) and its hub session (worker).
 * Only buffers cross; the port never leaves the main thread (node-serialport #2748, #2974).
 */
export type ToSession =
  | { t: 'rx'; data: Uint8Array }
  /** Writes up to and including `id` are on the link (a stream completes writes in order), or `id` failed. */
  | { t: 'txdone'; id: number; error?: string }
  | { t: 'baud'; baudRate: number; error?: string }
  | { t: 'closed'; reason: string };

export type FromSession = { t: 'tx'; id: number; data: Uint8Array } | { t: 'set-baud'; baudRate: number };

/** Counters of what crossed a bridge, for throughput figures and tests. */
export interface BridgeStats {
  rxBytes: number;
  txBytes: number;
}

/**
 * Connects a link to a MessagePort for the length of one session. Received bytes are copied into
 * a fresh buffer and transferred (no per-byte work, no shared pooled memory); a `txdone` goes back
 * when the link has taken a write, which is when the session starts its reply timer.
 */
export class LinkBridge {
  readonly stats: BridgeStats = { rxBytes: 0, txBytes: 0 };
  readonly #link: Link;
  readonly #port: MessagePort;
  #attached = true;
  #writtenUpTo: number | undefined;
  #rx: Buffer[] = [];
  #rxBytes = 0;

  constructor(link: Link, port: MessagePort) {
    this.#link = link;
    this.#port = port;
    port.on('message', this.#onMessage);
    link.stream.on('close', this.#onClose);
  }

  /**
   * Called by the slot's permanent data listener while this bridge is attached. Chunks that arrive
   * in one turn of the event loop go to the session as one message, copied once into a fresh buffer
   * that is transferred (no shared pooled memory crosses). A stream hands over its chunks, so
   * holding them until then is safe.
   */
  deliver(chunk: Buffer): void {
    if (!this.#attached) return;
    this.stats.rxBytes += chunk.length;
    this.#rx.push(chunk);
    this.#rxBytes += chunk.length;
    if (this.#rx.length === 1) setImmediate(this.#flushRx);
  }

  readonly #flushRx = (): void => {
    const parts = this.#rx;
    const bytes = this.#rxBytes;
    this.#rx = [];
    this.#rxBytes = 0;
    if (!this.#attached || parts.length === 0) return;
    const data = joinBytes(parts, new Uint8Array(bytes));
    this.#port.postMessage({ t: 'rx', data } satisfies ToSession, [data.buffer]);
  };

  detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    this.#port.off('message', this.#onMessage);
    this.#link.stream.off('close', this.#onClose);
    this.#port.close();
  }

  readonly #onMessage = (message: FromSession): void => {
    if (message.t === 'tx') {
      const data = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
      this.stats.txBytes += data.length;
      this.#link.stream.write(data, (err) => {
        if (!this.#attached) return;
        if (err) this.#port.postMessage({ t: 'txdone', id: message.id, error: err.message } satisfies ToSession);
        else this.#written(message.id);
      });
    } else {
      this.#link.setBaudRate(message.baudRate).then(
        () => this.#attached && this.#port.postMessage({ t: 'baud', baudRate: message.baudRate } satisfies ToSession),
        (err: Error) => this.#attached && this.#port.postMessage({ t: 'baud', baudRate: message.baudRate, error: err.message } satisfies ToSession),
      );
    }
  };

  /**
   * Write completions go back in one message per turn of the event loop, not one per frame: a
   * transfer puts a window of frames on the link at once, and each message costs the main thread.
   */
  #written(id: number): void {
    const flush = this.#writtenUpTo === undefined;
    this.#writtenUpTo = id;
    if (!flush) return;
    setImmediate(() => {
      const upTo = this.#writtenUpTo;
      this.#writtenUpTo = undefined;
      if (this.#attached && upTo !== undefined) this.#port.postMessage({ t: 'txdone', id: upTo } satisfies ToSession);
    });
  }

  readonly #onClose = (): void => {
    if (this.#attached) this.#port.postMessage({ t: 'closed', reason: 'link closed' } satisfies ToSession);
  };
}
