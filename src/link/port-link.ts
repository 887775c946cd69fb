import type { MessagePort } from 'node:worker_threads';
import { FlashdError } from '../domain/errors.js';
import { joinBytes } from './join-bytes.js';
import type { FromSession, ToSession } from './port-bridge.js';

/**
 * The session's (worker-side) end of a {@link LinkBridge}: writes resolve when the main thread
 * has put the bytes on the link, received bytes arrive through `onData`.
 */
export class PortLink {
  readonly #port: MessagePort;
  readonly #pendingWrites = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  readonly #pendingBaud: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  #nextId = 1;
  #outbox: Uint8Array[] = [];
  #outboxBytes = 0;
  #closedReason: string | undefined;
  #onData: (data: Buffer) => void = () => {};
  #onClose: (reason: string) => void = () => {};

  constructor(port: MessagePort) {
    this.#port = port;
    port.on('message', this.#onMessage);
  }

  get closedReason(): string | undefined {
    return this.#closedReason;
  }

  onData(handler: (data: Buffer) => void): void {
    this.#onData = handler;
  }

  onClose(handler: (reason: string) => void): void {
    this.#onClose = handler;
  }

  /**
   * Sends bytes; resolves once they are on the link. Writes made in one synchronous stretch (a
   * window of blocks) cross to the main thread as one message and one link write: each message
   * costs the main thread, whatever its size. A lone buffer of its own is transferred, not copied.
   */
  write(data: Uint8Array): Promise<void> {
    if (this.#closedReason !== undefined) return Promise.reject(this.#closedError());
    const id = this.#nextId++;
    this.#outbox.push(data);
    this.#outboxBytes += data.length;
    if (this.#outbox.length === 1) queueMicrotask(this.#flush);
    return new Promise<void>((resolve, reject) => this.#pendingWrites.set(id, { resolve, reject }));
  }

  readonly #flush = (): void => {
    const parts = this.#outbox;
    if (parts.length === 0 || this.#closedReason !== undefined) return;
    this.#outbox = [];
    const bytes = this.#outboxBytes;
    this.#outboxBytes = 0;
    let data: Uint8Array;
    const only = parts.length === 1 ? parts[0]! : undefined;
    if (only && only.byteOffset === 0 && only.byteLength === only.buffer.byteLength && only.buffer instanceof ArrayBuffer) {
      data = only;
    } else {
      // Transfer needs a buffer of our own; views into pooled or shared memory are copied.
      data = joinBytes(parts, new Uint8Array(bytes));
    }
    this.#port.postMessage({ t: 'tx', id: this.#nextId - 1, data } satisfies FromSession, [data.buffer as ArrayBuffer]);
  };

  setBaudRate(baudRate: number): Promise<void> {
    if (this.#closedReason !== undefined) return Promise.reject(this.#closedError());
    // Bytes written before the rate change go first, at the old rate.
    this.#flush();
    return new Promise<void>((resolve, reject) => {
      this.#pendingBaud.push({ resolve, reject });
      this.#port.postMessage({ t: 'set-baud', baudRate } satisfies FromSession);
    });
  }

  close(): void {
    this.#outbox = [];
    this.#port.off('message', this.#onMessage);
    this.#port.close();
    this.#fail('session closed its link');
  }

  readonly #onMessage = (message: ToSession): void => {
    switch (message.t) {
      case 'rx':
        this.#onData(Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
        return;
      case 'txdone': {
        // Every write up to this one is done, or failed with it (ids ascend; the map keeps insertion order).
        const err = message.error === undefined ? undefined : new FlashdError('LINK_CLOSED', `write failed: ${message.error}`);
        for (const [id, pending] of this.#pendingWrites) {
          if (id > message.id) break;
          this.#pendingWrites.delete(id);
          if (err) pending.reject(err);
          else pending.resolve();
        }
        return;
      }
      case 'baud': {
        const pending = this.#pendingBaud.shift();
        if (message.error) pending?.reject(new FlashdError('LINK_OPEN_FAILED', `cannot set ${message.baudRate} baud: ${message.error}`));
        else pending?.resolve();
        return;
      }
      case 'closed':
        this.#fail(message.reason);
        this.#onClose(message.reason);
        return;
    }
  };

  #fail(reason: string): void {
    if (this.#closedReason !== undefined) return;
    this.#closedReason = reason;
    const err = this.#closedError();
    for (const p of this.#pendingWrites.values()) p.reject(err);
    this.#pendingWrites.clear();
    for (const p of this.#pendingBaud.splice(0)) p.reject(err);
  }

  #closedError(): FlashdError {
    return new FlashdError('LINK_CLOSED', `link closed: ${this.#closedReason ?? 'unknown'}`);
  }
}
