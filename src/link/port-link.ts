import type { MessagePort } from 'node:worker_threads';
import { FlashdError } from '../domain/errors.js';
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

  /** Sends bytes; resolves once they are on the link. The buffer is transferred, not copied. */
  write(data: Uint8Array): Promise<void> {
    if (this.#closedReason !== undefined) return Promise.reject(this.#closedError());
    const id = this.#nextId++;
    // Transfer needs a buffer of our own; a view into a pooled or shared buffer is copied first.
    const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer ? data : new Uint8Array(data);
    return new Promise<void>((resolve, reject) => {
      this.#pendingWrites.set(id, { resolve, reject });
      this.#port.postMessage({ t: 'tx', id, data: owned } satisfies FromSession, [owned.buffer as ArrayBuffer]);
    });
  }

  setBaudRate(baudRate: number): Promise<void> {
    if (this.#closedReason !== undefined) return Promise.reject(this.#closedError());
    return new Promise<void>((resolve, reject) => {
      this.#pendingBaud.push({ resolve, reject });
      this.#port.postMessage({ t: 'set-baud', baudRate } satisfies FromSession);
    });
  }

  close(): void {
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
        const pending = this.#pendingWrites.get(message.id);
        this.#pendingWrites.delete(message.id);
        if (message.error) pending?.reject(new FlashdError('LINK_CLOSED', `write failed: ${message.error}`));
        else pending?.resolve();
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
